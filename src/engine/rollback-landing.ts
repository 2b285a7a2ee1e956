/**
 * The end of a rollback that made its change: waiting for the serving layer to show traffic on the target, and
 * for a drill, saying it got there and scoring it (a real rollback's success is rollback-success.ts's).
 */
import { formatDuration } from '../core/duration.js';
import { RollbotError } from '../core/errors.js';
import type { RollbackPlan } from '../core/rollback.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, type EngineDeps } from './context.js';
import { finishDrill } from './drill.js';
import { stageTargetId } from './escalation.js';
import type { ServingAdapter } from './serving-port.js';
import { refuseEndedDrill, type RollbackScope } from './rollback-scope.js';
import type { RollbackStepKind } from './rollback-types.js';
import { withRetry } from './retry.js';

/** Polls until the serving layer reports traffic on the target; gives up at the attempt's deadline. */
export async function waitForTarget(
  deps: EngineDeps,
  attempt: {
    adapter: ServingAdapter;
    scope: RollbackScope;
    plan: RollbackPlan;
    retry: Parameters<typeof withRetry>[1];
    startedAt: number;
  },
  step: (kind: RollbackStepKind, text: string) => void,
): Promise<void> {
  const { adapter, plan, retry } = attempt;
  for (;;) {
    if (await withRetry(() => adapter.onTarget(plan), retry)) return;
    if (deps.clock.now() + deps.timing.pollMs >= retry.deadline) {
      throw new RollbotError(
        'SERVING_FAILED',
        `traffic did not reach ${plan.to} within ${formatDuration(retry.deadline - attempt.startedAt)} of this attempt (the plan expected ${formatDuration(plan.etaMs)})`,
        {
          hint: `check ${adapter.target}: the change was made but the layer does not report traffic on ${plan.to}`,
        },
      );
    }
    // A drill a real alert ended meanwhile is waited for no longer: the lock goes to the real incident's rollback.
    await refuseEndedDrill(
      deps,
      attempt.scope,
      `under its rollback, while it waited for traffic on ${plan.to}`,
    );
    step('waiting', `waiting for traffic on ${plan.to}`);
    await deps.sleep(deps.timing.pollMs);
  }
}

/** A drill's rollback got there: said, and the drill scored now (its confirmation is the drill target's word). */
export async function announceDrillLanded(
  deps: EngineDeps,
  runbook: Runbook,
  drillId: string,
  plan: RollbackPlan,
  tookMs: number,
): Promise<void> {
  const stored = await deps.store.getIncident(drillId);
  if (!stored) return;
  await deps.store.cancel(stageTargetId(drillId, 'rollback'));
  const text = `traffic is on ${plan.to} after ${formatDuration(tookMs)} (target ${formatDuration(stored.targets.rollback)}); confirming`;
  await record(deps, stored, { type: 'rollback.succeeded', text });
  await deps.notifier.notify({
    type: 'incident.updated',
    incident: stored,
    channel: runbook.channel,
    text: `rolled back to ${plan.to}: ${text}`,
  });
  await finishDrill(deps, drillId, { succeeded: true });
}
