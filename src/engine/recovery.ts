import { isOpen } from '../core/incident.js';
import { finishRollback, isLatestAttempt } from '../core/rollback.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { finishDrill } from './drill.js';
import { mutateIncident } from './mutate.js';
import { countOnce, escalateUnknown, failedAfterRestart, reread, tookEffect } from './recovery-outcomes.js';
import { nextLook, sayStillLanding } from './recovery-wait.js';
import { rollbackLockName } from './rollback-lease.js';
import type { TimelineEntry } from './ports.js';
import { recordRollbackStarted, rollbackStartRecorded } from './rollback-incident.js';
import { rollbackServing } from './rollback-scope.js';
import { sendOnce } from './send-once.js';
import { entriesOfTypes } from './timeline-types.js';
import { attemptStandIn } from './stand-in.js';

/**
 * Finds rollbacks that were executing when their bot stopped (the incident says "executing" but nobody holds
 * the model's rollback lock) and settles each by reading the serving layer — never by executing again.
 * Run at start-up and when a rollback target comes due. Returns how many were settled.
 */
export async function recoverInterruptedRollbacks(deps: EngineDeps): Promise<number> {
  let settled = 0;
  for (const incident of await deps.store.listIncidents({ open: true })) {
    if (await recoverOrCheckLater(deps, incident.id)) settled++;
  }
  return settled;
}

export const ROLLBACK_RECOVER = 'rollback-recover';

/**
 * Settles an interrupted rollback now, or — while the model's rollback lock is still held (by a live bot, or
 * by a dead one until its lease lapses) — checks again after a lease, durably: a crashed bot's rollback must
 * not stay "executing" for good because its lock outlived the rollback target. Also while the rollback is not
 * executing yet: a rollback target is scheduled before its rollback is stored (rollback-incident.ts), and one
 * already past (a retry after a missed target) can come due in between.
 */
export async function recoverOrCheckLater(deps: EngineDeps, incidentId: string): Promise<boolean> {
  if (await recoverInterruptedRollback(deps, incidentId)) return true;
  const current = await deps.store.getIncident(incidentId);
  if (!current || !isOpen(current)) return false;
  if (!(await deps.store.holder(rollbackLockName(current.model)))) return false;
  await deps.store.schedule({
    id: `${incidentId}:rollback-recover`,
    kind: ROLLBACK_RECOVER,
    dueAt: deps.clock.now() + deps.timing.lockTtlMs,
    payload: { incidentId },
  });
  return false;
}

/**
 * Deadline kind that finishes settling an interrupted rollback when the replica that marked it "outcome unknown"
 * died (or stalled) before it re-read the serving layer and said what it found; payload `{incidentId, attempt}`.
 */
export const ROLLBACK_SETTLE = 'rollback-settle';

/**
 * When the settlement's stand-in first looks: it usually takes moments. A settler still at it then (a slow serving
 * layer, an escalation waiting to arrive) keeps its lock alive, so the stand-in finds it busy and looks again later.
 */
const SETTLE_GRACE_MS = 60_000;

/**
 * One per attempt (attemptStandIn): a settlement holds no rollback lock, so a person, told the outcome is unknown,
 * can retry while it is still at it (re-reading a slow layer, its escalation on its way); should the retry be
 * interrupted too, its settler finds the settlement's lock busy and leaves it to its own stand-in.
 */
const settleStandIn = attemptStandIn(ROLLBACK_SETTLE, 'rollback-settle');

/**
 * Settles one incident's interrupted rollback, if it has one; true when it did. Marking it "outcome unknown" is
 * the one compare-and-set that makes this replica its settler, so the settlement's stand-in is scheduled before
 * it: a settler that dies after it would otherwise leave the attempt unknown for good, a rollback that landed
 * never confirmed and one that did not never escalated.
 */
