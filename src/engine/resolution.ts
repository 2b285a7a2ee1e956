import { isOpen, resolve as resolveIncident, type DrillEnding, type Incident } from '../core/incident.js';
import { runbookOf, type EngineDeps } from './context.js';
import { estimateImpact } from './impact.js';
import { mutateIncident, type Mutation } from './mutate.js';
import { followResolutionSafely } from './resolution-follow.js';
import { scheduleRetroOpening } from './retro.js';

/**
 * Resolves the incident as `resolve` does if it is still open; undefined when it is not (resolved, dismissed or
 * closed since the caller read it): for paths that race another replica to the same end, such as a drill
 * finished by a real alert on one replica and by its rollback on another. A drill's ending (`drill`) is written
 * with the resolution, so that whoever scores the drill scores the ending that won (drill.ts).
 */
export async function resolveIfOpen(
  deps: EngineDeps,
  incidentId: string,
  how: {
    by: string;
    reason: string;
    drill?: Omit<DrillEnding, 'at'>;
    /** Resolves it only while it is so, as read where the resolution is written (a drill still undecided). */
    onlyWhile?: (current: Incident) => boolean;
  },
): Promise<Incident | undefined> {
  const { drill, onlyWhile, ...who } = how;
  const { incident, changed } = await resolveWith(
    deps,
    incidentId,
    drill ? { ...who, drill: () => drill } : who,
    onlyWhile ? (current) => isOpen(current) && onlyWhile(current) : 'skip',
  );
  return changed ? incident : undefined;
}

/**
 * Writes a resolution (see resolve.ts) and follows it up; `whenOver` says what to do when the incident is no
 * longer open: refuse with ILLEGAL_TRANSITION, or skip (unchanged); or, a function, when to write it (skipped
 * unless it holds of the incident as stored where the resolution is written). A drill's ending, if `drill` is given, is
 * made from the drill as it is when the resolution is written, and written with it.
 */
export async function resolveWith(
  deps: EngineDeps,
  incidentId: string,
  how: { by: string; reason: string; drill?: (current: Incident) => Omit<DrillEnding, 'at'> },
  whenOver: 'refuse' | 'skip' | ((current: Incident) => boolean),
): Promise<Mutation> {
  const at = deps.clock.now();
  const before = await deps.store.getIncident(incidentId);
  const runbook = before && runbookOf(deps, before);
  const impact =
    before && runbook ? await estimateImpact(deps.metricsSource, runbook, before, at) : undefined;
  // What follows the resolution is made durable before it is written (a drill's retro is decided in drill.ts).
  if (before && isOpen(before)) await scheduleRetroOpening(deps, incidentId);
  const mutation = await mutateIncident(deps.store, incidentId, (current) => {
    if (whenOver === 'skip' && !isOpen(current)) return undefined;
    if (typeof whenOver === 'function' && !whenOver(current)) return undefined;
    return {
      ...resolveIncident(current, at),
      resolution: { by: how.by, reason: how.reason },
      ...(impact ? { impact } : {}),
      ...(how.drill ? { drillEnding: { ...how.drill(current), at } } : {}),
    };
  });
  if (!mutation.changed) return mutation;
  const { incident } = mutation;
  // Only a confirmation that completed (its gates passed) is a confirm stage's duration; one a person resolved
  // before that was cut short, and its time would pass for a confirmation's (core/stages.ts, StageClock's endedBy).
  if (incident.stages.confirm.startedAt !== undefined && incident.stages.confirm.endedBy === undefined) {
    deps.metrics.stageCompleted('confirm', incident.drill, (at - incident.stages.confirm.startedAt) / 1000);
  }
  await followResolutionSafely(deps, incidentId);
  return mutation;
}
