import { formatDuration } from '../core/duration.js';
import { RollbotError } from '../core/errors.js';
import { freezeReason, type Freeze } from './freeze-rules.js';
import type { Actor } from '../core/policy.js';
import { authorize } from './authorize.js';
import { latestIncident, type EngineDeps } from './context.js';
import { drillOverdue } from './drill-overdue.js';
import { freezesOn } from './freeze.js';
import { openActionItems } from './retro.js';
import { rollbackLockName } from './rollback.js';
import { approvalFor, requestApproval, type DeploymentApproval } from './deploy-approval.js';
import { currentWatch } from './watch.js';
import type { Runbook } from '../runbooks/schema.js';
import type { WatchPeriod } from '../core/watch.js';

export interface GateAnswer {
  model: string;
  allowed: boolean;
  /** `closed` (see reasons), `approval required` (see approval), or `open`. */
  status: 'open' | 'closed' | 'approval required';
  reasons: string[];
  /**
   * Present when the next deployment needs a person's approval (tier 1, first after a rollback), with which
   * deployment that is (`askedFor`): `POST /api/gate/:model/approve` given it approves that one and no later one.
   */
  approval?: DeploymentApproval & { askedFor: string };
  /** The model's watch period, while it lasts. */
  watch?: WatchPeriod;
  /** Deploy freezes holding the model (its own, and one of every model): no override waives them. */
  freezes?: Freeze[];
  /** An approver let the deployment through despite the reasons, until `until` (24 h after `at`). */
  override?: { by: string; reason: string; at: number; until: number };
}

const overrideKey = (model: string) => `gate-override:${model}`;
/** An override is for one deployment window, not for good. */
const OVERRIDE_TTL_MS = 24 * 3_600_000;

/**
 * The approver's override of the model's gate while it holds, and when it ends (`until`): what deploymentGate
 * waives the soft reasons for, and what a skipped drill's note says holds the gate open (drill-schedule.ts).
 */
export async function gateOverride(
  deps: Pick<EngineDeps, 'store'>,
  model: string,
): Promise<NonNullable<GateAnswer['override']> | undefined> {
  const raw = await deps.store.getValue(overrideKey(model));
  if (!raw) return undefined;
  const { by, reason, at } = JSON.parse(raw) as { by: string; reason: string; at: number };
  return { by, reason, at, until: at + OVERRIDE_TTL_MS };
}

/**
 * May this model be deployed now? Closed while it has an open incident, a rollback in flight, a deploy freeze,
 * open retrospective action items or an overdue drill — each reason said plainly so that a CI log explains
 * itself. An approver's override (recorded, 24 h) opens it despite the reasons, except for an incident, a
 * rollback in flight or a freeze (a deliberate decision of its own, lifted by `liftFreeze`), which are never
 * overridden, and action items written after the override (a later failure's lessons, which the approver could
 * not weigh). Otherwise open — or `approval required` for a tier-1 model or the
 * first deployment after a rollback until someone approves; `requestApproval` asks the channel (once a day).
 */
export async function deploymentGate(
  deps: EngineDeps,
  model: string,
  options: { requestApproval?: boolean } = {},
): Promise<GateAnswer> {
  const runbook = deps.runbooks.require(model);
  const override = await gateOverride(deps, runbook.model);
  const { hard, soft, freezes } = await closingReasons(deps, runbook, override);
  const reasons = [...hard, ...soft];
  const closed = hard.length > 0 || (soft.length > 0 && override === undefined);
  // Which deployment it is for (`askedFor`) is shown, so that a script can approve that one and no later one; its
  // words (`waiting`) are for a refused approval.
  const asked = await approvalFor(deps, runbook);
  const { waiting: _inWords, ...approval } = asked;
  const needsApproval = approval.reasons.length > 0;
  const status = closed ? 'closed' : needsApproval && !approval.approved ? 'approval required' : 'open';
  if (status === 'approval required' && options.requestApproval) await requestApproval(deps, runbook, asked);
  const watch = await currentWatch(deps, runbook);
  return {
    model: runbook.model,
    allowed: status === 'open',
    status,
    reasons,
    ...(needsApproval ? { approval } : {}),
    ...(watch ? { watch } : {}),
    ...(freezes.length ? { freezes } : {}),
    ...(override && soft.length ? { override } : {}),
  };
}

/**
 * What closes the model's gate now: what no override waives (`hard`: an open incident, a rollback in flight, a
 * freeze, action items written after `override`), and what one does (`soft`: open action items, an overdue drill).
 */
async function closingReasons(
  deps: EngineDeps,
  runbook: Runbook,
  override: { by: string; at: number } | undefined,
): Promise<{ hard: string[]; soft: string[]; freezes: Freeze[] }> {
  const hard: string[] = [];
  const soft: string[] = [];
  const now = deps.clock.now();
  const open = await deps.store.openIncidentFor(runbook.model);
  if (open)
    hard.push(
      `open incident ${open.id} (${open.phase}) since ${formatDuration(now - open.openedAt)}: ${open.summary}`,
    );
  const holder = await deps.store.holder(rollbackLockName(runbook.model));
  if (holder)
    hard.push(`rollback in flight by ${holder.owner} since ${new Date(holder.acquiredAt).toISOString()}`);
  const freezes = await freezesOn(deps, runbook.model);
  hard.push(...freezes.map(freezeReason));
  for (const { incidentId, item, writtenAt } of await openActionItems(deps, runbook.model)) {
    const reason = `open retrospective action item ${item.id} of ${incidentId} (${item.owner}, due ${new Date(item.due).toISOString().slice(0, 10)}): ${item.text}`;
    // An override waives what the approver could weigh: items written after it (a later failure's lessons) are
    // not theirs to waive, so they close the gate as hard as an incident until the items are closed.
    if (override && writtenAt !== undefined && writtenAt > override.at)
      hard.push(`${reason} (not covered by the override of ${override.by}, given before it)`);
    else soft.push(reason);
  }
  const overdue = await drillOverdue(deps, runbook);
  if (overdue) soft.push(`rollback drill overdue: ${overdue}`);
  return { hard, soft, freezes };
}

