import { isOpen, type Incident } from '../core/incident.js';
import { finishRollback, type RollbackRecord } from '../core/rollback.js';
import type { Runbook } from '../runbooks/schema.js';
import { escalateAndRecord } from './escalation-record.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { finishDrill } from './drill.js';
import { mutateIncident } from './mutate.js';
import { rollbackLockName } from './rollback.js';
import type { TimelineEntry } from './ports.js';
import { recordRollbackStarted, rollbackStartRecorded } from './rollback-incident.js';
import { followSuccess, guardSuccess } from './rollback-success.js';
import { rollbackServing, type RollbackServing } from './rollback-scope.js';
import { sendOnce } from './send-once.js';
import { standIn } from './stand-in.js';

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
const settleStandIn = standIn<{ attempt: number }>(ROLLBACK_SETTLE, 'rollback-settle');

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
  await settleStandIn.schedule(deps, incidentId, { attempt }, at + SETTLE_GRACE_MS);
  const { changed } = await mutateIncident(deps.store, incidentId, (latest) =>
    latest.rollback?.status === 'executing' && latest.rollback.attempt === attempt
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
  const settled = await sendOnce(deps, incidentId, {
    lock: `settle:${incidentId}`,
    isMark: (entry) => isEscalationOf(entry, attempt),
    send: () => settle(deps, incidentId, attempt),
    lookAgainAt: (at) => settleStandIn.schedule(deps, incidentId, { attempt }, at),
    keptAlive: { what: 'the settlement lock' },
  });
  if (settled !== 'busy') await settleStandIn.cancel(deps, incidentId);
}

/** What re-reading the serving layer says about an interrupted rollback: it landed, or why nobody can tell. */
type Finding = { landed: true; said: string } | { landed: false; why: string; blind?: true };

/**
 * Says the attempt was interrupted, re-reads the serving layer and acts on what it shows. Nothing once the attempt
 * is no longer unknown, nor the incident open: settled already, retried, or a person ended the incident.
 */
async function settle(deps: EngineDeps, incidentId: string, attempt: number): Promise<void> {
  const incident = await deps.store.getIncident(incidentId);
  const rollback = incident?.rollback;
  if (!incident || !isOpen(incident) || rollback?.attempt !== attempt || rollback.status !== 'unknown')
    return;
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
  if (!runbook) return;
  const finding = await reread(deps, incident, rollback, where);
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
}

/** How long the claim that an attempt's outcome was counted is kept: past any settlement's rounds. */
const COUNTED_CLAIM_MS = 7 * 24 * 3_600_000;

/**
 * Counts the attempt's outcome in rollbot_rollbacks_total once across rounds and replicas: a settlement comes
 * round again while its escalation is on its way (Slack down for minutes), re-reading the layer each time, and
 * counting each round would report one interrupted rollback as several. A later round that finds it landed
 * after all still counts that, once.
 */
async function countOnce(
  deps: EngineDeps,
  incident: Incident,
  rollback: RollbackRecord,
  outcome: 'succeeded' | 'unknown',
): Promise<void> {
  const key = `rollback-counted:${incident.id}:${rollback.attempt}:${outcome}`;
  if (!(await deps.store.claimOnce(key, COUNTED_CLAIM_MS))) return;
  deps.metrics.rollbackFinished(
    incident.model,
    outcome,
    rollback.trigger,
    (deps.clock.now() - rollback.startedAt) / 1000,
  );
}

/** Reads the layer the rollback acted on: the drill target for a drill, and nothing for a dry-run drill. */
async function reread(
  deps: EngineDeps,
  incident: Incident,
  rollback: RollbackRecord,
  where: RollbackServing | undefined,
): Promise<Finding> {
  const { plan, target } = rollback;
  if (!where) return { landed: false, why: `runbooks/${incident.model}.yml has no drill block any more` };
  if (!where.executes) return { landed: true, said: 'a dry run executes nothing, so nothing changed' };
  try {
    const adapter = deps.serving(where.serving, { model: incident.model });
    // A fresh adapter without a status check would say "not on target" whatever happened.
    if (adapter.readsState === false)
      return {
        landed: false,
        why: `${target} has no status check, so rollbot cannot tell whether the rollback landed`,
        blind: true,
      };
    if (await adapter.onTarget(plan))
      return {
        landed: true,
        said: `${target} shows traffic on ${plan.to}, so the interrupted rollback took effect`,
      };
    return { landed: false, why: `${target} does not show traffic on ${plan.to}` };
  } catch (error) {
    return { landed: false, why: `${target} could not be read (${(error as Error).message})` };
  }
}

