import { RollbotError } from '../core/errors.js';
import { isUserGroupId, mayAct, type Actor } from '../core/policy.js';
import type { Runbook } from '../runbooks/schema.js';
import type { Incident } from '../core/incident.js';
import { uncheckedGroupsNote } from './group-membership.js';
import { record, type EngineDeps } from './context.js';

export type Action =
  | 'roll back'
  | 'approve'
  | 'dismiss'
  | 'resolve'
  | 'complete the retrospective of'
  | 'close action items of'
  | 'freeze deployments of'
  | 'lift the deployment freeze of';

/**
 * Refuses (FORBIDDEN) a person the runbook does not allow, recording the denial on the model's open incident:
 * every denial is part of the record.
 */
export async function authorize(
  deps: EngineDeps,
  runbook: Runbook,
  actor: Actor,
  action: Action,
  incident?: Pick<Incident, 'id'>,
): Promise<void> {
  const refused = refusalOf(runbook, actor, action, deps.runbooks.fileOf(runbook.model));
  if (!refused) return;
  await noteDenial(deps, runbook, actor, refused.message, incident);
  throw refused;
}

/**
 * The FORBIDDEN `authorize` would throw, without recording it: for telling someone up front (a modal about to ask
 * for a reason) what their attempt would get. Undefined when the runbook allows them. `file` is the runbook's
 * (RunbookSet.fileOf), where the refusal says approvers are listed.
 */
export function refusalOf(
  runbook: Runbook,
  actor: Actor,
  action: Action,
  file: string,
): RollbotError | undefined {
  if (mayAct(runbook.rollback.approvers, actor)) return undefined;
  // A group whose members could not be checked (Slack down, no recent snapshot) may well hold them: say so.
  const unchecked = isUserGroupId(actor.id)
    ? groupNamedAsPerson(actor.id)
    : uncheckedGroupsNote(actor.unchecked);
  const text = `${actor.id} may not ${action} ${runbook.model}: the runbook allows ${runbook.rollback.approvers.join(', ')}${unchecked.why}`;
  const ask = `ask one of ${runbook.rollback.approvers.join(', ')}, or add yourself to rollback.approvers in ${file}`;
  return new RollbotError('FORBIDDEN', text, { hint: unchecked.fix ? `${unchecked.fix}; or ${ask}` : ask });
}

/** Someone gave a user group's ID as who they are: a group acts through its members, named by user ID. */
function groupNamedAsPerson(group: string): { why: string; fix: string } {
  return {
    why: `; ${group} is a user group, not a person`,
    fix: `name yourself by your Slack user ID (U…/W…): a member of ${group} is let through as one`,
  };
}

/** Records a denial on `incident`, else on the model's open incident, and logs it. */
export async function noteDenial(
  deps: EngineDeps,
  runbook: Runbook,
  actor: Actor,
  text: string,
  incident?: Pick<Incident, 'id'>,
): Promise<void> {
  const on = incident ?? (await deps.store.openIncidentFor(runbook.model));
  if (on) await record(deps, on, { type: 'permission.denied', actor: actor.id, text });
  deps.logger.warn({ model: runbook.model, actor: actor.id }, text);
}
