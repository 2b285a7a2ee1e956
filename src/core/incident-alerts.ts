/** Alerts joining an incident, and the source saying an alert resolved: pure changes to an incident's alert refs. */
import { alertKey, type AlertRef, type AlertSource } from './alert-ref.js';
import type { Incident } from './incident.js';
import { worstSeverity, type Severity } from './severity.js';

/** An alert storm on one model must not grow its incident without bound. */
export const MAX_ALERT_REFS = 100;

/**
 * Joins an alert to an open incident. Returns undefined when the alert is already part of it: among its refs,
 * or in `known`, the keys the incident recorded beyond the refs it keeps (MAX_ALERT_REFS), without which an
 * alert re-sent after the hundredth would join twice. One of its refs that has no episode to tell (no start
 * time in its key) and that the source resolved is firing again instead (firingAgain).
 */
export function attachAlert(
  incident: Incident,
  alert: AlertRef,
  severity: Severity,
  known: ReadonlySet<string> = NONE_KNOWN,
): Incident | undefined {
  return attachAlerts(incident, [{ ref: alert, severity }], known)?.incident;
}

const NONE_KNOWN: ReadonlySet<string> = new Set();

/**
 * The ref at `index` firing again, without its resolution; undefined when it is not. Only for a ref whose key has
 * no start time (a generic alert posted without `startsAt`): a firing post after its resolution is the alert firing
 * again, not a repeat, and left resolved it would keep the incident settled at the source
 * (core/settled-at-source.ts), whose missed triage target pages nobody, while the alert fires. A ref with a start
 * time is one episode: its source gives a new start time when it fires again (a new ref), so a firing copy of it
 * after its resolution is a late re-send (an HA Alertmanager peer) and stays a duplicate, as does a ref that is not
 * resolved.
 */
function firingAgain(ref: AlertRef): AlertRef | undefined {
  if (ref.resolvedAt === undefined || ref.key !== alertKey(ref.source, ref.fingerprint)) return undefined;
  const { resolvedAt: _resolved, ...firing } = ref;
  return firing;
}

/**
 * Whether the incident's refs hold every alert that joined it, so that `known` adds nothing: true until its
 * refs are full (MAX_ALERT_REFS), as only alerts joining after that are kept by key alone.
 */
export function keepsEveryKey(incident: Pick<Incident, 'alerts'>): boolean {
  return incident.alerts.length < MAX_ALERT_REFS;
}

/** One alert of a batch joining an incident, with the severity its labels map to. */
export interface AlertJoin {
  ref: AlertRef;
  severity: Severity;
}

/** An alert of the batch that joined: its place in the batch and the incident's severity once it had. */
export interface JoinedAlert {
  index: number;
  ref: AlertRef;
  severity: Severity;
  /** It was part of the incident, resolved at the source, and fires again (firingAgain). */
  again: boolean;
}

/**
 * Joins several alerts to an open incident in one change (one write for a whole Alertmanager group).
 * Duplicates — among the refs, in `known`, or earlier in the same batch — are skipped. Returns undefined when
 * none joined. The refs are copied once and the incident built once, whatever the batch's size: a group of 50
 * joining one by one made 50 incidents and copied the refs 50 times.
 */
export function attachAlerts(
  incident: Incident,
  joins: readonly AlertJoin[],
  known: ReadonlySet<string> = NONE_KNOWN,
): { incident: Incident; attached: JoinedAlert[] } | undefined {
  const attached: JoinedAlert[] = [];
  // Past MAX_ALERT_REFS a ref is not kept, so only these catch a second copy in the same batch.
  const joinedUnkept = new Set<string>();
  let alerts = incident.alerts;
  let severity = incident.severity;
  let dropped = incident.droppedAlerts;
  const writable = (): AlertRef[] => {
    if (alerts === incident.alerts) alerts = [...incident.alerts];
    return alerts as AlertRef[];
  };
  joins.forEach((join, index) => {
    const held = placeOf(alerts, join.ref.key);
    const again = held >= 0;
    if (again) {
      const firing = firingAgain(alerts[held] as AlertRef);
      if (!firing) return;
      writable()[held] = firing;
    } else if (known.has(join.ref.key) || joinedUnkept.has(join.ref.key)) {
      return;
    } else if (alerts.length >= MAX_ALERT_REFS) {
      joinedUnkept.add(join.ref.key);
      dropped += 1;
    } else {
      writable().push(join.ref);
    }
    severity = worstSeverity(severity, join.severity);
    attached.push({ index, ref: join.ref, severity, again });
  });
  if (!attached.length) return undefined;
  return { incident: { ...incident, severity, alerts, droppedAlerts: dropped }, attached };
}

/**
 * Where each key is among a full incident's refs, kept per refs array. Once full (MAX_ALERT_REFS) an incident's refs
 * stop changing, and each alert joining it scanned all of them: 100 objects spread through the heap, ~4 % of a
 * delivery's time under a storm. A full array is never added to (past the cap an alert is kept by key alone), and a
 * ref replaced in it keeps its key, so the places stay true.
 */
const placesInFullRefs = new WeakMap<readonly AlertRef[], Map<string, number>>();

/** Where `key` is among `refs`; -1 when it is not. */
function placeOf(refs: readonly AlertRef[], key: string): number {
  if (refs.length < MAX_ALERT_REFS) return refs.findIndex((ref) => ref.key === key);
  let places = placesInFullRefs.get(refs);
  if (!places) {
    const found = new Map<string, number>();
    refs.forEach((ref, place) => {
      if (!found.has(ref.key)) found.set(ref.key, place);
    });
    placesInFullRefs.set(refs, found);
    places = found;
  }
  return places.get(key) ?? -1;
}

/** What a "resolved" notification says about the alert it ends; `startsAt` when the source says which episode. */
export interface ResolvedAlert {
  source: AlertSource;
  fingerprint: string;
  startsAt?: number;
}

/**
 * Notes that the source resolved an alert of this incident. Returns undefined when the incident does not have
 * that alert or already knows it resolved, so repeated "resolved" notifications are recorded once. With a start
 * time the resolution is of that episode only: a late or re-sent resolution of an earlier episode (an HA
 * Alertmanager peer) must not resolve the alert that fired again since. Without one, the fingerprint decides.
 */
export function markAlertResolved(
  incident: Incident,
  resolved: ResolvedAlert,
  at: number,
): Incident | undefined {
  const isIt = resolving(resolved);
  const index = incident.alerts.findIndex((ref) => ref.resolvedAt === undefined && isIt(ref));
  if (index < 0) return undefined;
  const alerts = incident.alerts.map((alert, i) => (i === index ? { ...alert, resolvedAt: at } : alert));
  return { ...incident, alerts };
}

/**
 * Whether the incident has among its refs the alert a resolution is of, resolved or not: a resolution it has
 * noted already is its (answered `ignored` with its id), one it never had is not.
 */
export function hasResolvedAlert(incident: Pick<Incident, 'alerts'>, resolved: ResolvedAlert): boolean {
  return incident.alerts.some(resolving(resolved));
}

/**
 * Whether a ref is of the alert `resolved` ends (markAlertResolved says which episode), its keys built once rather
 * than once per ref.
 */
function resolving({ source, fingerprint, startsAt }: ResolvedAlert): (ref: AlertRef) => boolean {
  // A ref recorded without a start time (its key has none) is of whichever episode this is.
  if (startsAt === undefined) return (ref) => ref.fingerprint === fingerprint;
  const episode = alertKey(source, fingerprint, startsAt);
  const anyEpisode = alertKey(source, fingerprint);
  return (ref) => ref.key === episode || ref.key === anyEpisode;
}
