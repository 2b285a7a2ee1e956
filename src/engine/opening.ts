import type { Incident } from '../core/incident.js';
import { STAGES, stageDueAt, type Stage } from '../core/stages.js';
import type { EngineDeps } from './context.js';
import { scheduleStageTarget, stageTargetId } from './escalation.js';
import type { Deadline } from './ports.js';
import { sendOnce, type OnceMessage } from './send-once.js';
import { standIn } from './stand-in.js';
import { scheduleTriageAt, triageRunId } from './triage-run.js';

/**
 * Deadline kind that finishes opening an incident whose opener died after storing it (or took over a minute);
 * payload `{incidentId, opening}`. What finishing means depends on who opened it: see the poller's
 * OPENING_STAND_INS.
 */
export const INCIDENT_OPENING = 'incident-opening';

/**
 * Who opens incidents: an alert (intake.ts), a drill's starter (drill-start.ts), or a rollback asked for while
 * none was open (rollback-incident.ts).
 */
export type Opening = 'alert' | 'drill' | 'manual';

/** How long the opener has to finish the opening itself, well beyond the moments it takes. */
const OPENING_GRACE_MS = 60_000;
const openingStandIn = standIn<{ opening: Opening }>(INCIDENT_OPENING, 'opening');

/**
 * Makes the opening of an incident about to be stored durable. Scheduled before it is stored, so that a crash
 * at any point after cannot leave it silent or without its clocks: the targets of the stages it is stored in
 * (triage; a manual incident's rollback and confirm); for an alert's, its first triage run, which the opener
 * brings forward to now; and the opening's stand-in. A minute on, the stand-ins do what the opener had not
 * done. Whatever comes due for an incident never stored does nothing.
 */
export async function scheduleOpening(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  candidate: Incident,
  opening: Opening,
): Promise<void> {
  const standInAt = deps.clock.now() + OPENING_GRACE_MS;
  for (const stage of runningStages(candidate)) await scheduleStageTarget(deps, candidate, stage);
  // Only an alert's incident is triaged by rollbot: a drill asks a person, a manual incident is decided.
  if (opening === 'alert') await scheduleTriageAt(deps, candidate.id, standInAt);
  await scheduleStandIn(deps, candidate.id, opening, standInAt);
}

/** The candidate was not stored (the model had an open incident by then): its opening's deadlines go. */
export async function dropOpening(deps: Pick<EngineDeps, 'store'>, candidate: Incident): Promise<void> {
  const ids = runningStages(candidate).map((stage) => stageTargetId(candidate.id, stage));
  for (const id of [...ids, triageRunId(candidate.id), openingStandIn.id(candidate.id)])
    await deps.store.cancel(id);
}

/** The opener finished the opening: its stand-in is not needed. */
export async function openingDone(deps: Pick<EngineDeps, 'store'>, incidentId: string): Promise<void> {
  await openingStandIn.cancel(deps, incidentId);
}

/** Has the opening's stand-in come again at `dueAt`: a step of the opening was busy or not yet decidable. */
export function scheduleStandIn(
  deps: Pick<EngineDeps, 'store'>,
  incidentId: string,
  opening: Opening,
  dueAt: number,
): Promise<void> {
  return openingStandIn.schedule(deps, incidentId, { opening }, dueAt);
}

/**
 * Who opened the incident a stand-in finishes. A stand-in without `opening` was scheduled before drills and
 * manual incidents had stand-ins of their own: it is an alert's.
 */
export function openingOf(deadline: Deadline): Opening {
  const opening = deadline.payload.opening;
  return opening === 'drill' || opening === 'manual' ? opening : 'alert';
}

/**
 * A step of the opening that its opener and its stand-in may both attempt: taken in turns under the opening's
 * lock and done unless its mark is on the timeline (see sendOnce). Busy: the other one is at it, and the
 * stand-in looks again once the lock has lapsed.
 */
export function openOnce(
  deps: Pick<EngineDeps, 'store' | 'clock' | 'timing' | 'logger'>,
  incidentId: string,
  opening: Opening,
  step: Pick<OnceMessage, 'markTypes' | 'isMark' | 'send'>,
): Promise<'sent' | 'was-sent' | 'busy'> {
  return sendOnce(deps, incidentId, {
    lock: `opening:${incidentId}`,
    ...step,
    lookAgainAt: (at) => scheduleStandIn(deps, incidentId, opening, at),
  });
}

/** The stages whose clock runs from the moment the incident is stored. */
function runningStages(candidate: Incident): Stage[] {
  return STAGES.filter(
    (stage) => stageDueAt(candidate.stages[stage], candidate.targets[stage]) !== undefined,
  );
}
