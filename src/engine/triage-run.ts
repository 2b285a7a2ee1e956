import type { EngineDeps } from './context.js';
import type { Deadline } from './ports.js';

/** Deadline kind of an incident's triage run (triage.ts); payload `{incidentId}`. */
export const TRIAGE_RUN = 'triage-run';

/** The one deadline of an incident's triage runs: scheduling it again moves it. */
export const triageRunId = (incidentId: string): string => `${incidentId}:triage-run`;

/** The incident's triage run at `dueAt`. */
export function triageRunAt(incidentId: string, dueAt: number): Deadline {
  return { id: triageRunId(incidentId), kind: TRIAGE_RUN, dueAt, payload: { incidentId } };
}

/** A triage run at `dueAt`: for an incident about to be stored, the stand-in of its first run (opening.ts). */
export async function scheduleTriageAt(
  deps: Pick<EngineDeps, 'store'>,
  incidentId: string,
  dueAt: number,
): Promise<void> {
  await deps.store.schedule(triageRunAt(incidentId, dueAt));
}