export async function recoverInterruptedRollback(deps: EngineDeps, incidentId: string): Promise<boolean> {
  const current = await deps.store.getIncident(incidentId);
  if (current?.rollback?.status !== 'executing') return false;
  if (await deps.store.holder(rollbackLockName(current.model))) return false;
  const at = deps.clock.now();
  const { attempt } = current.rollback;
  await settleStandIn(attempt).schedule(deps, incidentId, { attempt }, at + SETTLE_GRACE_MS);
  const { changed } = await mutateIncident(deps.store, incidentId, (latest) =>
    isLatestAttempt(latest, attempt) && latest.rollback.status === 'executing'
      ? finishRollback(latest, 'unknown', at, 'rollbot stopped during the rollback')
      : undefined,
  );
  if (!changed) return false;
  try {
    await settleOnce(deps, incidentId, attempt);
  } catch (error) {
    // Slack down at start-up, the layer unreachable: the settlement's stand-in finishes it, on any replica.
    deps.logger.warn(
      { err: error, incident: incidentId },
      'could not finish settling an interrupted rollback; its stand-in will',
    );
  }
  return true;
}

/**
 * Handles the settlement's stand-in: settles the attempt unless that was done. A drill is left to its scoring's
 * stand-in, which ends a drill whose rollback was left unknown (drill-scoring.ts).
 */
export async function finishSettlement(deps: EngineDeps, incidentId: string, attempt: number): Promise<void> {
  const incident = await deps.store.getIncident(incidentId);
  if (!incident || incident.drill) return;
  await settleOnce(deps, incidentId, attempt);
}

/**
 * Settles attempt `attempt`, marked unknown, unless it was settled (see sendOnce): taken in turns under the
 * settlement's lock; done once the attempt is no longer unknown (it landed: success and confirmation follow it,
 * rollback-success.ts) or its escalation is on the timeline. Then its stand-in is not needed. The lock is kept
 * alive for as long as the settlement runs, however long the re-read and the escalation's delivery take: one
 * that lapsed mid-way would let the stand-in settle too, and escalate a second time. A settler that dies stops
 * extending it, so the stand-in takes over a lock TTL later.
 */
async function settleOnce(deps: EngineDeps, incidentId: string, attempt: number): Promise<void> {
  const standIn = settleStandIn(attempt);
  let later = false;
  const settled = await sendOnce(deps, incidentId, {
    lock: `settle:${incidentId}`,
    markTypes: ['rollback.unknown'],
    isMark: (entry) => isEscalationOf(entry, attempt),
    send: async () => {
      later = (await settle(deps, incidentId, attempt)) === 'later';
    },
    lookAgainAt: (at) => standIn.schedule(deps, incidentId, { attempt }, at),
    keptAlive: { what: 'the settlement lock' },
  });
  // This attempt's own stand-in only: a later attempt's, scheduled meanwhile, still guards that one's settlement.
  // Kept when it was moved to the next look at a change still landing: it is that look.
  if (settled !== 'busy' && !later) await standIn.cancel(deps, incidentId);
}

/**
 * Says the attempt was interrupted, re-reads the serving layer and acts on what it shows: landed, a success; the
 * layer's word that the change failed (ChangeFailed), a failure, as the rollback's own path records one; 'later'
 * when the change may still be landing inside the attempt's bound, its stand-in then moved to the next look
 * (recovery-wait.ts), which settles it again; "outcome unknown", escalated, once that bound has passed or when the
 * layer could not be read. Nothing once the attempt is no longer unknown, nor the incident open: settled already,
 * retried, or a person ended the incident. A retry begun during the re-read (a slow layer; the settlement holds no
 * rollback lock) supersedes it too: counted as unknown, it is neither followed up nor escalated. Its escalation
 * would ask a person to check and run the rollback again, which one just did; the retry's own outcome (success,
 * failure, or its own settlement) says where traffic is now, and is escalated if that is in doubt.
 */
