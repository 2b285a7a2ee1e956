/**
 * The escalation of a real rollback that FAILED: the moment a 2am on-call most needs to be woken, so it is a
 * delivered event as a missed target's is (escalation.ts), not handed to a queue that dies with its replica.
 * A stand-in scheduled before the failure is written sends it a minute on unless its mark (the escalated
 * `rollback.failed` entry, written once it arrived or was given up on) is on the timeline. A drill's failure
 * pages nobody: its scorecard, scored by its own stand-in (drill-scoring.ts), says it.
 */
import { isRollbotError, withHint, type RollbotError } from '../core/errors.js';
import { isOpen, type Incident } from '../core/incident.js';
import { isLatestAttempt, type RollbackPlan, type RollbackRecord } from '../core/rollback.js';
import type { Runbook } from '../runbooks/schema.js';
import { sentence } from '../core/text.js';
import { escalateAndRecord } from './escalation-record.js';
import { escalationLock } from './escalation-overlap.js';
import { runbookOf, type EngineDeps } from './context.js';
import type { EscalationEvent } from './notifier-port.js';
import type { TimelineEntry } from './ports.js';
import { rollbackLockName } from './rollback-lease.js';
import { sendOnce } from './send-once.js';
import { attemptStandIn } from './stand-in.js';

/** Deadline kind of the stand-in that sends a failed rollback's escalation; payload `{incidentId, attempt}`. */
export const ROLLBACK_FAILED = 'rollback-failed';

/** How long the replica whose rollback failed has to deliver its escalation: past arrivalWaitMs. */
const FAILED_GRACE_MS = 60_000;

/** One per attempt (attemptStandIn): an attempt can fail while an earlier one's escalation is still on its way. */
const failedStandIn = attemptStandIn(ROLLBACK_FAILED, 'rollback-failed');

/** What a failed rollback's escalation says, a drill's (told in its thread) and a real one's alike. */
function failedText(model: string, plan: Pick<RollbackPlan, 'from' | 'to'>, error: string): string {
  return `rollback of ${model} to ${plan.to} FAILED: ${error}. Traffic may still be on ${plan.from ?? 'the bad version'}; decide now.`;
}

/** A failed rollback's escalation, saying `failedText`: a drill's (told in its thread) and a real one's alike. */
export function failedEscalation(
  incident: Incident,
  runbook: Runbook,
  plan: Pick<RollbackPlan, 'from' | 'to'>,
  error: string,
): EscalationEvent {
  return {
    type: 'escalation',
    incident,
    channel: runbook.channel,
    stage: 'rollback',
    about: 'rollback-failed',
    mention: runbook.escalation.mention,
    text: failedText(incident.model, plan, error),
  };
}

/**
 * What an attempt that failed with `error` is recorded as, whoever saw it fail: the rollback's own path, or a
 * replica settling it after a restart when the layer says the change failed (recovery-outcomes.ts). `message` is
 * kept on the attempt (its `error`, which the escalation quotes); `entry` is its `rollback.failed` timeline entry,
 * with the hint, and what the layer said (a command's stderr, an HTTP body) when the error carries it.
 */
export function failureRecord(
  error: unknown,
  attempt: number,
): {
  known: RollbotError | undefined;
  message: string;
  entry: { type: 'rollback.failed'; text: string; data: Record<string, unknown> };
} {
  const known = isRollbotError(error) ? error : undefined;
  const message = known?.message ?? (error instanceof Error ? error.message : String(error));
  const details =
    known?.details && typeof known.details === 'object'
      ? { details: known.details as Record<string, unknown> }
      : {};
  return {
    known,
    message,
    entry: {
      type: 'rollback.failed',
      text: `rollback failed: ${withHint(message, known?.hint)}`,
      data: { attempt, ...details },
    },
  };
}

/**
 * Guards the write of attempt `attempt`'s failure: scheduled before it, the stand-in escalates the failure a
 * minute on should this process die, or its escalation not arrive, at any point after.
 */
export function guardFailureEscalation(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  incidentId: string,
  attempt: number,
): Promise<void> {
  return failedStandIn(attempt).schedule(deps, incidentId, { attempt }, deps.clock.now() + FAILED_GRACE_MS);
}

/**
 * Escalates a failed attempt now (escalateFailedRollback), waiting at most `arrivalWaitMs`: one still on its way
 * then, or not sent for any other reason, is left to the stand-in scheduled before the failure was written
 * (guardFailureEscalation). For the rollback's own path and a settlement after a restart alike.
 */