/** The interrupted rollback took effect: confirm it as after any rollback, or score the drill. */
async function tookEffect(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  said: string,
): Promise<void> {
  const at = deps.clock.now();
  const attempt = incident.rollback?.attempt ?? 1;
  // As after any real rollback's success: what follows it must not die with this process (rollback-success.ts).
  if (!incident.drill) await guardSuccess(deps, incident.id, attempt);
  // Only the attempt re-read: one a person started since (a retry) is not this one's to call a success.
  const { incident: done, changed } = await mutateIncident(deps.store, incident.id, (latest) =>
    latest.rollback?.attempt === attempt && latest.rollback.status === 'unknown'
      ? finishRollback(latest, 'succeeded', at)
      : undefined,
  );
  if (!changed) return;
  if (!incident.drill) {
    await followSuccess(deps, incident.id, attempt, said);
    return;
  }
  // A drill's versions are its drill target's: the production ledger (followSuccess marks it) never learns them.
  const text = `${said}; scoring the drill`;
  await record(deps, done, { type: 'rollback.succeeded', text });
  await deps.notifier.notify({ type: 'incident.updated', incident: done, channel: runbook.channel, text });
  // The rollback landed, but a bot that stops mid-rollback is what a drill is there to find: it fails the drill.
  await finishDrill(deps, incident.id, {
    succeeded: true,
    problem: `rollbot stopped during the rollback: ${said}`,
  });
}

/** Production, outcome unknown: a person must look before anyone runs the rollback again. */
async function escalateUnknown(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  finding: { why: string; blind?: true },
): Promise<void> {
  const to = incident.rollback?.plan.to ?? 'the known-good version';
  const target = incident.rollback?.target ?? 'the serving layer';
  const text = finding.blind
    ? `rollback of ${incident.model} to ${to}: outcome unknown after a restart: ${finding.why}; check ${target} by hand before running it again (a rollback that toggles, like helm rollback, undoes one that landed). If it landed, resolve once the metrics are back (rollbot resolve ${incident.id} --reason …); to let rollbot check next time, add a status check to the serving block of the runbook (statusArgv for command, status for http).`
    : `rollback of ${incident.model} to ${to}: outcome unknown after a restart; ${finding.why}. Check it, then run the rollback again (rollbot rollback ${incident.model} --reason …) or decide otherwise.`;
  // Delivered, then recorded: the entry is the mark that the settlement is done (settleOnce), so it is written
  // only once the escalation reached Slack and the pager (or they gave up on it), never while it only waits in
  // this replica's queue; one still on its way after arrivalWaitMs is recorded once it arrives (sendOnce), or
  // left to the settlement's stand-in, which sends it again if it was given up on or this replica died.
  await escalateAndRecord(
    deps,
    incident,
    {
      type: 'escalation',
      incident,
      channel: runbook.channel,
      stage: 'rollback',
      // Not the rollback stage's missed target, which a restart after its 5 minutes sends at the same moment.
      about: 'outcome-unknown',
      mention: runbook.escalation.mention,
      text,
    },
    `the outcome-unknown escalation of ${incident.id}`,
    {
      type: 'rollback.unknown',
      data: { attempt: incident.rollback?.attempt, escalated: true },
      // The text asks people to check by hand already: only what is left to do besides is added.
      text: (reach, { arrived, byHand }) =>
        arrived ? `${text}${byHand ? ` (but ${byHand})` : ''}` : `${text} (${reach})`,
    },
  );
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
  const timeline = await deps.store.list(incidentId);
  return timeline.some(
    (entry) => entry.type === 'rollback.unknown' && entry.data?.attempt === attempt && !entry.data.escalated,
  );
}