async function settle(deps: EngineDeps, incidentId: string, attempt: number): Promise<'done' | 'later'> {
  const incident = await deps.store.getIncident(incidentId);
  if (!incident || !isOpen(incident) || !isLatestAttempt(incident, attempt)) return 'done';
  const { rollback } = incident;
  if (rollback.status !== 'unknown') return 'done';
  const runbook = runbookOf(deps, incident);
  const where = runbook && rollbackServing(runbook, incident);
  // The replica that began it may have died before it recorded so: the timeline says what was interrupted.
  if (!(await rollbackStartRecorded(deps, incident.id, attempt)))
    await recordRollbackStarted(deps, incident.id, rollback);
  // A settler that died after saying so has said it: the re-read is all that is left to do.
  if (!(await interruptionRecorded(deps, incident.id, attempt)))
    await record(deps, incident, {
      type: 'rollback.unknown',
      text:
        where?.executes === false
          ? `rollbot stopped during the dry-run rollback to ${rollback.plan.to}`
          : `outcome unknown: rollbot stopped while rolling back to ${rollback.plan.to}; re-reading ${rollback.target} instead of executing again`,
      data: { attempt },
    });
  if (!runbook) return 'done';
  const finding = await reread(deps, incident, rollback, where);
  if (!isLatestAttempt(await deps.store.getIncident(incidentId), attempt)) {
    // What the layer showed may be the retry's doing, not this attempt's.
    await countOnce(deps, incident, rollback, 'unknown');
    return 'done';
  }
  if ('failed' in finding) {
    // A verdict: the layer says the change failed. Said and escalated as a failure, not as an unknown outcome.
    await failedAfterRestart(deps, incident, rollback, finding.failed);
    return 'done';
  }
  const look = nextLook(incident, rollback, finding, deps.clock.now());
  if (look && !finding.landed) {
    // Not counted yet: the outcome is not known. The stand-in, moved under this lock, is the next look.
    await settleStandIn(attempt).schedule(deps, incidentId, { attempt }, look.at);
    await sayStillLanding(deps, runbook, incident, rollback, { until: look.until, why: finding.why });
    return 'later';
  }
  await countOnce(deps, incident, rollback, finding.landed ? 'succeeded' : 'unknown');
  if (finding.landed) {
    await tookEffect(deps, runbook, incident, finding.said);
  } else if (incident.drill) {
    // Nobody is paged for a drill: its scorecard, posted in the channel, says what to check.
    await finishDrill(deps, incident.id, {
      succeeded: false,
      problem: `rollbot stopped during the rollback: ${finding.why}; check ${rollback.target} by hand`,
    });
  } else {
    await escalateUnknown(deps, runbook, incident, finding);
  }
  return 'done';
}

/**
 * Guards an attempt the rollback's own wait left unknown (rollback-unknown.ts), scheduled before that is written:
 * should its escalation (escalateUnknownOnce) not be sent, this settlement's stand-in settles it a minute on, as
 * after a restart: re-reading the layer, never executing again.
 */
export function guardSettlement(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  incidentId: string,
  attempt: number,
): Promise<void> {
  return settleStandIn(attempt).schedule(deps, incidentId, { attempt }, deps.clock.now() + SETTLE_GRACE_MS);
}

/**
 * Escalates the unknown outcome of attempt `attempt`, which the rollback's own wait found (`why`), once: under the
 * settlement's lock and with its mark, so the settlement's stand-in and this never both send it. Nothing once the
 * attempt is no longer the incident's latest, nor unknown, nor the incident open.
 */
export async function escalateUnknownOnce(
  deps: EngineDeps,
  incidentId: string,
  attempt: number,
  why: string,
): Promise<void> {
  const standIn = settleStandIn(attempt);
  const sent = await sendOnce(deps, incidentId, {
    lock: `settle:${incidentId}`,
    markTypes: ['rollback.unknown'],
    isMark: (entry) => isEscalationOf(entry, attempt),
    send: async () => {
      const incident = await deps.store.getIncident(incidentId);
      if (!incident || !isOpen(incident) || !isLatestAttempt(incident, attempt)) return;
      if (incident.rollback.status !== 'unknown') return;
      const runbook = runbookOf(deps, incident);
      if (runbook) await escalateUnknown(deps, runbook, incident, { why, after: 'the change was made' });
    },
    lookAgainAt: (at) => standIn.schedule(deps, incidentId, { attempt }, at),
  });
  if (sent !== 'busy') await standIn.cancel(deps, incidentId);
}

/** Whether `entry` is the escalation of attempt `attempt` left unknown: the mark that it was settled. */
function isEscalationOf(entry: TimelineEntry, attempt: number): boolean {
  return (
    entry.type === 'rollback.unknown' && entry.data?.attempt === attempt && entry.data.escalated === true
  );
}

/** Whether the interruption of attempt `attempt` is on the timeline (the first of its `rollback.unknown` entries). */
async function interruptionRecorded(
  deps: Pick<EngineDeps, 'store'>,
  incidentId: string,
  attempt: number,
): Promise<boolean> {
  const unknown = await entriesOfTypes(deps, incidentId, ['rollback.unknown']);
  return unknown.some((entry) => entry.data?.attempt === attempt && !entry.data.escalated);
}
