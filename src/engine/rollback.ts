import { formatDuration } from '../core/duration.js';
import { RollbotError } from '../core/errors.js';
import { finishRollback, withPlanData } from '../core/rollback.js';
import { record, type EngineDeps } from './context.js';
import { mutateIncident } from './mutate.js';
import type { ServingState } from './serving-port.js';
import { keepLeaseAlive, type KeptLease } from './lease-keepalive.js';
import { recordExecuted } from './rollback-executed.js';
import { acquireLock } from './rollback-lease.js';
import { readAndPlan } from './rollback-plan.js';
import {
  drillNote,
  refuseOutOfScope,
  refuseEndedDrill,
  rollbackScope,
  type RollbackScope,
} from './rollback-scope.js';
import { startRollbackOnIncident } from './rollback-incident.js';
import { announceDrillLanded, LandingUnread, waitForTarget } from './rollback-landing.js';
import { escalateEnding, fail, unknownOutcome, type EndingRun } from './rollback-ends.js';
import { followSuccess, guardSuccess } from './rollback-success.js';
import type { RollbackOutcome, RollbackRequest, RollbackStep, RollbackStepKind } from './rollback-types.js';
import { rollbackAttemptDeadline, withRetry } from './retry.js';

export type { RollbackOutcome, RollbackRequest, RollbackStep, RollbackStepKind } from './rollback-types.js';
export { rollbackLockName } from './rollback-lease.js';

/**
 * The one rollback path — CLI, API, Slack button and automatic policy all come here. Reads the serving layer,
 * plans (from → to, regime, ETA), then under the model's lock records the decision on the incident, executes
 * with retries inside the rollback target (or the plan's ETA, when later), and reports success only once the
 * serving layer shows traffic on the target. Refusals before anything changed (unknown model, no known-good
 * version, lock held) throw; a failure after the incident was touched is returned as outcome `failed` (or
 * `unknown`: the change made, its landing unread) and escalated (rollback-ends.ts).
 */
export function rollback(
  deps: EngineDeps,
  requested: RollbackRequest,
  onStep: (step: RollbackStep) => void = () => {},
): Promise<RollbackOutcome> {
  // Tracked for shutdown: a rollback started from Slack runs on after the request that started it was answered.
  return deps.inFlight.track(runRollback(deps, requested, onStep));
}

async function runRollback(
  deps: EngineDeps,
  requested: RollbackRequest,
  onStep: (step: RollbackStep) => void,
): Promise<RollbackOutcome> {
  let request = requested;
  const runbook = deps.runbooks.require(request.model);
  if (!request.reason.trim()) {
    throw new RollbotError('BAD_REQUEST', 'a rollback needs a reason', {
      hint: 'say why, e.g. --reason "p99 doubled after v42"',
    });
  }
  const steps: RollbackStep[] = [];
  const step = (kind: RollbackStepKind, text: string) => {
    const entry = { kind, at: deps.clock.now(), text };
    steps.push(entry);
    onStep(entry);
  };
  // A drill rolls back its drill target (staging), or only plans when it is a dry run: same path. Which
  // incident and layer this rollback belongs to is decided once, here, and held to until it ends.
  const scope = await rollbackScope(deps, runbook, request);
  const adapter = deps.serving(scope.serving, { model: runbook.model });
  if (scope.drillId) request = { ...request, trigger: 'drill', drillId: scope.drillId };
  if (request.dryRun) {
    const { state, plan } = await readAndPlan(
      deps,
      { adapter, scope, request },
      step,
      deps.clock.now() + runbook.targets.rollback,
    );
    const drill = drillNote(scope, adapter.target, true);
    return {
      outcome: 'dry-run',
      model: runbook.model,
      target: adapter.target,
      state,
      plan,
      steps,
      ...(drill ? { drill } : {}),
    };
  }
  const lease = keepLeaseAlive(deps, await acquireLock(deps, request));
  let run: Execution;
  let outcome: RollbackOutcome;
  try {
    const { state, plan } = await readAndPlan(
      deps,
      { adapter, scope, request },
      step,
      deps.clock.now() + runbook.targets.rollback,
    );
    run = { runbook, adapter, scope, request, state, plan, lease, step, steps };
    outcome = await execute(deps, run);
  } finally {
    lease.stop();
    await deps.store.release(lease.lease);
  }
  // Escalated once the lock is released: a person retrying at once is not refused while the pager is slow.
  if (outcome.incidentId) await escalateEnding(deps, run, outcome.incidentId);
  return outcome;
}

interface Execution extends EndingRun {
  scope: RollbackScope;
  state: ServingState;
  lease: KeptLease;
  steps: RollbackStep[];
}

