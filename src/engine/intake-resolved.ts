import { markAlertResolved } from '../core/incident-alerts.js';
import type { NormalizedAlert } from '../alerts/types.js';
import type { Runbook } from '../runbooks/schema.js';
import type { EngineDeps } from './context.js';
import { readIncident, retryOnContention } from './mutate.js';
import type { TimelineEntry } from './ports.js';

/** What became of a resolved alert: noted on the model's open incident, or ignored (not one of its alerts). */
export interface ResolvedOutcome {
  outcome: 'resolved' | 'ignored';
  incidentId?: string;
}

/**
 * Notes on the model's open incident that the source resolved one of its alerts, once however often the
 * resolution is delivered. Resolution at the source does not close the incident: only confirmation does.
 */
export async function noteResolved(
  deps: EngineDeps,
  runbook: Runbook,
  alert: NormalizedAlert,
): Promise<ResolvedOutcome> {
  const open = await deps.store.openIncidentFor(runbook.model);
  if (!open) return { outcome: 'ignored' };
  const at = alert.endsAt ?? deps.clock.now();
  // The mark and its timeline entry go in one write: once marked, a re-sent resolution is ignored, so an entry
  // appended after the write would be lost for good by a replica that died between the two.
  const incident = await retryOnContention(
    open.id,
    async (n) => {
      const latest = n === 0 ? open : await readIncident(deps.store, open.id);
      const marked = markAlertResolved(latest, alert, at);
      if (!marked) return NOT_MARKED;
      return deps.store.updateIncident(
        { ...marked, version: latest.version },
        { timeline: [resolvedEntry(deps, open.id, alert)] },
      );
    },
    deps.sleep,
  );
  if (incident === NOT_MARKED) return { outcome: 'ignored', incidentId: open.id };
  await deps.notifier.notify({
    type: 'incident.updated',
    incident,
    channel: runbook.channel,
    text: `${alert.name} resolved at the source (${alert.source}); waiting for confirmation`,
  });
  return { outcome: 'resolved', incidentId: incident.id };
}

/** What noteResolved's write returns when the incident has no such alert, or knows it resolved already. */
const NOT_MARKED = 'not-marked';

/** The timeline entry that records the source resolving an alert. Resolution there does not close the incident. */
function resolvedEntry(
  deps: Pick<EngineDeps, 'clock'>,
  incidentId: string,
  alert: NormalizedAlert,
): Omit<TimelineEntry, 'seq'> {
  return {
    incidentId,
    at: deps.clock.now(),
    type: 'alert.resolved',
    actor: 'rollbot',
    text: `${alert.source} reports ${alert.name} resolved; the incident stays open until confirmation passes`,
    data: { fingerprint: alert.fingerprint, source: alert.source },
  };
}
