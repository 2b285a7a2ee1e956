import { RollbotError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { presumedCurrent } from '../core/ledger.js';
import { nameTheVersion, type RollbackPlan, type RollbackRecord } from '../core/rollback.js';
import type { EngineDeps } from './context.js';
import { observeServing } from './deployments.js';
import type { ServingAdapter, ServingState } from './serving-port.js';
import { fromTheRollout, rollbackTarget } from './rollback-target.js';
import { scopedIncident, type RollbackScope } from './rollback-scope.js';
import type { RollbackRequest, RollbackStepKind } from './rollback-types.js';
import { withRetry } from './retry.js';

/**
 * Reads the serving layer (retrying transient errors until `deadline`), keeps the ledger current from it,
 * and plans the rollback: to the person's version, else the known-good, else the layer's own previous version —
 * never onto a version rolled back from unless named. While a rollout is in progress the known-good is the
 * stable version the layer keeps warm and the suspect the version rolling out (rolling back a canary aborts it);
 * otherwise the known-good is the ledger's last known-good before what serves (rollback-target.ts).
 */
export async function readAndPlan(
  deps: EngineDeps,
  { adapter, scope, request }: { adapter: ServingAdapter; scope: RollbackScope; request: RollbackRequest },
  step: (kind: RollbackStepKind, text: string) => void,
  deadline: number,
): Promise<{ state: ServingState; plan: RollbackPlan }> {
  const retry = { deadline, now: () => deps.clock.now(), sleep: deps.sleep, baseMs: deps.timing.retryBaseMs };
  const state = await withRetry(() => adapter.state(), retry);
  step('state', `${adapter.target}: ${state.summary}`);
  // A drill's versions are its drill target's: they must not enter the production ledger. A dry-run drill reads
  // and plans against production, so it plans with production's ledger (reading it only), as the real rollback
  // would: on a layer that keeps no previous version (KServe after a promotion) the ledger is the only way back.
  const drill = scope.drillId !== undefined;
  const onDrillTarget = drill && scope.executes;
  if (!request.dryRun && !drill) await observeServing(deps, request.model, state);
  const ledger = onDrillTarget ? [] : await deps.store.deployments(request.model);
  // The one place the target is chosen: see rollbackTarget for the rule, mid-rollout and after.
  const target = rollbackTarget(state, ledger);
  const { knownGood } = target;
  const unfinished = await unfinishedAttempt(deps, scope);
  const to = request.to ?? unfinished?.plan.to;
  const planned = fromTheRollout(
    await adapter.plan({
      state,
      ledger,
      ...(to ? { to } : {}),
      ...(knownGood ? { knownGood } : {}),
    }),
    target,
  );
  const presumed = planned.from === undefined ? withPresumedFrom(planned, presumedCurrent(ledger)) : planned;
  const plan = completing(presumed, unfinished);
  await refuseMovedOn(deps, request, plan);
  // The rolled-back marks are production's versions: a drill target's are its own.
  if (!onDrillTarget) await refuseRollForward(deps, request, plan);
  step(
    'plan',
    `plan: ${plan.from ?? '(unknown)'} → ${plan.to}, ${plan.regime}, ETA ${formatDuration(plan.etaMs)}: ${plan.actions.join('; ')}`,
  );
  return { state, plan };
}

/**
 * The last attempt on the incident this rollback goes on, when it failed or ended unknown: a rollback now is that
 * rollback again, to the same version unless a person names one. Planned afresh, an attempt whose change landed
 * after rollbot gave up would read "v41 serves, v42 before it" and flip traffic back onto the bad version.
 */
async function unfinishedAttempt(
  deps: EngineDeps,
  scope: RollbackScope,
): Promise<RollbackRecord | undefined> {
  const attempt = (await scopedIncident(deps, scope, 'while its rollback was being planned'))?.rollback;
  return attempt?.status === 'failed' || attempt?.status === 'unknown' ? attempt : undefined;
}

/** When the unfinished attempt's change landed after all, completing it is still the rollback from its version. */
function completing(plan: RollbackPlan, attempt: RollbackRecord | undefined): RollbackPlan {
  const left = attempt?.plan.from;
  if (plan.from !== plan.to || attempt?.plan.to !== plan.to || left === undefined) return plan;
  const note = `${plan.to} serves already: completing the rollback ${left} → ${plan.to} (attempt ${attempt.attempt} ended ${attempt.status})`;
  return { ...plan, from: left, actions: [note, ...plan.actions] };
}

/**
 * A layer that cannot say what it serves is presumed to serve the ledger's newest deployment not rolled back:
 * the plan rolls back from it (so the rolled-back mark is written, and a second click does not toggle back
 * onto it), and says the version is presumed.
 */
function withPresumedFrom(plan: RollbackPlan, presumed: string | undefined): RollbackPlan {
  // A person who names the presumed version knows better than the presumption: leave `from` unknown.
  if (presumed === undefined || presumed === plan.to) return plan;
  const note = `${presumed} is presumed current: the layer cannot say what it serves, and ${presumed} is the newest deployment in the ledger not rolled back`;
  return { ...plan, from: presumed, actions: [note, ...plan.actions] };
}

/**
 * A rollback asked for from one version does not run from another: a second person's modal, a retried request or
 * a late approval, arriving after someone else's rollback finished, would otherwise re-plan from the new state
 * and roll back one version further, unasked.
 */
async function refuseMovedOn(deps: EngineDeps, request: RollbackRequest, plan: RollbackPlan): Promise<void> {
  if (request.from === undefined || plan.from === undefined || plan.from === request.from) return;
  const mark = (await deps.store.rolledBack(request.model))[request.from];
  const by = mark && (await deps.store.getIncident(mark.incidentId))?.rollback?.by;
  const already = mark
    ? ` (rolled back from ${request.from}${by ? ` by ${by}` : ''} in ${mark.incidentId} at ${new Date(mark.at).toISOString()})`
    : '';
  throw new RollbotError(
    'CONFLICT',
    `${request.model} serves ${plan.from} now, not ${request.from} as when this rollback was asked for${already}; rollbot did not roll back again`,
    {
      // A target the requester named (a Slack modal names its plan's) was chosen for the old version: not offered.
      hint:
        request.to === undefined
          ? `to roll back further (${plan.from} → ${plan.to}), start a new rollback and check its plan, or name the version: ${nameTheVersion(request.model, plan.to)}`
          : `to roll back from ${plan.from} now, start a new rollback and check its plan (in Slack: press Roll back again, or /rollback ${request.model})`,
    },
  );
}

/**
 * A rollback never lands on a version rollbot rolled back from, unless a person names it: after one rollback
 * the layer's "previous" is the bad version, and a second click must not toggle traffic back onto it.
 */
async function refuseRollForward(
  deps: EngineDeps,
  request: RollbackRequest,
  plan: RollbackPlan,
): Promise<void> {
  if (request.to !== undefined) return;
  const mark = (await deps.store.rolledBack(request.model))[plan.to];
  if (!mark) return;
  throw new RollbotError(
    'CONFLICT',
    `${request.model} was rolled back from ${plan.to} in ${mark.incidentId} at ${new Date(mark.at).toISOString()}; rollbot will not roll it forward onto ${plan.to}`,
    {
      hint: `traffic is probably already on the known-good version (see ${mark.incidentId}); to go to ${plan.to} anyway, name it: ${nameTheVersion(request.model, plan.to)}`,
    },
  );
}