/**
 * An approver opens the gate for 24 h despite open action items or an overdue drill, with a reason that goes
 * on the model's latest incident timeline. Refused (CONFLICT) while neither holds the gate: an override given with
 * nothing to waive would sit unseen for a day and waive whatever came up next (a drill coming due), which nobody
 * weighed.
 */
export async function overrideGate(
  deps: EngineDeps,
  model: string,
  how: { actor: Actor; reason: string },
): Promise<GateAnswer> {
  const runbook = deps.runbooks.require(model);
  if (!how.reason.trim())
    throw new RollbotError('BAD_REQUEST', 'an override needs a reason', {
      hint: 'say why the deployment cannot wait',
    });
  const latest = await latestIncident(deps, runbook.model);
  // Waiving the gate is an approver's call, as approving the next deployment is; a denial is recorded where the
  // override would have been.
  await authorize(deps, runbook, how.actor, 'approve', latest);
  const { hard, soft } = await closingReasons(deps, runbook, undefined);
  if (soft.length === 0) throw await nothingToOverride(deps, runbook, hard);
  const by = how.actor.id;
  const override = { by, reason: how.reason, at: deps.clock.now() };
  await deps.store.setValue(overrideKey(runbook.model), JSON.stringify(override), OVERRIDE_TTL_MS);
  const text = `deployment gate overridden by ${by} for 24h: ${how.reason}`;
  if (latest)
    await deps.store.append({
      incidentId: latest.id,
      at: override.at,
      type: 'gate.overridden',
      actor: by,
      text,
    });
  deps.logger.warn({ model: runbook.model, by }, text);
  return deploymentGate(deps, model);
}

/**
 * An approver takes an override back before its 24 h are up (given for the wrong model, the deployment it was for
 * went out): the gate closes again on what it waived. Who may is who may give one; the revocation goes on the
 * model's latest incident timeline, as the override did. CONFLICT when none holds, or when it changed meanwhile.
 */
export async function revokeGateOverride(
  deps: EngineDeps,
  model: string,
  how: { actor: Actor; reason?: string },
): Promise<GateAnswer> {
  const runbook = deps.runbooks.require(model);
  const latest = await latestIncident(deps, runbook.model);
  await authorize(deps, runbook, how.actor, 'approve', latest);
  const raw = await deps.store.getValue(overrideKey(runbook.model));
  if (raw === undefined)
    throw new RollbotError('CONFLICT', `no override of the deployment gate of ${runbook.model} to revoke`, {
      hint: `GET /api/gate/${runbook.model} shows the override (\`override\`) while one holds`,
    });
  // Only the override read here: one given meanwhile (by someone else, for another reason) was not weighed.
  if (!(await deps.store.takeValueIfHeld(overrideKey(runbook.model), raw)))
    throw new RollbotError(
      'CONFLICT',
      `the override of the deployment gate of ${runbook.model} changed while it was being revoked`,
      { hint: 'read the gate again and decide on the override in force now' },
    );
  const given = JSON.parse(raw) as { by: string; reason: string };
  const by = how.actor.id;
  const why = how.reason?.trim() ? `: ${how.reason.trim()}` : '';
  const text = `deployment gate override by ${given.by} (${given.reason}) revoked by ${by}${why}`;
  if (latest)
    await deps.store.append({
      incidentId: latest.id,
      at: deps.clock.now(),
      type: 'gate.override-revoked',
      actor: by,
      text,
    });
  deps.logger.warn({ model: runbook.model, by }, text);
  return deploymentGate(deps, model);
}

const WHAT_AN_OVERRIDE_WAIVES =
  'an override waives open retrospective action items and an overdue drill for 24 h: give one while they close the gate';

/** The refusal of an override with nothing to waive: what the gate is, and what would open it instead. */
async function nothingToOverride(deps: EngineDeps, runbook: Runbook, hard: string[]): Promise<RollbotError> {
  const gate = `nothing to override: the deployment gate of ${runbook.model}`;
  if (hard.length > 0)
    return new RollbotError(
      'CONFLICT',
      `${gate} is closed only by ${hard.join('; ')}, which no override waives`,
      {
        hint: WHAT_AN_OVERRIDE_WAIVES,
      },
    );
  const approval = await approvalFor(deps, runbook);
  if (approval.reasons.length > 0 && !approval.approved)
    return new RollbotError(
      'CONFLICT',
      `${gate} waits only for a deployment approval, which an override does not give`,
      { hint: `approve it with ${approval.how}` },
    );
  return new RollbotError('CONFLICT', `${gate} is open`, { hint: WHAT_AN_OVERRIDE_WAIVES });
}
