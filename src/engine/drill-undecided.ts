import type { EngineDeps } from './context.js';
import { finishDrill } from './drill.js';
import { DRILL_DECISION_WAIT_MS, NOBODY_DECIDED, scheduleUndecidedEnd } from './drill-decision-wait.js';

/**
 * A drill's wait for a decision is over (drill-decision-wait.ts): one still waiting (in triage) ends, failed, and
 * is scored as any failed drill is (scorecard, timeline, drill metric, retrospective), which frees the gate and
 * the model's next drill. One decided meanwhile (its rollback under way or over), or ended, is left alone, also
 * when the decision lands between this read and the ending: the ending is written only while it is in triage.
 */
export async function endUndecidedDrill(deps: EngineDeps, drillId: string): Promise<void> {
  const drill = await deps.store.getIncident(drillId);
  if (!drill?.drill || drill.phase !== 'triage') return;
  deps.logger.info({ incident: drillId }, `drill: ${NOBODY_DECIDED}; ending it as failed`);
  await finishDrill(
    deps,
    drillId,
    { succeeded: false, problem: NOBODY_DECIDED },
    { onlyWhile: (current) => current.phase === 'triage' },
  );
}

/**
 * Bounds the wait of the model's drill, if one waits for its decision: a drill started by a build before drills'
 * waits were bounded has no deadline of its own and would stay open for good. Rescheduling one that has its
 * deadline changes nothing (the same id, at the same time). For the hourly drill planner.
 */
export async function boundDrillWait(deps: EngineDeps, model: string): Promise<void> {
  const open = await deps.store.openIncidentFor(model);
  if (open?.drill && open.phase === 'triage') await scheduleUndecidedEnd(deps, open.id, open.openedAt);
}

/**
 * Ends the model's drill now if it still waits for its decision past DRILL_DECISION_WAIT_MS, as its own deadline
 * would: for a scheduled occurrence coming due at that instant (a daily schedule, a day after the drill it started),
 * which that drill, still open, would otherwise refuse and skip.
 */
export async function endLapsedWait(deps: EngineDeps, model: string): Promise<void> {
  const open = await deps.store.openIncidentFor(model);
  if (!open?.drill || open.phase !== 'triage') return;
  if (deps.clock.now() >= open.openedAt + DRILL_DECISION_WAIT_MS) await endUndecidedDrill(deps, open.id);
}
