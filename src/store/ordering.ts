/**
 * Orders (and one rule) shared by both stores, so that memory and Redis behave identically (ties included:
 * Redis breaks score ties by member, byte-wise).
 */
import type { Deadline, IncidentPosition, TimelineEntry } from '../engine/ports.js';

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Deadlines by due time, soonest first; ties by id. */
export function soonestFirst(a: Deadline, b: Deadline): number {
  return a.dueAt - b.dueAt || compareIds(a.id, b.id);
}

/** Incidents by openedAt, newest first; ties by id, descending (as ZREVRANGE returns them). */
export function newestFirst(a: IncidentPosition, b: IncidentPosition): number {
  return b.openedAt - a.openedAt || compareIds(b.id, a.id);
}

/** Whether `incident` is listed after `position` (IncidentFilter.before): older, or as old with a lower id. */
export function listedAfter(incident: IncidentPosition, position: IncidentPosition | undefined): boolean {
  return position === undefined || newestFirst(position, incident) < 0;
}

/** Timeline entries that travel with an incident's write must be that incident's: anything else is a bug. */
export function checkEntriesOf(
  incidentId: string,
  entries: readonly Pick<TimelineEntry, 'incidentId'>[],
): void {
  const stray = entries.find((entry) => entry.incidentId !== incidentId);
  if (stray) {
    throw new Error(`an update of ${incidentId} carried a timeline entry of ${stray.incidentId}`);
  }
}