async function execute(deps: EngineDeps, run: Execution): Promise<RollbackOutcome> {
  const { runbook, adapter, scope, request, plan, step } = run;
  const startedAt = deps.clock.now();
  const incident = await startRollbackOnIncident(deps, runbook, scope, {
    plan,
    target: adapter.target,
    by: request.by,
    trigger: request.trigger,
    reason: request.reason,
    at: startedAt,
  });
  const attempt = incident.rollback?.attempt ?? 1;
  const drill = drillNote(scope, adapter.target, false);
  // The outcome's plan is run.plan as it ends up: with what execute kept, as the stored attempt's.
  const base = {
    model: runbook.model,
    target: adapter.target,
    incidentId: incident.id,
    state: run.state,
    steps: run.steps,
    ...(drill ? { drill } : {}),
  };
  const deadline = rollbackAttemptDeadline(incident, { startedAt, plan });
  const retry = {
    deadline,
    now: () => deps.clock.now(),
    sleep: deps.sleep,
    baseMs: deps.timing.retryBaseMs,
    onRetry: async (error: Error, attempt: number, waitMs: number) => {
      step('retry', `attempt ${attempt} failed (${error.message}); retrying in ${formatDuration(waitMs)}`);
      await record(deps, incident, {
        type: 'rollback.retry',
        text: `transient error, retrying: ${error.message}`,
      });
    },
  };
  try {
    step('executing', `executing on ${adapter.target}`);
    const context = {
      idempotencyKey: `${incident.id}:rollback:${attempt}`,
      fence: run.lease.lease.fence,
      incidentId: incident.id,
      model: runbook.model,
      reason: request.reason,
    };
    if (!scope.executes) {
      // A dry-run drill rehearses everything up to the write: the plan above is what a real rollback would do.
      step('executed', 'drill dry run: the plan was made and not executed; nothing changed');
      await record(deps, incident, {
        type: 'rollback.executed',
        text: 'drill dry run: planned, not executed',
      });
    } else {
      refuseWithoutLock(run, 'before changing anything: this attempt changed nothing');
      await refuseEndedDrill(deps, scope, 'under its rollback, before anything was changed');
      let tries = 0;
      const result = await withRetry(() => {
        // A retry comes seconds to minutes later: the lock may have gone to another replica meanwhile, whose
        // rollback this write could undo or repeat. Each try is made under the lock or not at all.
        if (tries++ > 0) refuseWithoutLock(run, 'before retrying the change after a transient error');
        return adapter.execute(plan, context);
      }, retry);
      const said = result.mutated
        ? 'change made'
        : 'the serving layer already matched the plan; nothing changed';
      step('executed', `${said}${result.output ? `: ${result.output}` : ''}`);
      if (result.planData) run.plan = withPlanData(run.plan, result.planData);
      await recordExecuted(deps, { incident, attempt, text: said, output: result.output }, result.planData);
      await waitForTarget(deps, { adapter, scope, plan: run.plan, retry, startedAt }, step);
      refuseWithoutLock(
        run,
        `after the change to ${plan.to} was made: another rollback may have run meanwhile`,
      );
    }
    await refuseEndedDrill(deps, scope, `under its rollback, after the change to ${plan.to} was made`);
  } catch (error) {
    // The change was made but whether it landed could not be read: unknown, not failed (rollback-unknown.ts).
    if (error instanceof LandingUnread)
      return { ...base, plan: run.plan, ...(await unknownOutcome(deps, run, incident, error)) };
    return { ...base, plan: run.plan, ...(await fail(deps, run, incident, startedAt, error)) };
  }
  const at = deps.clock.now();
  // What follows a real rollback's success must not die with this process: a stand-in, scheduled first, sees to it.
  if (!incident.drill) await guardSuccess(deps, incident.id, attempt);
  await mutateIncident(deps.store, incident.id, (current) => {
    // Also here, where the success is written: a drill ended since the look above is not scored a success.
    refuseOutOfScope(scope, current, `under its rollback, as its success was being recorded`);
    return finishRollback(current, 'succeeded', at);
  });
  step(
    'on-target',
    `traffic is on ${plan.to} after ${formatDuration(at - startedAt)} (target ${formatDuration(incident.targets.rollback)}); confirming`,
  );
  deps.metrics.rollbackFinished(
    runbook.model,
    'succeeded',
    request.trigger,
    incident.drill,
    (at - startedAt) / 1000,
  );
  deps.metrics.stageCompleted(
    'rollback',
    incident.drill,
    (at - (incident.stages.rollback.startedAt ?? startedAt)) / 1000,
  );
  if (incident.drill) await announceDrillLanded(deps, runbook, incident.id, plan, at - startedAt);
  else await followSuccess(deps, incident.id, attempt);
  return { ...base, plan: run.plan, outcome: 'succeeded' };
}

/**
 * Past the lock's expiry another replica may be rolling the same model back: writing, or claiming success for
 * what the layer shows, could undo or misreport its work. Stop and let a person read the layer.
 */
function refuseWithoutLock(run: Execution, when: string): void {
  if (!run.lease.lost()) return;
  throw new RollbotError('LOCKED', `lost the rollback lock of ${run.runbook.model} ${when}`, {
    hint: `read what ${run.adapter.target} serves now (rollbot rollback ${run.runbook.model} --dry-run) and the incident timeline before rolling back again`,
  });
}
