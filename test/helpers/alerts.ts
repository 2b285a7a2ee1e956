import type { NormalizedAlert } from '../../src/alerts/types.js';

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
