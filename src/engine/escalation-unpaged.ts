/**
 * A missed stage target recorded without paging anyone (escalation.ts decides when): it ended late or its incident
 * is over (recordLateEnd), or an escalation of the stage's latest attempt told people already (recordToldAlready);
 * and the words and the half-escalation note both those and the escalation itself use.
 */
import { formatDuration } from '../core/duration.js';
import { isOpen, type Incident } from '../core/incident.js';
import { viewStage, type Stage } from '../core/stages.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { escalationTargets } from './escalation-record.js';
import type { Told } from './escalation-overlap.js';
import type { TimelineEntry } from './ports.js';
import { entriesOfTypes } from './timeline-types.js';

/**
 * Whether a timeline entry about `stage` belongs to its current run: a further rollback (from confirm) starts the
 * rollback clock afresh, and the earlier run's escalation must not pass for this one's, which would then never go
 * out. An entry is recorded after its run started; one of an earlier run, before this one started.
 */
export function ofThisRun(entry: TimelineEntry, incident: Incident, stage: Stage): boolean {
  return entry.at >= (incident.stages[stage].startedAt ?? 0);
}

/**
 * Records a breach whose news an escalation of the stage's latest attempt told people already (`told`): counted
 * (escalateIfBreached) and on the timeline, its stage shown missed in the incident message, but not paged again.
 */
export async function recordToldAlready(
  deps: EngineDeps,
  incident: Incident,
  stage: Stage,
  told: Told,
): Promise<void> {
  const who = escalationTargets(runbookOf(deps, incident)?.escalation.mention ?? []);
  await record(deps, incident, {
    type: 'stage.breached',
    text: `${missedText(deps, incident, stage)}; ${told.what} told ${who}: not escalated again`,
    data: { stage, mention: [], delivered: false, toldBy: told.entry.type, toldAt: told.entry.at },
  });
}

/** An escalation one half of which arrived before it was given up on: noted, so that its record can say so. */
export const HALF_ESCALATED = 'stage.escalation.half';

/**
 * The half-escalation note's one key per run of the stage (ofThisRun's runs): a further rollback's escalation that
 * reaches only one half is noted too, not taken for the first rollback's note, which its record does not read.
 */
export const halfNoteKey = (incident: Incident, stage: Stage): string =>
  `${HALF_ESCALATED}:${incident.id}:${stage}:${incident.stages[stage].startedAt ?? 0}`;

/** This run's note that one half of the stage's escalation arrived (HALF_ESCALATED), if there is one. */
export async function halfEscalation(
  deps: Pick<EngineDeps, 'store'>,
  incident: Incident,
  stage: Stage,
): Promise<TimelineEntry | undefined> {
  return (await entriesOfTypes(deps, incident.id, [HALF_ESCALATED])).find(
    (entry) => entry.data?.stage === stage && ofThisRun(entry, incident, stage),
  );
}

/**
 * Records a breach that is no longer news (`why`, noLongerNews), paging nobody; one an earlier round of whose
 * escalation reached the pager or Slack (HALF_ESCALATED) says so, as the record people answer to.
 */
export async function recordLateEnd(
  deps: EngineDeps,
  incident: Incident,
  stage: Stage,
  why: string,
): Promise<void> {
  const reached = (await halfEscalation(deps, incident, stage))?.data?.reached;
  const before =
    reached === 'pager'
      ? 'the on-call had been paged, but Slack was never told; nobody is paged again'
      : reached === 'slack'
        ? 'the escalation had been posted in Slack, but nobody was paged'
        : 'nobody was paged';
  await record(deps, incident, {
    type: 'stage.breached',
    text: `${missedText(deps, incident, stage)}; ${why}: ${before}`,
    data: {
      stage,
      mention: [],
      delivered: false,
      ended: true,
      ...(isOpen(incident) ? {} : { over: true }),
      ...(reached === 'pager' || reached === 'slack' ? { reached } : {}),
    },
  });
}

/**
 * "triage target missed for fraud-scorer (INC-1): 10m 0.3s against a target of 10m", "DRILL: " first for a drill's:
 * it mentions the escalation people, whose notification shows this text and not the thread's DRILL header.
 */
export function missedText(deps: Pick<EngineDeps, 'clock'>, incident: Incident, stage: Stage): string {
  const view = viewStage(stage, incident.stages[stage], incident.targets[stage], deps.clock.now());
  const drill = incident.drill ? 'DRILL: ' : '';
  return `${drill}${stage} target missed for ${incident.model} (${incident.id}): ${formatDuration(view.elapsedMs)} against a target of ${formatDuration(view.targetMs)}`;
}
