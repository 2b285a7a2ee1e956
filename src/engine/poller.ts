import type { Stage } from '../core/stages.js';
import type { EngineDeps } from './context.js';
import { STAGE_TARGET, escalateIfBreached } from './escalation.js';
import type { Deadline } from './ports.js';
import { recoverInterruptedRollback } from './recovery.js';

/** How long a claimed deadline stays hidden from other replicas while this one handles it. */
export const DEADLINE_LEASE_MS = 60_000;
const BATCH = 50;

export type DeadlineHandler = (deps: EngineDeps, deadline: Deadline) => Promise<void>;

/** What to do when each kind of deadline comes due; later features add their kinds here. */
export const DEADLINE_HANDLERS: Record<string, DeadlineHandler> = {
  [STAGE_TARGET]: async (deps, deadline) => {
    const incidentId = String(deadline.payload.incidentId);
    const stage = deadline.payload.stage as Stage;
    // A rollback still "executing" when its target comes due may belong to a bot that died: settle it first.
    if (stage === 'rollback') await recoverInterruptedRollback(deps, incidentId);
    await escalateIfBreached(deps, incidentId, stage);
  },
};

/**
 * One pass over the due deadlines: claim (atomically, so each goes to one replica), handle, complete. A
 * handler that fails leaves its deadline claimed; it comes back after the lease and is tried again.
 * Returns how many deadlines were handled.
 */
export async function pollDeadlines(deps: EngineDeps, handlers = DEADLINE_HANDLERS): Promise<number> {
  const due = await deps.store.claimDue(deps.clock.now(), DEADLINE_LEASE_MS, BATCH);
  let handled = 0;
  for (const deadline of due) {
    const handler = handlers[deadline.kind];
    try {
      if (handler) await handler(deps, deadline);
      else deps.logger.error({ deadline }, 'no handler for this kind of deadline; dropping it');
      await deps.store.complete(deadline.id);
      handled++;
    } catch (error) {
      deps.logger.error({ err: error, deadline: deadline.id }, 'deadline handler failed; it will be retried');
    }
  }
  return handled;
}

/**
 * Runs `pollDeadlines` every `intervalMs` until stopped, never two passes at once. `stop()` waits for the
 * pass in progress, so shutdown does not cut a handler in half.
 */
export function startDeadlinePoller(deps: EngineDeps, intervalMs = 1_000): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    running = pollDeadlines(deps)
      .catch((error: unknown) =>
        deps.logger.error({ err: error }, 'deadline poll failed (store unreachable?)'),
      )
      .finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
