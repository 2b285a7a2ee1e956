import type { EngineDeps } from './context.js';

/**
 * How long a deadline may wait, due, before it counts as overdue. Every replica polls each second (poller.ts), so a
 * deadline due this long ago and held by no poller means polling has stopped or fallen far behind on all of them.
 */
export const OVERDUE_AFTER_MS = 60_000;

/**
 * Deadlines nobody is handling (rollbot_deadlines_overdue): due OVERDUE_AFTER_MS ago or more, claimed by no poller.
 * The escalations, reminders and settlements they guard are not happening. One being handled, or failing and
 * waiting for its next try (rollbot_deadline_failures_total), is not counted.
 */
export function deadlinesOverdue(deps: Pick<EngineDeps, 'store' | 'clock'>): Promise<number> {
  return deps.store.countUnclaimed(deps.clock.now() - OVERDUE_AFTER_MS);
}
