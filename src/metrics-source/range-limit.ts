/**
 * Prometheus' limit on one range query, in the one place rollbot decides it: the Prometheus source refuses a
 * range without a round trip and the runbook loader refuses a triage window every query of which would fail.
 */

/**
 * Prometheus refuses a range query when `(end − start) / step`, in whole steps, is above this (web/api/v1/api.go,
 * "exceeded maximum resolution of 11,000 points per timeseries"). Both ends are points, so it answers up to 11,001.
 */
export const MAX_RANGE_STEPS = 11_000;

/**
 * The whole steps Prometheus counts in a range of `spanMs` at `stepMs` when they are above its limit, so the
 * caller can say how far; undefined when Prometheus answers such a range.
 */
export function stepsOverLimit(spanMs: number, stepMs: number): number | undefined {
  const steps = Math.floor(spanMs / stepMs);
  return steps > MAX_RANGE_STEPS ? steps : undefined;
}
