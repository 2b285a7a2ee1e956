import type { Incident } from '../core/incident.js';
import type { EngineDeps } from './context.js';
import { resolveWith } from './resolution.js';

/**
 * Resolves an incident: confirmation passed, or a person says service is restored. Ends the open stages,
 * starts the retrospective clock, estimates the impact, stores who resolved it and why, and follows the
 * resolution up (resolution-follow.ts), durably. Refuses with ILLEGAL_TRANSITION when the incident is no longer
 * open.
 */
export async function resolve(
  deps: EngineDeps,
  incidentId: string,
  how: { by: string; reason: string },
): Promise<Incident> {
  return (await resolveWith(deps, incidentId, how, 'refuse')).incident;
}
