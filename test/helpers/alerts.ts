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

/** A firing alert as Alertmanager and Grafana send it, before parsing; override fields to test one at a time. */
export function wireFiring(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    status: 'firing',
    labels: { alertname: 'ModelErrorRateHigh', model: 'fraud-scorer' },
    annotations: { summary: 'fraud-scorer error rate above 5%' },
    startsAt: '2026-11-22T01:42:04.443Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example:9090/graph',
    fingerprint: 'd4525c3cd55ff927',
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
