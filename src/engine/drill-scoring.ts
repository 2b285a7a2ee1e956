import { isOpen } from '../core/incident.js';
import type { RollbackRecord } from '../core/rollback.js';
import type { EngineDeps } from './context.js';
import { finishDrill, scheduleScoring, scoreDrill } from './drill.js';
import { rollbackLockName } from './rollback-lease.js';

/** What went wrong in a drill whose replica stopped after its rollback got there, before it scored the drill. */
export const STOPPED_SCORING = 'rollbot stopped after the rollback, before it scored the drill';

/**
 * The stand-in of a drill's scoring, scheduled before its rollback is stored and again before the drill is ended
 * (drill.ts, guardScoring), by rollbot or by a person dismissing or resolving it. A drill ended but not scored is
 * scored. A drill whose rollback ended but whose replica stopped before ending it (it would stay open, in
 * confirm after a rollback that got there, and refuse every later drill) is ended and scored: a rollbot that
 * stops is what a drill is there to find. While its rollback is under way (the model's rollback lock held, or
 * left executing, which recovery settles at the rollback target) the stand-in looks again after a lease. A drill
 * not yet decided, or over without its ending (ended by a person before such endings were scored), is not its
 * business.
 */
export async function finishDrillScoring(deps: EngineDeps, drillId: string): Promise<void> {
  const drill = await deps.store.getIncident(drillId);
  if (!drill?.drill) return;
  if (drill.drillEnding) {
    await scoreDrill(deps, drill);
    return;
  }
  const rollback = drill.rollback;
  if (!rollback || !isOpen(drill)) return;
  if (rollback.status === 'executing' || (await deps.store.holder(rollbackLockName(drill.model)))) {
    await scheduleScoring(deps, drillId, deps.clock.now() + deps.timing.lockTtlMs);
    return;
  }
  await finishDrill(deps, drillId, endingOf(rollback));
}

/** How a drill ended whose replica stopped after its rollback did: what the rollback's record says. */
function endingOf(rollback: RollbackRecord): { succeeded: boolean; problem: string } {
  if (rollback.status === 'succeeded') return { succeeded: true, problem: STOPPED_SCORING };
  if (rollback.status === 'failed')
    return { succeeded: false, problem: `the rollback failed: ${rollback.error ?? 'see the timeline'}` };
  return {
    succeeded: false,
    problem: `rollbot stopped during the rollback; check ${rollback.target} by hand`,
  };
}
