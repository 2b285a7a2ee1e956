import { RollbotError } from '../core/errors.js';
import { acknowledge as ack, decide, type Incident } from '../core/incident.js';
import type { Actor } from '../core/policy.js';
import { authorize, noteDenial } from './authorize.js';
import type { Trigger } from '../core/trigger.js';
import { record, type EngineDeps } from './context.js';
import { mutateIncident } from './mutate.js';
import { rollback, type RollbackOutcome, type RollbackStep } from './rollback.js';

/** Someone is on it. Returns false when the incident was acknowledged already (by them or another). */
export async function acknowledge(
  deps: EngineDeps,
  incidentId: string,
  by: string,
): Promise<{ incident: Incident; changed: boolean }> {
  const result = await mutateIncident(deps.store, incidentId, (current) =>
    ack(current, by, deps.clock.now()),
  );
  if (result.changed) {
    const text = `acknowledged by ${by}`;
    await record(deps, result.incident, { type: 'incident.acknowledged', actor: by, text });
    // Shows who is on it in the incident message, and acknowledges the page.
    const channel = deps.runbooks.get(result.incident.model)?.channel ?? '';
    await deps.notifier.notify({ type: 'incident.updated', incident: result.incident, channel, text });
  }
  return result;
}

/** "Not a rollback": the decision, with its reason, ends triage and dismisses the incident. */
export async function dismiss(
  deps: EngineDeps,
  incidentId: string,
  how: { actor: Actor; reason: string; trigger: Trigger },
): Promise<Incident> {
  const current = await deps.store.getIncident(incidentId);
  if (!current) throw new RollbotError('NOT_FOUND', `no incident ${incidentId}`);
  const runbook = deps.runbooks.require(current.model);
  await authorize(deps, runbook, how.actor, 'dismiss');
  if (!how.reason.trim())
    throw new RollbotError('BAD_REQUEST', '"not a rollback" needs a reason', {
      hint: 'say why, e.g. "upstream outage, not the model"',
    });
  const at = deps.clock.now();
  const { incident } = await mutateIncident(deps.store, incidentId, (latest) =>
    decide(latest, { kind: 'not-rollback', by: how.actor.id, at, reason: how.reason, trigger: how.trigger }),
  );
  for (const suffix of ['triage', 'triage-run']) await deps.store.cancel(`${incidentId}:${suffix}`);
  if (incident.stages.triage.startedAt !== undefined)
    deps.metrics.stageCompleted('triage', incident.drill, (at - incident.stages.triage.startedAt) / 1000);
  const text = `not a rollback — decided by ${how.actor.id}: ${how.reason}`;
  await record(deps, incident, { type: 'decision.not-rollback', actor: how.actor.id, text });
  await deps.notifier.notify({ type: 'incident.updated', incident, channel: runbook.channel, text });
  return incident;
}

/** A rollback asked for under the two-person rule, waiting for a different approver. */
export interface PendingRollback {
  model: string;
  requestedBy: string;
  reason: string;
  to?: string;
  at: number;
}

const pendingKey = (model: string) => `pending-rollback:${model}`;
/** An unapproved request lapses: an approval an hour later is about a different situation. */
const PENDING_TTL_MS = 3_600_000;

export type RollbackRequestResult =
  { status: 'done'; outcome: RollbackOutcome } | { status: 'awaiting-approval'; pending: PendingRollback };

/**
 * A person asks for a rollback (Slack button or /rollback). Under `two-person` it waits for a different
 * approver; otherwise it runs at once through the one rollback path.
 */
export async function requestRollback(
  deps: EngineDeps,
  request: { model: string; to?: string; reason: string; actor: Actor; trigger: Trigger; dryRun?: boolean },
  onStep?: (step: RollbackStep) => void,
): Promise<RollbackRequestResult> {
  const runbook = deps.runbooks.require(request.model);
  const base = {
    model: runbook.model,
    reason: request.reason,
    by: request.actor.id,
    trigger: request.trigger,
    ...(request.to ? { to: request.to } : {}),
  };
  if (request.dryRun)
    return { status: 'done', outcome: await rollback(deps, { ...base, dryRun: true }, onStep) };
  await authorize(deps, runbook, request.actor, 'roll back');
  if (runbook.rollback.policy !== 'two-person')
    return { status: 'done', outcome: await rollback(deps, base, onStep) };
  if (!request.reason.trim()) throw new RollbotError('BAD_REQUEST', 'a rollback needs a reason');
  const pending: PendingRollback = {
    model: runbook.model,
    requestedBy: request.actor.id,
    reason: request.reason,
    at: deps.clock.now(),
    ...(request.to ? { to: request.to } : {}),
  };
  await deps.store.setValue(pendingKey(runbook.model), JSON.stringify(pending), PENDING_TTL_MS);
  const text = `rollback of ${runbook.model}${request.to ? ` to ${request.to}` : ''} requested by ${request.actor.id}: ${request.reason}. Two-person rule: a different approver must approve`;
  const open = await deps.store.openIncidentFor(runbook.model);
  if (open) {
    await record(deps, open, { type: 'rollback.requested', actor: request.actor.id, text });
    await deps.notifier.notify({
      type: 'decision.requested',
      incident: open,
      channel: runbook.channel,
      text,
      approvers: runbook.rollback.approvers,
      policy: 'two-person',
    });
  }
  return { status: 'awaiting-approval', pending };
}

/**
 * The second person of the two-person rule approves the pending request: it must be someone allowed to approve
 * and not the requester. Only one approval executes, however many people press the button.
 */
export async function approveRollback(
  deps: EngineDeps,
  request: { model: string; actor: Actor; trigger: Trigger },
  onStep?: (step: RollbackStep) => void,
): Promise<RollbackOutcome> {
  const runbook = deps.runbooks.require(request.model);
  await authorize(deps, runbook, request.actor, 'approve');
  const waiting = await deps.store.getValue(pendingKey(runbook.model));
  if (!waiting)
    throw new RollbotError('NOT_FOUND', `no rollback of ${runbook.model} is waiting for approval`, {
      hint: 'it was approved or withdrawn already, or it lapsed after an hour',
    });
  const pending = JSON.parse(waiting) as PendingRollback;
  if (pending.requestedBy === request.actor.id) {
    const text = `${request.actor.id} may not approve their own rollback request: the two-person rule needs a different approver`;
    await noteDenial(deps, runbook, request.actor, text);
    throw new RollbotError('FORBIDDEN', text, {
      hint: `ask another of ${runbook.rollback.approvers.join(', ') || 'the on-call team'}`,
    });
  }
  const taken = await deps.store.takeValue(pendingKey(runbook.model));
  if (!taken)
    throw new RollbotError(
      'CONFLICT',
      `the rollback of ${runbook.model} was approved by someone else a moment ago`,
    );
  return rollback(
    deps,
    {
      model: runbook.model,
      reason: `${pending.reason} (requested by ${pending.requestedBy}, approved by ${request.actor.id})`,
      by: request.actor.id,
      trigger: request.trigger,
      ...(pending.to ? { to: pending.to } : {}),
    },
    onStep,
  );
}
