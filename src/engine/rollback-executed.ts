import type { Incident } from '../core/incident.js';
import { keepPlanData } from '../core/rollback.js';
import type { EngineDeps } from './context.js';
import { mutateIncident } from './mutate.js';
import type { TimelineEntry } from './ports.js';

/**
 * Records that rollback attempt `attempt` made its change (or found nothing to change): its `rollback.executed`
 * entry, and, when the adapter asked to keep data with the plan (ExecuteResult.planData: a Vertex deployModel's
 * operation), that data merged into the stored attempt's plan in the same write. Every later onTarget — this
 * process's polls, and after a restart another replica's settlement and its stand-in's looks — is then given the
 * plan with it, and a crash cannot leave the change recorded without it. Without data it is the entry alone: a
 * rollback that keeps nothing makes no more writes than one before this existed.
 */
export async function recordExecuted(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  executed: { incident: Incident; attempt: number; text: string; output?: string | undefined },
  kept: Record<string, unknown> | undefined,
): Promise<void> {
  const incidentId = executed.incident.id;
  const entry: Omit<TimelineEntry, 'seq'> = {
    incidentId,
    at: deps.clock.now(),
    type: 'rollback.executed',
    actor: 'rollbot',
    text: executed.text,
    data: executed.output ? { output: executed.output } : {},
  };
  if (kept === undefined) {
    await deps.store.append(entry);
    return;
  }
  // Written over the incident as the rollback stored it, read again only if it changed since: one round trip.
  const { changed } = await mutateIncident(
    deps.store,
    incidentId,
    (current) => keepPlanData(current, executed.attempt, kept),
    { current: executed.incident, timeline: [entry] },
  );
  // A later attempt superseded this one meanwhile (its lock lapsed, it was settled, a person retried): the data is
  // no later look's business, but the change this attempt made belongs on the record all the same.
  if (!changed) await deps.store.append(entry);
}
