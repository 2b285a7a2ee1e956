import { isOpen, type Incident } from '../core/incident.js';
import type { EngineDeps } from './context.js';
import { endedByPerson, guardScoring, scoreDrill } from './drill.js';
import { resolveWith } from './resolution.js';

/**
 * Resolves an incident: confirmation passed, or a person says service is restored. Ends the open stages,
 * starts the retrospective clock, estimates the impact, stores who resolved it and why, and follows the
 * resolution up (resolution-follow.ts), durably. Refuses with ILLEGAL_TRANSITION when the incident is no longer
 * open. A drill resolved here (by hand: rollbot ends its own drills with drill.ts's finishDrill) is ended as
 * endedByPerson says and scored once: its scoring guarded before the resolution is written, its ending written
 * with it.
 */
export async function resolve(
  deps: EngineDeps,
  incidentId: string,
  how: { by: string; reason: string },
): Promise<Incident> {
  const before = await deps.store.getIncident(incidentId);
  const drill = before?.drill === true && isOpen(before);
  if (drill) await guardScoring(deps, incidentId);
  const { incident } = await resolveWith(
    deps,
    incidentId,
    drill ? { ...how, drill: (current) => endedByPerson(current, { ...how, as: 'resolved' }) } : how,
    'refuse',
  );
  if (drill) await scoreDrill(deps, incident);
  return incident;
}