export async function escalateFailureOrLeaveToStandIn(
  deps: EngineDeps,
  incidentId: string,
  attempt: number,
): Promise<void> {
  try {
    await escalateFailedRollback(deps, incidentId, attempt);
  } catch (error) {
    deps.logger.warn(
      { err: error, incident: incidentId, attempt },
      "a failed rollback's escalation has not arrived yet; its stand-in sees to it in a minute",
    );
  }
}

/**
 * Escalates the failure of attempt `attempt` unless its escalation is on the timeline (sendOnce): by the
 * replica whose rollback failed, once it released the rollback lock, and by the stand-in. Nothing for a drill,
 * an incident over (resolved by a person), or an attempt that is not the incident's latest (a person ran the
 * rollback again since) — both asked again under the send lock, just before sending, and then this attempt's
 * stand-in is cancelled — or did not fail. One still on its way after `arrivalWaitMs` throws StillOnItsWay: it
 * is recorded once it arrives, or the stand-in sends it again (only the half that did not arrive) should it be
 * given up on or this replica die.
 */
export async function escalateFailedRollback(
  deps: EngineDeps,
  incidentId: string,
  attempt: number,
): Promise<void> {
  const standIn = failedStandIn(attempt);
  const incident = await deps.store.getIncident(incidentId);
  if (!stillWorthEscalating(incident, attempt)) return;
  const runbook = runbookOf(deps, incident);
  if (!runbook) return;
  const { rollback } = incident;
  if (rollback.status === 'executing') {
    // Stalled between scheduling this and writing the failure: look again once its lock has lapsed. A rollback
    // whose replica died there is settled as "outcome unknown" (recovery.ts), which escalates on its own.
    if (await deps.store.holder(rollbackLockName(incident.model)))
      await standIn.schedule(deps, incidentId, { attempt }, deps.clock.now() + deps.timing.lockTtlMs);
    return;
  }
  if (rollback.status !== 'failed') return;
  const sent = await sendOnce(deps, incidentId, {
    // The rollback stage's: a missed target taking its turn after it finds this told people (escalation-overlap.ts).
    lock: escalationLock(incidentId, 'rollback'),
    markTypes: ['rollback.failed'],
    isMark: (entry) => isEscalationOf(entry, attempt),
    send: async () => {
      // Asked again once the lock is held (this replica may have paused before taking it, or after): never a
      // "FAILED … decide now" page for an attempt a person already ran again (the later one escalates its own),
      // nor for an incident a person resolved meanwhile: there is nothing left to decide.
      if (!stillWorthEscalating(await deps.store.getIncident(incidentId), attempt)) return;
      await sendFailure(deps, runbook, incident, rollback);
    },
    lookAgainAt: (at) => standIn.schedule(deps, incidentId, { attempt }, at),
  });
  // This attempt's own stand-in only: a later attempt's, scheduled meanwhile, still guards that one's escalation.
  if (sent !== 'busy') await standIn.cancel(deps, incidentId);
}

/**
 * Whether attempt `attempt`'s failure is still worth a "decide now" page: a real incident, still open, whose latest
 * attempt it is. Asked before the send lock is taken and again once it is held.
 */
function stillWorthEscalating(
  incident: Incident | undefined,
  attempt: number,
): incident is Incident & { rollback: RollbackRecord } {
  return incident !== undefined && !incident.drill && isOpen(incident) && isLatestAttempt(incident, attempt);
}

/** Delivers, then records: the escalated `rollback.failed` entry is the mark that the failure was escalated. */
async function sendFailure(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  rollback: RollbackRecord,
): Promise<void> {
  const { plan, attempt } = rollback;
  const escalation = failedEscalation(incident, runbook, plan, rollback.error ?? 'see the timeline');
  const { text } = escalation;
  deps.logger.warn({ incident: incident.id, attempt }, 'rollback failed; escalating');
  await escalateAndRecord(deps, incident, escalation, `the rollback-failed escalation of ${incident.id}`, {
    type: 'rollback.failed',
    data: { attempt, escalated: true },
    text: (reach) => `${text} ${sentence(reach)}.`,
  });
}

/** Whether `entry` is the escalation of attempt `attempt`'s failure: the mark that it was sent. */
function isEscalationOf(entry: TimelineEntry, attempt: number): boolean {
  return entry.type === 'rollback.failed' && entry.data?.attempt === attempt && entry.data.escalated === true;
}
