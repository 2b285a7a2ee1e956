/**
 * One situation, one escalation: the one rule of when an escalation would only repeat one that reached people
 * already, for the same rollback attempt. Both then page the same key (paging/policy.ts resolves the stage's page
 * and rings anew), so the on-call would be woken twice, seconds apart, for nothing new; the repeat is recorded on
 * the timeline instead (and a missed target counted), saying which escalation told it.
 *
 * - A stage's missed target repeats the escalation of what its latest attempt came to: the rollback's, a FAILED
 *   rollback or an outcome unknown ("traffic is not on the known-good version"); confirm's, a confirmation that
 *   did not pass ("service is not confirmed restored"). The page of that escalation is still the on-call's, and
 *   their pager re-notifies until it is acknowledged.
 * - A confirmation's INCONCLUSIVE (no verdict within its own confirm target, counted from when traffic landed)
 *   repeats the stage's missed target (counted from the decision, seconds earlier) whose escalation said when that
 *   confirmation would give up (confirmingUntil).
 *
 * What is news still escalates: a FAILED rollback or a FAIL/ERROR verdict after the target (an error, a bad
 * metric), anything about a later attempt, anything whose earlier escalation did not arrive (`delivered`), and an
 * INCONCLUSIVE, which pages at any hour, after a missed target's escalation that paged nobody (a SEV-3's at night).
 * The senders of a stage's escalations take turns under one lock (escalationLock), so that the second finds the
 * first's entry rather than crossing it.
 */
import type { Incident } from '../core/incident.js';
import type { Stage } from '../core/stages.js';
import type { TimelineEntry } from './ports.js';
import { iso } from './retro-context.js';

/** The lock every escalation about `stage` of an incident is sent under (sendOnce's). */
export const escalationLock = (incidentId: string, stage: Stage): string =>
  `escalation:${incidentId}:${stage}`;

/** An earlier escalation that told people what a later one would say: its timeline entry, and how to name it. */
export interface Told {
  entry: TimelineEntry;
  /** "the rollback FAILED escalation at 2026-11-22T02:04:50Z", for the record of the repeat. */
  what: string;
}

/** The escalations of a stage's latest attempt, by the type of their timeline entry, and what each is called. */
const ATTEMPT_ESCALATIONS: Partial<Record<Stage, Record<string, (entry: TimelineEntry) => string>>> = {
  rollback: {
    'rollback.failed': () => 'the rollback FAILED escalation',
    'rollback.unknown': () => 'the outcome-unknown escalation',
  },
  confirm: { 'confirm.failed': (entry) => `the confirmation's ${String(entry.data?.verdict)} escalation` },
};

/** The types of timeline entry missedTargetToldBy looks among for `stage`: none for a stage without attempts. */
export function attemptEscalationTypes(stage: Stage): string[] {
  return Object.keys(ATTEMPT_ESCALATIONS[stage] ?? {});
}

/**
 * The escalation that already told people what `stage`'s missed target would, if one did: an escalation of the
 * incident's latest rollback attempt that reached them (delivered) since the stage's run began, the attempt having
 * come to that end (failed, unknown, or a confirmation that did not pass) and no later attempt started.
 */
export function missedTargetToldBy(
  incident: Incident,
  stage: Stage,
  entries: readonly TimelineEntry[],
): Told | undefined {
  const names = ATTEMPT_ESCALATIONS[stage];
  const attempt = incident.rollback?.attempt;
  if (!names || attempt === undefined || !attemptEnded(incident, stage)) return undefined;
  const since = incident.stages[stage].startedAt ?? 0;
  const entry = entries.findLast(
    (e) =>
      names[e.type] !== undefined &&
      e.at >= since &&
      e.data?.attempt === attempt &&
      e.data.delivered === true &&
      e.data.escalated !== false,
  );
  const name = entry && names[entry.type];
  return entry && name && { entry, what: `${name(entry)} at ${iso(entry.at)}` };
}

/** Whether the latest attempt came to the end its escalation is about, which a missed target would repeat. */
function attemptEnded(incident: Incident, stage: Stage): boolean {
  if (stage === 'rollback')
    return incident.rollback?.status === 'failed' || incident.rollback?.status === 'unknown';
  const verdict = incident.confirmation?.verdict;
  return incident.phase === 'confirm' && verdict !== undefined && verdict !== 'PASS';
}

/**
 * What a missed confirm target's escalation says of a confirmation of the latest attempt still running, and keeps
 * in its entry (`confirming`): when it gives up as INCONCLUSIVE, which then pages nobody again. Undefined when none
 * runs (the rollback not landed yet, or the confirmation over).
 */
export function confirmingUntil(incident: Incident): { attempt: number; until: number } | undefined {
  const confirmation = incident.confirmation;
  if (incident.phase !== 'confirm' || !confirmation || confirmation.verdict) return undefined;
  return {
    attempt: incident.rollback?.attempt ?? 1,
    until: confirmation.startedAt + incident.targets.confirm,
  };
}

/**
 * The missed confirm target's escalation that told people the confirmation of `attempt` would end without a
 * verdict (confirmingUntil), if one reached them as the INCONCLUSIVE would: the INCONCLUSIVE that follows repeats
 * it. A failed confirmation pages at any hour, a missed target by the incident's severity (paging/policy.ts: a
 * SEV-3's at night waits for business hours, a SEV-4's for the digest), so on a model that pages (`pages`) only a
 * missed target's escalation that rang the pager (`paged`) told as much.
 */
export function inconclusiveToldBy(
  attempt: number,
  entries: readonly TimelineEntry[],
  pages: boolean,
): Told | undefined {
  const entry = entries.findLast(
    (e) =>
      e.type === 'stage.breached' &&
      e.data?.stage === 'confirm' &&
      e.data.delivered === true &&
      (!pages || e.data.paged === true) &&
      (e.data.confirming as { attempt?: unknown } | undefined)?.attempt === attempt,
  );
  return entry && { entry, what: `the confirm target's escalation at ${iso(entry.at)}` };
}
