/**
 * Which earlier incident of a model already has an arriving alert. Alertmanager re-sends a whole group every
 * group_interval, so an alert of a finished episode that still fires comes back with each notification about a
 * new one: it stays that earlier incident's (a duplicate), neither opening nor joining another.
 */
import { isOpen, type Incident } from '../core/incident.js';
import type { AlertRef } from '../core/alert-ref.js';
import type { NormalizedAlert } from '../alerts/types.js';
import type { EngineDeps } from './context.js';

/** How many of a model's past incidents are checked so that a re-sent alert does not reopen a closed one. */
const RECENT_INCIDENTS = 5;

/** What the lookups read of an arriving alert: its key, and when it started (if the source says). */
export interface Arriving {
  ref: Pick<AlertRef, 'key'>;
  alert: Pick<NormalizedAlert, 'startsAt'>;
}

/** The model's latest incidents (newest first), no longer open: whose alerts a re-send may still carry. */
export async function recentIncidents(
  deps: Pick<EngineDeps, 'store'>,
  model: string,
  excluded?: string,
): Promise<Incident[]> {
  const listed = await deps.store.listIncidents({ model, limit: RECENT_INCIDENTS + (excluded ? 1 : 0) });
  return listed
    .filter((incident) => incident.id !== excluded && !isOpen(incident))
    .slice(0, RECENT_INCIDENTS);
}

/**
 * Alert key → the incident among those over before `open` opened that already has that alert: the ones it noted
 * as it opened (`earlier`; none in the usual storm, which then costs no read), or, for an incident opened without
 * that note, the model's latest. Only arrivals that may predate `open` are looked up (mayPredate).
 */
export async function earlierOf(
  deps: Pick<EngineDeps, 'store'>,
  open: Incident,
  arrivals: readonly Arriving[],
): Promise<Map<string, string>> {
  if (open.earlier?.length === 0) return new Map();
  const candidates = mayPredate(open, arrivals);
  if (!candidates.length) return new Map();
  const earlier = open.earlier
    ? await Promise.all(open.earlier.map((id) => deps.store.getIncident(id)))
    : await recentIncidents(deps, open.model, open.id);
  return alertsOf(
    deps,
    earlier.filter((incident): incident is Incident => incident !== undefined),
    candidates,
  );
}

/**
 * The arrivals that may belong to an incident closed before `open` opened, so that a re-send of alerts already
 * in it (the usual notification) costs no look at older ones: not those among its refs, and not those that
 * started after it opened (an earlier incident was over by then, and took no alert that had not started).
 */
function mayPredate(open: Incident, arrivals: readonly Arriving[]): Arriving[] {
  const kept = new Set(open.alerts.map((ref) => ref.key));
  return arrivals.filter(
    (arrival) =>
      !kept.has(arrival.ref.key) &&
      arrival.alert.startsAt !== undefined &&
      arrival.alert.startsAt < open.openedAt,
  );
}

/** Alert key → the incident of `incidents` (newest first) that already has that alert. */
export async function alertsOf(
  deps: Pick<EngineDeps, 'store'>,
  incidents: readonly Incident[],
  arrivals: readonly Arriving[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  // Without a start time, a post after the incident is over cannot be told from a new episode: it opens one.
  const keys = arrivals.flatMap((arrival) => (arrival.alert.startsAt === undefined ? [] : [arrival.ref.key]));
  if (!keys.length || !incidents.length) return found;
  // Newest first: an alert known to two of them counts as the newer one's duplicate.
  const known = await Promise.all(incidents.map((incident) => deps.store.knownAlertKeys(incident.id, keys)));
  incidents.forEach((incident, i) => {
    for (const key of keys) {
      if (found.has(key)) continue;
      if (known[i]?.has(key) || incident.alerts.some((ref) => ref.key === key)) found.set(key, incident.id);
    }
  });
  return found;
}
