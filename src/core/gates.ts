/**
 * The gate language (DESIGN §4; serving-rollback.md §9–10): a measurement is judged against a pass range, an
 * optional fail range and an explicit no-data rule; a series of measurements becomes a verdict by M-of-N
 * (triage) or consecutive passes with a failure limit and a maximum duration (confirmation). Pure functions.
 */

export type Reduce = 'max' | 'min' | 'avg' | 'sum' | 'first';
export type NoDataRule = 'pass' | 'fail' | 'inconclusive';

/** A check's thresholds. Bounds are inclusive: exactly at `max` passes. */
export interface Threshold {
  min?: number;
  max?: number;
  /**
   * Hard-fail range: outside it FAIL; between the pass range and this one INCONCLUSIVE. A side it leaves open
   * where the pass range has a bound has no grey band (`greyBand`).
   */
  fail?: { min?: number; max?: number };
  noData: NoDataRule;
}

/** One measurement's outcome. `error`: the query itself failed (source down, bad PromQL). */
export type Outcome = 'pass' | 'fail' | 'inconclusive' | 'error';

export type Verdict = 'PASS' | 'FAIL' | 'INCONCLUSIVE' | 'ERROR';

/**
 * Collapses several series into one value. NaN (0/0 of an idle model) is no data, not a number; ±Infinity
 * is a real (terrible) value. Undefined when nothing is left: the no-data rule applies.
 */
export function reduceValues(values: readonly number[], reduce: Reduce): number | undefined {
  const numbers = values.filter((value) => !Number.isNaN(value));
  if (numbers.length === 0) return undefined;
  switch (reduce) {
    // Folded, not spread: an unaggregated query's answer may hold more series than a call takes arguments.
    case 'max':
      return numbers.reduce((most, value) => Math.max(most, value));
    case 'min':
      return numbers.reduce((least, value) => Math.min(least, value));
    case 'sum':
      return numbers.reduce((sum, value) => sum + value, 0);
    case 'avg':
      return numbers.reduce((sum, value) => sum + value, 0) / numbers.length;
    case 'first':
      return numbers[0];
  }
}

function within(value: number, range: { min?: number; max?: number }): boolean {
  return (range.min === undefined || value >= range.min) && (range.max === undefined || value <= range.max);
}

/** Judges one measurement; `undefined` is no data. */
export function judge(value: number | undefined, threshold: Threshold): Exclude<Outcome, 'error'> {
  if (value === undefined) return threshold.noData;
  if (within(value, threshold)) return 'pass';
  if (threshold.fail && within(value, greyBand(threshold, threshold.fail))) return 'inconclusive';
  return 'fail';
}

/**
 * The fail range as judged: where it leaves a side open, the pass range's bound on that side. Open there, every
 * breach on that side would be INCONCLUSIVE for good (`max: 0.02, fail: { min: 0.02 }`, or `fail: { max: 0.8 }`
 * on a two-sided range with a model answering 0), and policy auto would never roll back on them.
 */
function greyBand(pass: { min?: number; max?: number }, fail: { min?: number; max?: number }) {
  const min = fail.min ?? pass.min;
  const max = fail.max ?? pass.max;
  return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
}

/**
 * Triage: does this check show a breach? FAIL when at least `failing` of the measurements fail (M of N, like
 * CloudWatch's DatapointsToAlarm); ERROR when every measurement errored; PASS when the breach rule is not met
 * and at least one measurement passed; INCONCLUSIVE when none passed (no data, the grey band): a person decides.
 */
export function triageVerdict(outcomes: readonly Outcome[], failing: number): Verdict {
  if (outcomes.length === 0 || outcomes.every((outcome) => outcome === 'error')) return 'ERROR';
  if (outcomes.filter((outcome) => outcome === 'fail').length >= failing) return 'FAIL';
  return outcomes.includes('pass') ? 'PASS' : 'INCONCLUSIVE';
}

/**
 * How far back one triage query reaches (ms): the trend the sparkline shows, or the span of the last `samples`
 * steps when that is longer. The query triage sends (engine/measure.ts) and the runbook loader's check of it
 * against Prometheus' points limit (runbooks/refinements.ts) both use this, so that they cannot disagree.
 */
export function triageWindowMs(triage: { interval: number; samples: number; trend: number }): number {
  return Math.max(triage.trend, triage.interval * (triage.samples - 1));
}

