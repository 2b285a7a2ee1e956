/**
 * The end of a rollback that made its change: waiting for the serving layer to show traffic on the target, and
 * for a drill, saying it got there and scoring it (a real rollback's success is rollback-success.ts's).
 */
import { formatDuration } from '../core/duration.js';
import { errorText, RollbotError, ServingError } from '../core/errors.js';
import type { RollbackPlan } from '../core/rollback.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, type EngineDeps } from './context.js';
import { finishDrill } from './drill.js';
import { stageTargetId } from './escalation.js';
import { ChangeFailed, type ServingAdapter } from './serving-port.js';
import { refuseEndedDrill, type RollbackScope } from './rollback-scope.js';
import type { RollbackStepKind } from './rollback-types.js';
import { withRetry } from './retry.js';

/**
 * Why nobody can tell whether a change landed when reading the layer failed with `error`: said alike by the
 * rollback's own wait (LandingUnread) and by a settlement after a restart (recovery-outcomes.ts `reread`).
 */
export function couldNotCheck(target: string, error: unknown): string {
  return `${target} could not be checked (${errorText(error)})`;
}

/**
 * The change was made, but reading whether it landed failed (forbidden, unreachable past the attempt's bound, an
 * answer the adapter cannot read): that says nothing about where traffic is, so the attempt's outcome is unknown,
 * not failed (rollback-unknown.ts). Only the layer's own word (ChangeFailed) or a read that says "not there" by the
 * bound is a failure.
 */
export class LandingUnread extends ServingError {
  constructor(
    /** What is known, for the escalation: `<target> could not be checked (<error>)`. */
    readonly why: string,
    where: { target: string; to: string },
    cause: unknown,
  ) {
    super(`outcome unknown: the change to ${where.to} was made, but ${why}`, {
      transient: false,
      cause,
      hint: `check what ${where.target} serves before anyone runs the rollback again`,
    });
    this.name = 'LandingUnread';
  }
}

/**
 * Polls until the serving layer reports traffic on the target; gives up at the attempt's deadline. Rejects with
 * ChangeFailed when the layer says the change failed, with LandingUnread when it could not be read (transient
 * errors are read again until the deadline first), and with SERVING_FAILED when it was read and, by the deadline,
 * does not show traffic on the target.
 */
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
    if (await readLanding(adapter, plan, retry)) return;
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

async function readLanding(
  adapter: ServingAdapter,
  plan: RollbackPlan,
  retry: Parameters<typeof withRetry>[1],
): Promise<boolean> {
  try {
    return await withRetry(() => adapter.onTarget(plan), retry);
  } catch (error) {
    if (error instanceof ChangeFailed) throw error;
    throw new LandingUnread(
      couldNotCheck(adapter.target, error),
      { target: adapter.target, to: plan.to },
      error,
    );
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
