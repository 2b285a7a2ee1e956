import { hasResolvedAlert, markAlertResolved } from '../core/incident-alerts.js';
import type { Incident } from '../core/incident.js';
import type { NormalizedAlert } from '../alerts/types.js';
import type { Runbook } from '../runbooks/schema.js';
import type { EngineDeps } from './context.js';
import { readIncident, retryOnContention } from './mutate.js';
import type { TimelineEntry } from './ports.js';

/** What became of a resolved alert: noted on the model's open incident, or ignored (not one of its). */
export interface ResolvedOutcome {
  outcome: 'resolved' | 'ignored';
  incidentId?: string;
}

/** How many alert names the channel's line names; the timeline has every one. */
const NAMES_SHOWN = 5;

/**
 * Notes on the model's open incident that the source resolved these alerts of it (one model's share of a
 * notification), each once however often it is delivered. Resolution at the source does not close the
 * incident: only confirmation does. The marks and their timeline entries go in one write, and the channel
 * hears of them in one line: a group of hundreds resolving together must not queue hundreds of thread
 * replies, at Slack's one message a second, in front of the channel's escalations.
 */
export async function noteResolved(
  deps: EngineDeps,
  runbook: Runbook,
  alerts: readonly NormalizedAlert[],
): Promise<ResolvedOutcome[]> {
  const open = alerts.length ? await deps.store.openIncidentFor(runbook.model) : undefined;
  if (!open) return alerts.map(() => ({ outcome: 'ignored' }));
  // Once marked, a re-sent resolution is ignored: an entry appended after the write would be lost for good
  // by a replica that died between the two.
  const result = await retryOnContention(
    open.id,
    async (n) => {
      const latest = n === 0 ? open : await readIncident(deps.store, open.id);
      const { incident, marked } = markAll(deps, latest, alerts);
      if (!marked.length) return NONE_MARKED;
      const timeline = marked.map((index) => resolvedEntry(deps, open.id, alerts[index] as NormalizedAlert));
      const stored = await deps.store.updateIncident({ ...incident, version: latest.version }, { timeline });
      return stored && { incident: stored, marked };
    },
    deps.sleep,
  );
  const marked = result === NONE_MARKED ? NONE : new Set(result.marked);
  const held = result === NONE_MARKED ? open : result.incident;
  const outcomes: ResolvedOutcome[] = alerts.map((alert, index) => {
    if (marked.has(index)) return { outcome: 'resolved', incidentId: open.id };
    // Noted already, it is the incident's; one the incident never had gets no id, as it is not one of its.
    return hasResolvedAlert(held, alert)
      ? { outcome: 'ignored', incidentId: open.id }
      : { outcome: 'ignored' };
  });
  if (result === NONE_MARKED) return outcomes;
  await deps.notifier.notify({
    type: 'incident.updated',
    incident: result.incident,
    channel: runbook.channel,
    text: `${resolvedLine(result.marked.map((index) => alerts[index] as NormalizedAlert))}; waiting for confirmation`,
  });
  return outcomes;
}

const NONE: ReadonlySet<number> = new Set();

/** What noteResolved's write returns when none of the alerts is the incident's, or all are resolved. */
const NONE_MARKED = 'none-marked';

/** The incident with every alert it has unresolved marked resolved, and the places of those in `alerts`. */
function markAll(
  deps: Pick<EngineDeps, 'clock'>,
  incident: Incident,
  alerts: readonly NormalizedAlert[],
): { incident: Incident; marked: number[] } {
  let next = incident;
  const marked: number[] = [];
  alerts.forEach((alert, index) => {
    const changed = markAlertResolved(next, alert, alert.endsAt ?? deps.clock.now());
    if (!changed) return;
    next = changed;
    marked.push(index);
  });
  return { incident: next, marked };
}

/** `ModelErrorRateHigh resolved at the source (alertmanager)`, or for several, how many and the first names. */
function resolvedLine(alerts: readonly NormalizedAlert[]): string {
  const sources = [...new Set(alerts.map((alert) => alert.source))].join(', ');
  const [only] = alerts;
  if (only && alerts.length === 1) return `${only.name} resolved at the source (${sources})`;
  const names = alerts.slice(0, NAMES_SHOWN).map((alert) => alert.name);
  const more = alerts.length - names.length;
  return (
    `${alerts.length} alerts resolved at the source (${sources}): ${names.join(', ')}` +
    (more > 0 ? ` and ${more} more` : '')
  );
}

/** The timeline entry that records the source resolving an alert. */
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
