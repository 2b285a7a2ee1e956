/** Alerts joining an incident, and the source saying an alert resolved: pure changes to an incident's alert refs. */
import { alertKey, type AlertRef, type AlertSource } from './alert-ref.js';
import type { Incident } from './incident.js';
import { worstSeverity, type Severity } from './severity.js';

/** An alert storm on one model must not grow its incident without bound. */
export const MAX_ALERT_REFS = 100;

/**
 * Joins an alert to an open incident. Returns undefined when the alert is already part of it: among its refs,
 * or in `known`, the keys the incident recorded beyond the refs it keeps (MAX_ALERT_REFS), without which an
 * alert re-sent after the hundredth would join twice.
 */
export function attachAlert(
  incident: Incident,
  alert: AlertRef,
  severity: Severity,
  known: ReadonlySet<string> = NONE_KNOWN,
): Incident | undefined {
  if (known.has(alert.key) || incident.alerts.some((ref) => ref.key === alert.key)) return undefined;
  const full = incident.alerts.length >= MAX_ALERT_REFS;
  return {
    ...incident,
    severity: worstSeverity(incident.severity, severity),
    alerts: full ? incident.alerts : [...incident.alerts, alert],
    droppedAlerts: incident.droppedAlerts + (full ? 1 : 0),
  };
}

const NONE_KNOWN: ReadonlySet<string> = new Set();

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
}

/**
 * Joins several alerts to an open incident in one change (one write for a whole Alertmanager group).
 * Duplicates — among the refs, in `known`, or earlier in the same batch — are skipped. Returns undefined when
 * none joined.
 */
export function attachAlerts(
  incident: Incident,
  joins: readonly AlertJoin[],
  known: ReadonlySet<string> = NONE_KNOWN,
): { incident: Incident; attached: JoinedAlert[] } | undefined {
  const seen = new Set(known);
  const attached: JoinedAlert[] = [];
  let next = incident;
  joins.forEach(({ ref, severity }, index) => {
    const joined = attachAlert(next, ref, severity, seen);
    if (!joined) return;
    // Past MAX_ALERT_REFS the ref is not kept, so only `seen` catches a second copy in the same batch.
    seen.add(ref.key);
    next = joined;
    attached.push({ index, ref, severity: next.severity });
  });
  return attached.length ? { incident: next, attached } : undefined;
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
  const { source, fingerprint, startsAt } = resolved;
  // A ref recorded without a start time (its key has none) is of whichever episode this is.
  const isIt = (ref: AlertRef): boolean =>
    startsAt === undefined
      ? ref.fingerprint === fingerprint
      : ref.key === alertKey(source, fingerprint, startsAt) || ref.key === alertKey(source, fingerprint);
  const index = incident.alerts.findIndex((ref) => ref.resolvedAt === undefined && isIt(ref));
  if (index < 0) return undefined;
  const alerts = incident.alerts.map((alert, i) => (i === index ? { ...alert, resolvedAt: at } : alert));
  return { ...incident, alerts };
}
