/**
 * How an incident's stages read to people: each stage's clock against its target, a stage its resolution cut short
 * saying so also on an incident stored before stages recorded `endedBy` (read from what the incident recorded
 * besides, by the rule resolve applies).
 */
import { confirmCompletes, RESOLVED_STAGES, type Incident } from './incident.js';
import { STAGES, viewStage, type Stage, type StageClock, type StageView } from './stages.js';

/**
 * Whether the resolution cut `stage` short, for an incident resolved before stages recorded `endedBy`: such a
 * stage ended at the resolution's time, and what the incident recorded besides says whether it had completed on
 * its own — triage by a decision, the rollback by its latest attempt's success (traffic on the known-good
 * version ends it then), confirm as confirmCompletes says. The reading resolve applies to every stage it ends,
 * so an incident resolved since reads the same either way.
 */
function cutShortBefore(incident: StagesRecord, stage: (typeof RESOLVED_STAGES)[number]): boolean {
  const clock = incident.stages[stage];
  if (clock.endedBy !== undefined || incident.resolvedAt === undefined) return false;
  if (clock.startedAt === undefined || clock.endedAt !== incident.resolvedAt) return false;
  if (stage === 'triage') return incident.decision === undefined;
  if (stage === 'rollback') return incident.rollback?.status !== 'succeeded';
  return !confirmCompletes(incident);
}

/** What an incident records of how its stages went: their clocks, and what tells how the resolved ones ended. */
type StagesRecord = Pick<Incident, 'stages' | 'targets'> &
  Partial<Pick<Incident, 'resolvedAt' | 'decision' | 'rollback' | 'confirmation'>>;

/**
 * Marks stages the incident skips, saying `why` (StageClock's `skipped`): an incident opened by a rollback
 * (`rollbot rollback`, `POST /api/rollbacks`, Slack's rollback form, with no incident open) is decided as it opens,
 * from no alert: nothing was detected and nobody triaged; one a person declared (`/incident open`) has no
 * degradation onset to measure its detection from; a drill's synthetic alert starts with the drill, so it detected
 * nothing.
 */
export function skipStages(incident: Incident, stages: readonly Stage[], why: string): Incident {
  const clocks = { ...incident.stages };
  for (const stage of stages) clocks[stage] = { ...clocks[stage], skipped: why };
  return { ...incident, stages: clocks };
}

/** The incident's stage clocks, a stage its resolution cut short saying so also where it was stored without. */
function stageClocks(incident: StagesRecord): Record<Stage, StageClock> {
  const clocks = { ...incident.stages };
  for (const stage of RESOLVED_STAGES)
    if (cutShortBefore(incident, stage)) clocks[stage] = { ...clocks[stage], endedBy: 'resolution' };
  return clocks;
}

/**
 * Every stage of an incident as people see it at `now`. Given what the incident recorded besides its stage
 * clocks (a whole incident), a stage its resolution cut short reads so also on one stored before stages said it.
 */
export function viewStages(incident: StagesRecord, now: number): StageView[] {
  const clocks = stageClocks(incident);
  return STAGES.map((stage) => viewStage(stage, clocks[stage], incident.targets[stage], now));
}
