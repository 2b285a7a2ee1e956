import type { NormalizedAlert } from '../../src/alerts/types.js';
import type { TimelineEntry } from '../../src/engine/ports.js';

/** A firing Alertmanager-style alert for `model`, started one minute before `now`. */
export function firing(
  model: string,
  now: number,
  overrides: Partial<NormalizedAlert> = {},
): NormalizedAlert {
  return {
    source: 'alertmanager',
    status: 'firing',
    fingerprint: `fp-${model}`,
    name: 'ModelErrorRateHigh',
    labels: { alertname: 'ModelErrorRateHigh', model, severity: 'critical' },
    annotations: { summary: `${model} error rate above 5%` },
    summary: `${model} error rate above 5%`,
    startsAt: now - 60_000,
    ...overrides,
  };
}

/**
 * Fingerprints of the alerts an incident's timeline records, in order: the one that opened it (`incident.opened`)
 * and those that joined it (`alert.attached`, one entry per write naming each).
 */
export function recordedFingerprints(entries: readonly TimelineEntry[]): string[] {
  return entries.flatMap((entry) => {
    if (entry.type === 'incident.opened') return [String(entry.data?.fingerprint)];
    if (entry.type !== 'alert.attached') return [];
    const alerts = (entry.data?.alerts ?? []) as { fingerprint: string }[];
    return alerts.map((alert) => alert.fingerprint);
  });
}
