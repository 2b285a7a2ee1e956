/** What an incident keeps of the alerts that opened or joined it, and how it tells them apart. */

export type AlertSource = 'alertmanager' | 'grafana' | 'generic' | 'manual' | 'drill';

/** What an incident remembers of each alert that opened or joined it. */
export interface AlertRef {
  /** Dedup key: source, fingerprint and start time when the source gave one (`alertKey`). */
  key: string;
  source: AlertSource;
  fingerprint: string;
  name: string;
  startsAt: number;
  receivedAt: number;
  /** When the source said the alert resolved (recorded, but it does not close the incident). */
  resolvedAt?: number;
}

/**
 * An alert's dedup key: one per episode of the alert at its source (a re-fired alert has a new start time). An
 * alert whose source gave no start time has no episode to tell: its key is the fingerprint alone, so that re-sends
 * and other replicas' copies of it are duplicates rather than new alerts.
 */
export function alertKey(source: AlertSource, fingerprint: string, startsAt?: number): string {
  return startsAt === undefined ? `${source}:${fingerprint}` : `${source}:${fingerprint}:${startsAt}`;
}
