import { formatDuration } from '../core/duration.js';
import { isOpen, recordBreach, type Incident } from '../core/incident.js';
import { escalationStaysQuiet } from '../core/settled-at-source.js';
import { stageDueAt, viewStage, type Stage } from '../core/stages.js';
import { runbookOf, type EngineDeps } from './context.js';
import { escalateAndRecord, escalationTargets } from './escalation-record.js';
import {
  attemptEscalationTypes,
  confirmingUntil,
  escalationLock,
  missedTargetToldBy,
} from './escalation-overlap.js';
import { mutateIncident } from './mutate.js';
import type { Arrival } from './notifier-port.js';
import { iso } from './retro-context.js';
import {
  HALF_ESCALATED,
  halfEscalation,
  halfNoteKey,
  missedText,
  ofThisRun,
  recordLateEnd,
  recordToldAlready,
} from './escalation-unpaged.js';
import { sendOnce } from './send-once.js';
import { entriesOfTypes } from './timeline-types.js';

export const STAGE_TARGET = 'stage-target';

/**
 * The stages whose target a deadline guards. The retrospective's is not one: its reminders chase it (retro-reminders.ts)
 * and its completion records a late one. A stage-target deadline of another stage was left by an older build.
 */
const TARGETED_STAGES: readonly Stage[] = ['detect', 'triage', 'rollback', 'confirm'];

/** Whether this build escalates a missed target of `stage` (TARGETED_STAGES). */
export function isTargetedStage(stage: unknown): stage is Stage {
  return TARGETED_STAGES.includes(stage as Stage);
}

/** The one deadline of a stage's target: scheduling it again moves it. */
export const stageTargetId = (incidentId: string, stage: Stage): string => `${incidentId}:${stage}`;

/** Schedules the durable deadline at which `stage` misses its target (a no-op if the stage is not running). */
export async function scheduleStageTarget(
  deps: Pick<EngineDeps, 'store'>,
  incident: Incident,
  stage: Stage,
): Promise<void> {
  const dueAt = stageDueAt(incident.stages[stage], incident.targets[stage]);
  if (dueAt === undefined) return;
  await scheduleStageDeadline(deps, incident.id, stage, dueAt);
}

/**
 * Hands a stage that has missed its target already (detect: rollbot hears of an alert only once detection is
 * over) to the deadline poller, due now, rather than escalating inline: the alert webhook must not wait for
 * Slack, and a replica that dies before the escalation arrives leaves its deadline to another.
 */
export async function escalateSoonIfMissed(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  incident: Incident,
  stage: Stage,
): Promise<void> {
  const now = deps.clock.now();
  if (missedTarget(incident, stage, now)) await scheduleStageDeadline(deps, incident.id, stage, now);
}

function missedTarget(incident: Incident, stage: Stage, now: number): boolean {
  const view = viewStage(stage, incident.stages[stage], incident.targets[stage], now);
  return view.state !== 'pending' && view.elapsedMs >= view.targetMs;
}

function scheduleStageDeadline(
  deps: Pick<EngineDeps, 'store'>,
  incidentId: string,
  stage: Stage,
  dueAt: number,
): Promise<void> {
  return deps.store.schedule({
    id: stageTargetId(incidentId, stage),
    kind: STAGE_TARGET,
    dueAt,
    payload: { incidentId, stage },
  });
}

/**
 * Escalates a missed stage target: at least once, and once unless a sender dies between sending and recording.
 * The breach is recorded with a compare-and-set on the incident (the one decision point across replicas, where
 * it is counted); the escalation is then sent, under a lock, unless the timeline shows it was sent already. The
 * timeline entry is written only once the escalation has reached Slack and the pager (or they gave up on it),
 * never while it only waits in a queue in memory: a replica that dies before then, even SIGKILLed with it
 * queued, leaves the deadline to come round again on another replica, which sends it. A deadline whose incident
 * was never stored is done: there is nothing to escalate.
 */
export async function escalateIfBreached(
  deps: EngineDeps,
  incidentId: string,
  stage: Stage,
): Promise<boolean> {
  const stored = await deps.store.getIncident(incidentId);
  if (!stored) {
    // Intake schedules the triage deadline before it stores the incident: its replica died in between.
    deps.logger.info(
      { incident: incidentId, stage },
      'stage target came due for an incident that was never stored; nothing to escalate',
    );
    return false;
  }
  const now = deps.clock.now();
  const { incident, changed } = await mutateIncident(
    deps.store,
    incidentId,
    (current) => (missedTarget(current, stage, now) ? recordBreach(current, stage, now) : undefined),
    { current: stored },
  );
  // Drills are kept out of production metrics and this counter has no drill label: a drill's miss is on its
  // timeline and scorecard only.
  if (changed && !incident.drill) deps.metrics.targetBreached(stage, incident.model);
  if (incident.stages[stage].breachedAt === undefined) return false;
  return sendOnceEscalated(deps, incident, stage);
}

/**
 * Why a breach is no longer news to people, or undefined while it is: the stage is still running, or it is
 * detection (which is over by the time rollbot hears of the alert, and whose lateness people must fix in their
 * alert rules) of an incident still open. A stage that ended late, after its target but before its deadline was
 * handled (a decision 300 ms past it), or the late alert of an incident over by then (dismissed or resolved before
 * its escalation went out, or before the round after a failed one), is recorded and counted like any breach, but
 * mentioning people about what has just been dealt with would be noise at 2am.
 */
