import type { EngineDeps } from './context.js';
import { standIn } from './stand-in.js';

/**
 * How long a drill waits for a person's decision (an `approve` policy's approver, or anyone when no check was
 * breached) before it ends, failed (drill-undecided.ts). Left open, it would hold the deployment gate closed and
 * refuse the model's next drills for good; a day covers a drill started at night or before a quiet morning.
 */
export const DRILL_DECISION_WAIT_MS = 24 * 3_600_000;

const WAIT = `${DRILL_DECISION_WAIT_MS / 3_600_000} h`;

/** What went wrong in a drill nobody decided on in time. */
export const NOBODY_DECIDED = `nobody decided within ${WAIT}`;

/** What the drill's request for a decision warns of. */
export const FAILS_UNDECIDED = `the drill fails if nobody decides within ${WAIT}`;

/** Deadline kind of a drill's end for want of a decision; payload `{incidentId}`. */
export const DRILL_UNDECIDED = 'drill-undecided';

const undecided = standIn(DRILL_UNDECIDED, 'drill-undecided');

/**
 * Has a drill that waits for a person end, failed, DRILL_DECISION_WAIT_MS after `startedAt` unless decided by
 * then: a durable deadline, scheduled before the drill is stored, so that it fires once across replicas and
 * restarts.
 */
export function scheduleUndecidedEnd(
  deps: Pick<EngineDeps, 'store'>,
  drillId: string,
  startedAt: number,
): Promise<void> {
  return undecided.schedule(deps, drillId, {}, startedAt + DRILL_DECISION_WAIT_MS);
}

/** The drill has ended, or was never stored: its wait for a decision is over. */
export function cancelUndecidedEnd(deps: Pick<EngineDeps, 'store'>, drillId: string): Promise<void> {
  return undecided.cancel(deps, drillId);
}