export interface ConfirmRule {
  /** Passes in a row (of every check together) that confirm. */
  consecutive: number;
  /** FAIL when failed measurements exceed this (Argo's failureLimit: 2 fails on the 3rd). */
  failureLimit: number;
  /** ERROR when query errors in a row exceed this (Argo's consecutiveErrorLimit). */
  errorLimit: number;
  /** INCONCLUSIVE when no verdict by then: a person decides. */
  maxDurationMs: number;
}

/**
 * Confirmation: the verdict of a run of measurements (oldest first), or undefined to keep measuring. Failure
 * and errors win over passing; passing needs the last `consecutive` outcomes to be passes.
 */
export function confirmVerdict(
  outcomes: readonly Outcome[],
  rule: ConfirmRule,
  elapsedMs: number,
): Verdict | undefined {
  if (outcomes.filter((outcome) => outcome === 'fail').length > rule.failureLimit) return 'FAIL';
  if (trailing(outcomes, 'error') > rule.errorLimit) return 'ERROR';
  if (trailing(outcomes, 'pass') >= rule.consecutive) return 'PASS';
  if (elapsedMs >= rule.maxDurationMs) return 'INCONCLUSIVE';
  return undefined;
}

function trailing(outcomes: readonly Outcome[], kind: Outcome): number {
  let count = 0;
  for (let i = outcomes.length - 1; i >= 0 && outcomes[i] === kind; i--) count++;
  return count;
}

/**
 * The combined outcome of several checks measured at one moment: any fail, error or doubt wins in that order. A
 * check measured outside its range says the rollback did not restore service whatever another check's query
 * did, as a failing metric fails an Argo analysis beside an erroring one: with errors first, a breach next to a
 * broken query would end as "cannot read its metrics", and the person paged would not learn it is still broken.
 */
export function combineOutcomes(outcomes: readonly Outcome[]): Outcome {
  for (const kind of ['fail', 'error', 'inconclusive'] as const) if (outcomes.includes(kind)) return kind;
  return 'pass';
}

/**
 * One confirmation poll's outcome: its checks' outcomes combined, except that a poll in which no check measured
 * a value is inconclusive rather than a pass. A no-data rule of `pass` (an idle model's 0/0) may excuse a silent
 * check next to measured ones, but not a model that serves nothing at all after the rollback: every check would
 * "pass" and the incident would resolve on nothing measured.
 */
export function pollOutcome(checks: readonly { outcomes: readonly Outcome[]; value?: number }[]): Outcome {
  const outcome = combineOutcomes(checks.flatMap((check) => check.outcomes));
  return outcome === 'pass' && !measuredAny(checks) ? 'inconclusive' : outcome;
}

/** Did any check of a poll measure a value? */
export function measuredAny(checks: readonly { value?: number }[]): boolean {
  return checks.some((check) => check.value !== undefined);
}

/**
 * The confirmation threshold of a check: back within `tolerance` of the pre-deployment baseline (lower-is-better
 * checks may rise to baseline + |baseline| × tolerance, higher-is-better ones fall to baseline − |baseline| ×
 * tolerance), and never beyond the triage threshold: a generous tolerance, or a baseline already outside the
 * runbook's range, must not make "restored" of a value triage calls a breach. Without a usable baseline
 * (unknown, zero, not finite, or so far outside a two-sided range that no value is both within tolerance and
 * within the range) the triage thresholds stand.
 */
export function confirmThreshold(
  triage: Threshold,
  baseline: number | undefined,
  tolerance: number,
): Threshold {
  if (baseline === undefined || !Number.isFinite(baseline) || baseline === 0) return triage;
  const next: Threshold = { noData: triage.noData };
  // |baseline|: for a signed metric below zero, baseline × (1 ± tolerance) would move the bound the wrong way
  // and fail the baseline value itself.
  const slack = Math.abs(baseline) * tolerance;
  if (triage.max !== undefined) next.max = Math.min(triage.max, decimal(baseline + slack));
  if (triage.min !== undefined) next.min = Math.max(triage.min, decimal(baseline - slack));
  // A two-sided range whose baseline lies so far outside it that the tolerance band misses it altogether: the
  // result would be empty and every poll would fail. The baseline is unusable then, as an unknown one is.
  if (next.min !== undefined && next.max !== undefined && next.min > next.max) return triage;
  return next;
}

/**
 * A bound computed from decimals, without the floating-point noise of the arithmetic: 0.7 + 0.7 × 0.1 is
 * 0.7699999999999999, which would fail a measured 0.77 that the inclusive bound lets pass. 12 significant digits
 * keep every real difference between measured values.
 */
