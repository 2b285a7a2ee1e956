import { checkError } from '../core/check-error.js';
import type { CheckResult } from '../core/evaluation.js';
import { confirmOutcome, isPartial, keepWarnings } from '../core/partial.js';
import {
  describeRange,
  direction,
  judge,
  reduceValues,
  sparkline,
  triageVerdict,
  triageWindowMs,
  type Outcome,
  type Threshold,
} from '../core/gates.js';
import type { Check } from '../runbooks/schema.js';
import type { MetricsSource, Series } from './metrics-port.js';

export function thresholdOf(check: Check): Threshold {
  const threshold: Threshold = { noData: check.noData };
  if (check.min !== undefined) threshold.min = check.min;
  if (check.max !== undefined) threshold.max = check.max;
  if (check.fail) {
    const { min, max } = check.fail;
    threshold.fail = { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
  }
  return threshold;
}

/**
 * Several series collapsed point by point with the check's reduce rule: one value per timestamp. In place: copying
 * a timestamp's values for each point is quadratic, minutes of a blocked bot for an unaggregated query's 20,000
 * series.
 */
export function reduceSeries(
  series: readonly Series[],
  reduce: Check['reduce'],
): { at: number; value: number }[] {
  const byTime = new Map<number, number[]>();
  for (const one of series) {
    for (const point of one.points) {
      const values = byTime.get(point.at);
      if (values) values.push(point.value);
      else byTime.set(point.at, [point.value]);
    }
  }
  return [...byTime.entries()]
    .sort(([a], [b]) => a - b)
    .map(([at, values]) => ({ at, value: reduceValues(values, reduce) ?? NaN }));
}

export interface TriageWindow {
  now: number;
  intervalMs: number;
  samples: number;
  failing: number;
  trendMs: number;
}

/**
 * Measures one triage check: one range query over the trend window at the triage interval. The last `samples`
 * points are the measurements (M of N decides); the whole window is the sparkline.
 */
export async function measureTriageCheck(
  source: MetricsSource,
  check: Check,
  window: TriageWindow,
): Promise<CheckResult> {
  const threshold = thresholdOf(check);
  const base = checkBase(check, threshold);
  try {
    const reach = { interval: window.intervalMs, samples: window.samples, trend: window.trendMs };
    const start = window.now - triageWindowMs(reach);
    const answer = await source.range(check.query, start, window.now, window.intervalMs);
    const points = reduceSeries(answer.series, check.reduce);
    const recent = lastSamples(points, window);
    const outcomes: Outcome[] = recent.map((value) => judge(value, threshold));
    const latest = recent.at(-1);
    // Measured: with `noData: fail` the newest failing step may be a missing one, and an earlier value failed.
    const failed = recent.findLast((value, i) => value !== undefined && outcomes[i] === 'fail');
    const grey = recent.findLast((value, i) => value !== undefined && outcomes[i] === 'inconclusive');
    const verdict = triageVerdict(outcomes, window.failing);
    const measuredFails = outcomes.filter((outcome, i) => outcome === 'fail' && recent[i] !== undefined);
    const values = trendValues(points, window, start);
    return {
      ...base,
      ...(latest === undefined ? {} : { value: latest }),
      ...(failed === undefined ? {} : { failedValue: failed }),
      ...(grey === undefined ? {} : { inconclusiveValue: grey }),
      outcomes,
      verdict,
      ...(verdict === 'FAIL' && measuredFails.length < window.failing ? { failedOnNoData: true } : {}),
      trend: { sparkline: sparkline(values), direction: direction(values), windowMs: window.now - start },
      // Verdicts stay as measured: what a partial answer may decide is triage's (core/partial.ts).
      ...warningsOf(answer.warnings),
    };
  } catch (error) {
    const outcomes: Outcome[] = Array.from({ length: window.samples }, () => 'error');
    return { ...base, outcomes, verdict: 'ERROR', ...checkError(error) };
  }
}

/**
 * The values of the last `samples` steps up to `now`; a step with no point (the series is absent, too young or
 * stopped reporting) is no data, so a model that stopped reporting is not mistaken for a healthy one.
 */
function lastSamples(
  points: readonly { at: number; value: number }[],
  window: TriageWindow,
): (number | undefined)[] {
  const byTime = new Map(points.map((point) => [point.at, point.value]));
  const last = lastStep(points, window);
  return Array.from({ length: window.samples }, (_, i) => {
    const value = byTime.get(last - (window.samples - 1 - i) * window.intervalMs);
    return value === undefined || Number.isNaN(value) ? undefined : value;
  });
}

/**
 * One value per step of the whole window, oldest first, NaN where the step has no point: the sparkline draws
 * those as gaps. From the points alone, a series that stopped reporting ten minutes ago would draw as a whole
 * line ending on its last value, over a window it does not cover.
 */
function trendValues(
  points: readonly { at: number; value: number }[],
  window: TriageWindow,
  start: number,
): number[] {
  const byTime = new Map(points.map((point) => [point.at, point.value]));
  const last = lastStep(points, window);
  const steps = Math.floor((last - start) / window.intervalMs) + 1;
  return Array.from(
    { length: Math.max(0, steps) },
    (_, i) => byTime.get(last - (steps - 1 - i) * window.intervalMs) ?? NaN,
  );
}

/**
 * The newest step of the range query. Steps are read off the points (some servers align them to multiples of
 * the step rather than to the start) and carried forward to `now`: the newest point of a series that stopped
 * reporting minutes ago is not the latest measurement.
 */
function lastStep(points: readonly { at: number }[], window: TriageWindow): number {
  if (points.length === 0) return window.now;
  const newest = Math.max(...points.map((point) => point.at));
  return newest + Math.floor((window.now - newest) / window.intervalMs) * window.intervalMs;
}

/**
 * Measures one check once (confirmation): one instant query, reduced and judged. At `at` (epoch ms) for a moment
 * in the past (a baseline); without it, now by the metrics source's own clock. A pass on an answer with warnings
 * is INCONCLUSIVE (core/partial.ts): it cannot confirm by itself.
 */
export async function measureOnce(
  source: MetricsSource,
  check: Check,
  threshold: Threshold,
  at?: number,
): Promise<CheckResult> {
  const base = checkBase(check, threshold);
  try {
    const answer = await source.query(check.query, at);
    const value = reduceValues(
      answer.samples.map((sample) => sample.value),
      check.reduce,
    );
    const warnings = warningsOf(answer.warnings);
    const outcome = confirmOutcome(judge(value, threshold), isPartial(warnings));
    return {
      ...base,
      ...(value === undefined ? {} : { value }),
      outcomes: [outcome],
      verdict: outcome === 'pass' ? 'PASS' : outcome === 'fail' ? 'FAIL' : 'INCONCLUSIVE',
      ...warnings,
    };
  } catch (error) {
    return { ...base, outcomes: ['error'], verdict: 'ERROR', ...checkError(error) };
  }
}

/** The source's warnings as the check keeps them; no field when there are none, as in older records. */
export function warningsOf(warnings: readonly string[]): Pick<CheckResult, 'warnings'> {
  const kept = keepWarnings(warnings);
  return kept.length > 0 ? { warnings: kept } : {};
}

/** What every result of `check` carries, measured or not. */
function checkBase(
  check: Check,
  threshold: Threshold,
): Pick<CheckResult, 'name' | 'kind' | 'threshold' | 'unit'> {
  const base = { name: check.name, kind: check.kind, threshold: describeRange(threshold, check.unit) };
  return check.unit ? { ...base, unit: check.unit } : base;
}
