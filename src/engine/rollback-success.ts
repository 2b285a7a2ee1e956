import { formatDuration } from '../core/duration.js';
import { isLatestAttempt } from '../core/rollback.js';
import { startConfirmation } from './confirm.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { rollbackLockName } from './rollback-lease.js';
import { sendOnce } from './send-once.js';
import { attemptStandIn } from './stand-in.js';

/**
 * Deadline kind of the stand-in that does what follows a real rollback's success when the replica that wrote the
 * success did not (it died, or stalled); payload `{incidentId, attempt}`.
 */
export const ROLLBACK_SUCCESS = 'rollback-success';

/** How long whoever wrote the success has to follow it up, well beyond the moments it takes. */
const SUCCESS_GRACE_MS = 60_000;

/**
 * One per attempt (attemptStandIn): a follow-up run by this stand-in (the replica that wrote the success died, or
 * stalled) or by a settlement (recovery-outcomes.ts) holds no rollback lock, so a person can roll back again,
 * further, while it is under way.
 */
const successStandIn = attemptStandIn(ROLLBACK_SUCCESS, 'rollback-success');

/**
 * Guards the write of a real rollback's success: scheduled before it, the stand-in follows the success up a minute
 * on should this process die at any point after. (A drill's success is followed by its scoring, drill.ts.)
 */
export function guardSuccess(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  incidentId: string,
  attempt: number,
): Promise<void> {
  return successStandIn(attempt).schedule(deps, incidentId, { attempt }, deps.clock.now() + SUCCESS_GRACE_MS);
}

/**
 * What follows a real rollback attempt's success, each part once, by whoever wrote it or by the stand-in: the
 * ledger marks the version rolled away from as rolled back (so it is never picked as known-good), the success
 * is announced then recorded (`rollback.succeeded`, its mark), and confirmation starts
 * (its first entry, written last, its mark). `said` is what the success rests on, when the caller knows better
 * than the stored attempt. Nothing for an attempt that did not succeed, nor for one that is not the incident's
 * latest (isLatestAttempt): asked again after each wait, since a follow-up run by a stand-in or a settlement holds
 * no rollback lock, and a person may have rolled back again, further, meanwhile. Then the later attempt's own
 * follow-up announces and confirms it; this one's stand-in is cancelled, or, come due, does nothing.
 */
export async function followSuccess(
  deps: EngineDeps,
  incidentId: string,
  attempt: number,
  said?: string,
): Promise<void> {
  const standIn = successStandIn(attempt);
  const incident = await deps.store.getIncident(incidentId);
  const runbook = incident && runbookOf(deps, incident);
  if (!incident || incident.drill || !runbook) return;
  if (!isLatestAttempt(incident, attempt)) return standIn.cancel(deps, incidentId);
  const { rollback } = incident;
  if (rollback.status === 'executing') {
    // Stalled between scheduling this and writing the outcome: look again once its lock has lapsed.
    if (await deps.store.holder(rollbackLockName(incident.model)))
      await standIn.schedule(deps, incidentId, { attempt }, deps.clock.now() + deps.timing.lockTtlMs);
    return;
  }
  if (rollback.status !== 'succeeded' || rollback.endedAt === undefined) return;
  const { from, to } = rollback.plan;
  // Never mark the target itself: a plan from a version to the same one moved nothing away from it. Marked even
  // once superseded: this attempt did move traffic away from it.
  if (from !== undefined && from !== to)
    await deps.store.markRolledBack(incident.model, from, rollback.endedAt, incident.id);
  const stillLatest = async () => isLatestAttempt(await deps.store.getIncident(incidentId), attempt);
  if (!(await stillLatest())) return standIn.cancel(deps, incidentId);
  // The rollback target is left to come due (the stage has ended: nothing to escalate, unless it ended past its
  // target). Cancelling it here could take away a later attempt's, scheduled under the same id before that one is
  // stored, which is what settles that attempt should its replica die while executing.
  const text = `${said ?? `traffic is on ${to} after ${formatDuration(rollback.endedAt - rollback.startedAt)} (target ${formatDuration(incident.targets.rollback)})`}; confirming`;
  const lookAgainAt = (at: number) => standIn.schedule(deps, incident.id, { attempt }, at);
  const announced = await sendOnce(deps, incident.id, {
    lock: `rollback-success:${incident.id}`,
    markTypes: ['rollback.succeeded'],
    isMark: (entry) => entry.data?.attempt === attempt,
    send: async () => {
      // After waiting for the lock (another attempt's follow-up holds it, or this replica paused): never a
      // "rolled back to" a later attempt went past. A notice that did go out is recorded all the same.
      if (!(await stillLatest())) return;
      await deps.notifier.notify({
        type: 'incident.updated',
        incident,
        channel: runbook.channel,
        text: `rolled back to ${to}: ${text}`,
      });
      await record(deps, incident, { type: 'rollback.succeeded', text, data: { attempt } });
    },
    lookAgainAt,
  });
  if (announced === 'busy') return;
  // startConfirmation skips an attempt that is no longer the latest: no entry, no confirmation poll.
  const confirming = await sendOnce(deps, incident.id, {
    lock: `rollback-success:${incident.id}`,
    markTypes: CONFIRMATION_STARTS,
    isMark: (entry) => entry.data?.attempt === attempt,
    send: () => startConfirmation(deps, incident.id, attempt),
    lookAgainAt,
  });
  // This attempt's own stand-in only: a later attempt's, scheduled meanwhile, still guards that one's follow-up.
  if (confirming !== 'busy') await standIn.cancel(deps, incident.id);
}

const CONFIRMATION_STARTS = ['confirm.started', 'confirm.manual'];