function decimal(value: number): number {
  return Number(value.toPrecision(12));
}

/**
 * How a check's values read to people, named after Prometheus' base units: `ratio` (0–1) as a percentage,
 * `seconds` as milliseconds below one second. Without one, the bare number.
 */
export type ValueUnit = 'ratio' | 'seconds';

/** `≤ 0.02`, `≥ 80%`, `100ms … 300ms`: a threshold for people. */
export function describeRange(range: { min?: number; max?: number }, unit?: ValueUnit): string {
  const format = (value: number) => formatValue(value, unit);
  if (range.min !== undefined && range.max !== undefined)
    return `${format(range.min)} … ${format(range.max)}`;
  if (range.max !== undefined) return `≤ ${format(range.max)}`;
  if (range.min !== undefined) return `≥ ${format(range.min)}`;
  return 'any';
}

/** A measured value for people: 4 significant digits in its unit, NaN as "no data". */
export function formatValue(value: number | undefined, unit?: ValueUnit): string {
  if (value === undefined || Number.isNaN(value)) return 'no data';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  const digits = (n: number) => Number(n.toPrecision(4)).toString();
  if (unit === 'ratio') return `${digits(value * 100)}%`;
  if (unit === 'seconds') return Math.abs(value) < 1 ? `${digits(value * 1000)}ms` : `${digits(value)}s`;
  return digits(value);
}

/** `error rate 0.5%`, `approval rate unknown`: pre-deployment baselines for people, each in its check's unit. */
export function describeBaselines(
  baselines: Record<string, number | null>,
  unitOf: ReadonlyMap<string, ValueUnit | undefined>,
): string[] {
  return Object.entries(baselines).map(
    ([name, value]) => `${name} ${value === null ? 'unknown' : formatValue(value, unitOf.get(name))}`,
  );
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * The most bars a sparkline draws. A trend may reach back 11,000 steps (a week at a minute): one bar per step
 * would be kilobytes in every triage summary, and the Slack row, which shows its last 40 bars, would label
 * the last 40 minutes "over 7d".
 */
export const SPARKLINE_BARS = 40;

/**
 * The bar of a series that did not move (one value, or min = max): half height. The bars are scaled to the
 * series' own range, so a flat one has no level to show; the lowest bar would read as "dropped to zero" and the
 * highest as "spiked", while a line across the middle reads as what it is, steady. The value is printed beside it.
 */
const FLAT_BAR = '▄';

/**
 * A compact trend: one bar per value, scaled between the series' min and max (a flat series at FLAT_BAR); gaps
 * (NaN) as spaces. More than SPARKLINE_BARS values are drawn as that many bars over the whole series, each the
 * mean of its share of the values (a gap only where that share has none).
 */
export function sparkline(input: readonly number[]): string {
  const values = input.length > SPARKLINE_BARS ? bucketMeans(input, SPARKLINE_BARS) : input;
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return '';
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  return values
    .map((value) => {
      if (Number.isNaN(value)) return ' ';
      if (!Number.isFinite(value)) return value > 0 ? BARS.at(-1) : BARS[0];
      if (high === low) return FLAT_BAR;
      return BARS[Math.round(((value - low) / (high - low)) * (BARS.length - 1))];
    })
    .join('');
}

/** `values` in `count` consecutive shares of (nearly) equal size, each the mean of its values other than NaN. */
function bucketMeans(values: readonly number[], count: number): number[] {
  return Array.from({ length: count }, (_, i) => {
    const share = values
      .slice(Math.floor((i * values.length) / count), Math.floor(((i + 1) * values.length) / count))
      .filter((value) => !Number.isNaN(value));
    return share.length === 0 ? NaN : share.reduce((sum, value) => sum + value, 0) / share.length;
  });
}

/** Rising, falling or flat: the last third of the series against the first third (5 % band is flat). */
export function direction(values: readonly number[]): 'rising' | 'falling' | 'flat' {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length < 2) return 'flat';
  const third = Math.max(1, Math.floor(finite.length / 3));
  const mean = (part: number[]) => part.reduce((sum, value) => sum + value, 0) / part.length;
  const before = mean(finite.slice(0, third));
  const after = mean(finite.slice(-third));
  const scale = Math.max(Math.abs(before), Math.abs(after), Number.EPSILON);
  if (Math.abs(after - before) / scale <= 0.05) return 'flat';
  return after > before ? 'rising' : 'falling';
}