function noLongerNews(incident: Incident, stage: Stage): string | undefined {
  if (stage !== 'detect' && incident.stages[stage].endedAt !== undefined) return 'it had ended by then';
  if (!isOpen(incident)) return `the incident was ${incident.phase} by then`;
  return undefined;
}

/**
 * Sends the escalation of a recorded breach unless it was sent; true when this call sent it. Under the lock that
 * the stage's other escalations (a FAILED rollback, a confirmation that did not pass) take too: one that told
 * people the same already (escalation-overlap.ts), read afresh under it, makes this one a timeline record only.
 */
async function sendOnceEscalated(deps: EngineDeps, incident: Incident, stage: Stage): Promise<boolean> {
  const sent = await sendOnce(deps, incident.id, {
    lock: escalationLock(incident.id, stage),
    markTypes: ['stage.breached'],
    isMark: (entry) => entry.data?.stage === stage && ofThisRun(entry, incident, stage),
    send: async () => {
      const why = noLongerNews(incident, stage);
      if (why !== undefined) return recordLateEnd(deps, incident, stage, why);
      const latest = (await deps.store.getIncident(incident.id)) ?? incident;
      const types = attemptEscalationTypes(stage);
      const entries = types.length ? await entriesOfTypes(deps, incident.id, types) : [];
      const told = missedTargetToldBy(latest, stage, entries);
      return told ? recordToldAlready(deps, incident, stage, told) : sendEscalation(deps, incident, stage);
    },
    lookAgainAt: (at) => scheduleStageDeadline(deps, incident.id, stage, at),
  });
  return sent === 'sent';
}

/**
 * Delivers, then records: the timeline entry is the mark that the escalation went out. One still on its way
 * after `arrivalWaitMs` fails this delivery (StillOnItsWay): it is recorded once it arrives (sendOnce), or the
 * deadline that comes round again joins it still on its way, or sends it again if it was given up on, or on
 * another replica if this one died.
 */
async function sendEscalation(deps: EngineDeps, incident: Incident, stage: Stage): Promise<void> {
  const runbook = runbookOf(deps, incident);
  const mention = runbook?.escalation.mention ?? [];
  const who = escalationTargets(mention);
  const quiet = await staysQuiet(deps, incident, stage);
  const missed = missedText(deps, incident, stage);
  // A confirmation still running ends soon after, without a verdict perhaps: said now, so that its end need not page.
  const confirming = stage === 'confirm' ? confirmingUntil(incident) : undefined;
  const until = confirming
    ? `; rollbot confirms until ${iso(confirming.until)} (${formatDuration(incident.targets.confirm)} after the traffic landed); with no verdict by then it stops and pages nobody again`
    : '';
  const loud = `${missed}${STAGE_ASK[stage]}${until}`;
  const text = quiet ? `${missed}${QUIET_ASK}` : loud;
  deps.logger.warn({ incident: incident.id, stage }, 'stage target missed; escalating');
  // Not the mark: the deadline sends the other half while the stage runs; recordLateEnd reads it once it ended.
  const noteHalf = ({ reached }: Arrival) =>
    deps.store
      .appendOnce(
        {
          incidentId: incident.id,
          at: deps.clock.now(),
          type: HALF_ESCALATED,
          actor: 'rollbot',
          text: `the ${stage} escalation reached ${reached === 'pager' ? 'the pager (the on-call was paged)' : `${who} in Slack`} only; the rest is sent again while the stage runs`,
          data: { stage, reached },
        },
        halfNoteKey(incident, stage),
      )
      .then(() => undefined);
  await escalateAndRecord(
    deps,
    incident,
    { type: 'escalation', incident, channel: runbook?.channel ?? '', stage, mention, text },
    `the ${stage} escalation of ${incident.id}`,
    {
      type: 'stage.breached',
      data: { stage, mention, ...(confirming ? { confirming } : {}) },
      // A page rang for it after all (an earlier round, still on its way, joined): its words, not "not paged".
      text: (reach, arrival) => `${arrival.paged ? loud : text}; ${reach}`,
      ...(quiet ? { slackOnly: true } : {}),
    },
    noteHalf,
  );
}

/**
 * Whether this escalation says it pages nobody: the pager's rule (escalationStaysQuiet, which paging/policy.ts
 * follows on the same incident), unless an earlier round of it rang the pager before its alerts resolved
 * (HALF_ESCALATED): the page is not sent again, but "not paged" would be untrue.
 */
async function staysQuiet(deps: EngineDeps, incident: Incident, stage: Stage): Promise<boolean> {
  if (!escalationStaysQuiet(incident, stage)) return false;
  return (await halfEscalation(deps, incident, stage))?.data?.reached !== 'pager';
}

/**
 * What a missed triage target of an incident settled at the source (escalationStaysQuiet) asks, and why it pages
 * nobody.
 */
const QUIET_ASK =
  ': every alert resolved at the source and every check passes: not paged; decide when you can: record "not a rollback", resolve it, or roll back';

/** What each missed stage asks of the people it is escalated to. */
const STAGE_ASK: Record<Stage, string> = {
  detect: ': the alert arrived late; check alert rule `for:` and Alertmanager group_wait',
  triage: ': no decision yet; roll back or record "not a rollback"',
  rollback: ': traffic is not yet on the known-good version; check the serving layer',
  // Also what to do: the checks that have not passed are in the message; a further rollback, or a person's resolution.
  confirm:
    ': the metrics have not confirmed service is restored; see the confirmation checks in the incident message, then roll back further, or resolve by hand once service is back',
  retro: ': the retrospective is overdue',
};
