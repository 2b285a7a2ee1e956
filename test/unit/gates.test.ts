import { describe, expect, it } from 'vitest';
import {
  combineOutcomes,
  confirmThreshold,
  confirmVerdict,
  describeRange,
  direction,
  formatValue,
  judge,
  pollOutcome,
  reduceValues,
  sparkline,
  SPARKLINE_BARS,
  triageVerdict,
  type ConfirmRule,
  type Outcome,
  type Threshold,
} from '../../src/core/gates.js';

const max2: Threshold = { max: 0.02, noData: 'inconclusive' };

describe('reduceValues', () => {
  it.each([
    ['max', 3],
    ['min', 1],
    ['sum', 6],
    ['avg', 2],
    ['first', 2],
  ] as const)('%s of several series', (reduce, expected) => {
    expect(reduceValues([2, 1, 3], reduce)).toBe(expected);
  });

  it('treats NaN as no data and keeps ±Infinity', () => {
    expect(reduceValues([NaN, 0.5], 'max')).toBe(0.5);
    expect(reduceValues([NaN, NaN], 'max')).toBeUndefined();
    expect(reduceValues([], 'avg')).toBeUndefined();
    expect(reduceValues([1, Infinity], 'max')).toBe(Infinity);
    expect(reduceValues([1, -Infinity], 'min')).toBe(-Infinity);
  });

  it('reduces an unaggregated answer of 200,000 series (more than a call can take as arguments)', () => {
    const values = Array.from({ length: 200_000 }, (_, index) => index % 1000);
    values[123_456] = 5000;
    values[7] = -3;
    expect(reduceValues(values, 'max')).toBe(5000);
    expect(reduceValues(values, 'min')).toBe(-3);
  });
});

describe('judge', () => {
  it('passes exactly at the threshold and fails just past it', () => {
    expect(judge(0.02, max2)).toBe('pass');
    expect(judge(0.020001, max2)).toBe('fail');
    expect(judge(0.8, { min: 0.8, noData: 'fail' })).toBe('pass');
    expect(judge(0.7999, { min: 0.8, noData: 'fail' })).toBe('fail');
  });

  it('checks both bounds of a range', () => {
    const range: Threshold = { min: 0.1, max: 0.3, noData: 'fail' };
    expect([0.05, 0.1, 0.2, 0.3, 0.35].map((value) => judge(value, range))).toEqual([
      'fail',
      'pass',
      'pass',
      'pass',
      'fail',
    ]);
  });

  it('is inconclusive between the pass range and the fail range', () => {
    const banded: Threshold = { max: 0.02, fail: { max: 0.05 }, noData: 'fail' };
    expect(judge(0.01, banded)).toBe('pass');
    expect(judge(0.03, banded)).toBe('inconclusive');
    expect(judge(0.05, banded)).toBe('inconclusive');
    expect(judge(0.051, banded)).toBe('fail');
  });

  it('has no grey band on a side the fail range leaves open but the pass range bounds', () => {
    // Meant as "fail from 2 %": the fail range says nothing above, so breaches above 2 % fail, not doubt.
    const from2: Threshold = { max: 0.02, fail: { min: 0.02 }, noData: 'fail' };
    expect(judge(0.5, from2)).toBe('fail');
    // A prediction mean kept in 0.4 … 0.6 with a grey band up to 0.8: a model answering 0 fails.
    const above: Threshold = { min: 0.4, max: 0.6, fail: { max: 0.8 }, noData: 'fail' };
    expect([0, 0.39, 0.5, 0.7, 0.81].map((value) => judge(value, above))).toEqual([
      'fail',
      'fail',
      'pass',
      'inconclusive',
      'fail',
    ]);
  });

  it.each(['pass', 'fail', 'inconclusive'] as const)('applies noData: %s to a missing value', (rule) => {
    expect(judge(undefined, { max: 1, noData: rule })).toBe(rule);
  });

  it('fails +Inf against a max and -Inf against a min', () => {
    expect(judge(Infinity, max2)).toBe('fail');
    expect(judge(-Infinity, { min: 0, noData: 'fail' })).toBe('fail');
  });
});

describe('triageVerdict (M of N)', () => {
  it.each<[Outcome[], number, string]>([
    [['fail', 'fail', 'fail'], 3, 'FAIL'],
    [['pass', 'fail', 'fail'], 3, 'PASS'],
    [['inconclusive', 'fail', 'fail'], 3, 'INCONCLUSIVE'],
    [['pass', 'fail', 'fail'], 2, 'FAIL'],
    [['pass', 'pass', 'fail'], 2, 'PASS'],
    [['pass', 'pass', 'pass'], 3, 'PASS'],
    [['inconclusive', 'inconclusive', 'inconclusive'], 3, 'INCONCLUSIVE'],
    [['error', 'error', 'error'], 3, 'ERROR'],
    [['error', 'fail', 'fail'], 2, 'FAIL'],
    [['error', 'pass', 'pass'], 3, 'PASS'],
    [['error', 'inconclusive', 'error'], 3, 'INCONCLUSIVE'],
    [[], 3, 'ERROR'],
  ])('%j with %d failing needed → %s', (outcomes, failing, verdict) => {
    expect(triageVerdict(outcomes, failing)).toBe(verdict);
  });
});

describe('confirmVerdict', () => {
  const rule: ConfirmRule = { consecutive: 3, failureLimit: 2, errorLimit: 2, maxDurationMs: 900_000 };

  it('passes after N passes in a row, not before', () => {
    expect(confirmVerdict(['pass', 'pass'], rule, 60_000)).toBeUndefined();
    expect(confirmVerdict(['pass', 'pass', 'pass'], rule, 90_000)).toBe('PASS');
    expect(confirmVerdict(['pass', 'fail', 'pass', 'pass'], rule, 120_000)).toBeUndefined();
    expect(confirmVerdict(['fail', 'pass', 'pass', 'pass'], rule, 120_000)).toBe('PASS');
  });

  it('fails when failures exceed the limit (the 3rd failure with a limit of 2)', () => {
    expect(confirmVerdict(['fail', 'pass', 'fail'], rule, 60_000)).toBeUndefined();
    expect(confirmVerdict(['fail', 'pass', 'fail', 'fail'], rule, 60_000)).toBe('FAIL');
    // Failure wins over a passing streak.
    expect(confirmVerdict(['fail', 'fail', 'fail', 'pass', 'pass', 'pass'], rule, 60_000)).toBe('FAIL');
  });

  it('errors after more consecutive query errors than allowed', () => {
    expect(confirmVerdict(['error', 'error'], rule, 60_000)).toBeUndefined();
    expect(confirmVerdict(['error', 'error', 'error'], rule, 60_000)).toBe('ERROR');
    expect(confirmVerdict(['error', 'error', 'pass', 'error'], rule, 60_000)).toBeUndefined();
  });

  it('is inconclusive at the maximum duration, not a moment before', () => {
    expect(confirmVerdict(['inconclusive'], rule, 899_999)).toBeUndefined();
    expect(confirmVerdict(['inconclusive'], rule, 900_000)).toBe('INCONCLUSIVE');
    expect(confirmVerdict([], rule, 900_000)).toBe('INCONCLUSIVE');
  });
});

describe('combineOutcomes', () => {
  it('lets a fail, then an error, then doubt win', () => {
    expect(combineOutcomes(['pass', 'pass'])).toBe('pass');
    expect(combineOutcomes(['pass', 'inconclusive'])).toBe('inconclusive');
    expect(combineOutcomes(['inconclusive', 'fail'])).toBe('fail');
    expect(combineOutcomes(['fail', 'error'])).toBe('fail');
    expect(combineOutcomes(['error', 'inconclusive'])).toBe('error');
    expect(combineOutcomes([])).toBe('pass');
  });
});

describe('pollOutcome', () => {
  it('is not a pass when no check measured a value, whatever the no-data rules say', () => {
    const silent = { outcomes: ['pass'] as Outcome[] };
    expect(pollOutcome([silent, silent])).toBe('inconclusive');
    expect(pollOutcome([silent, { outcomes: ['pass'], value: 0.004 }])).toBe('pass');
    expect(pollOutcome([silent, { outcomes: ['fail'] }])).toBe('fail');
  });
});

describe('confirmThreshold', () => {
  it('asks to be back within tolerance of the baseline', () => {
    const lower = confirmThreshold(max2, 0.005, 0.1);
    expect(lower.max).toBeCloseTo(0.0055, 12);
    expect(lower).toEqual({ max: lower.max, noData: 'inconclusive' });
    const higher = confirmThreshold({ min: 0.8, noData: 'fail' }, 0.9, 0.1);
    expect(higher.min).toBeCloseTo(0.81, 12);
    expect(higher.max).toBeUndefined();
  });

  it("never lets the tolerance pass a value the runbook's own threshold calls a breach", () => {
    // 1.5 % before the deployment, 50 % tolerance: 2.25 % would be "restored" against a 2 % maximum.
    expect(confirmThreshold(max2, 0.015, 0.5).max).toBe(0.02);
    expect(confirmThreshold({ min: 0.8, noData: 'inconclusive' }, 0.85, 0.5).min).toBe(0.8);
    // A baseline already outside the runbook's range: back to that range, not back to the breach.
    expect(confirmThreshold(max2, 0.03, 0.1).max).toBe(0.02);
  });

  it('lets a negative baseline itself pass: the tolerance widens the range around it', () => {
    // A signed metric (a score drift, a revenue change) at -1 % before the deployment and -1 % again after.
    const higher = confirmThreshold({ min: -0.05, noData: 'inconclusive' }, -0.01, 0.1);
    expect(higher.min).toBeCloseTo(-0.011, 12);
    expect(judge(-0.01, higher)).toBe('pass');
    const lower = confirmThreshold({ max: 0, noData: 'inconclusive' }, -0.01, 0.1);
    expect(lower.max).toBeCloseTo(-0.009, 12);
    expect(judge(-0.01, lower)).toBe('pass');
  });

  it('passes a value exactly at baseline ± tolerance, as the bounds are inclusive', () => {
    // 0.7 + 0.7 × 0.1 is 0.7699999999999999 in floating point, and 0.01 − 0.01 × 0.1 is 0.009000000000000001.
    expect(judge(0.77, confirmThreshold({ max: 1, noData: 'inconclusive' }, 0.7, 0.1))).toBe('pass');
    expect(judge(0.33, confirmThreshold({ max: 1, noData: 'inconclusive' }, 0.3, 0.1))).toBe('pass');
    expect(judge(0.009, confirmThreshold({ min: 0, noData: 'inconclusive' }, 0.01, 0.1))).toBe('pass');
    expect(judge(0.7701, confirmThreshold({ max: 1, noData: 'inconclusive' }, 0.7, 0.1))).toBe('fail');
  });

  it('keeps a two-sided range passable when the baseline lies far outside it', () => {
    // A prediction mean that must stay in 0.4 … 0.6 had drifted to 0.7 before the deployment: the tolerance band
    // (0.63 … 0.77) and the runbook's range do not meet, and no value could ever confirm the rollback.
    const range = { min: 0.4, max: 0.6, noData: 'inconclusive' } as const;
    for (const baseline of [0.7, 0.3]) {
      const threshold = confirmThreshold(range, baseline, 0.1);
      expect(judge(0.5, threshold), `baseline ${baseline}`).toBe('pass');
      expect(judge(baseline, threshold), `baseline ${baseline}`).toBe('fail');
    }
  });

  it('keeps the triage threshold without a usable baseline', () => {
    expect(confirmThreshold(max2, undefined, 0.1)).toBe(max2);
    expect(confirmThreshold(max2, 0, 0.1)).toBe(max2);
    expect(confirmThreshold(max2, NaN, 0.1)).toBe(max2);
  });
});

describe('formatting', () => {
  it('describes ranges and values', () => {
    expect(describeRange({ max: 0.02 })).toBe('≤ 0.02');
    expect(describeRange({ min: 0.8 })).toBe('≥ 0.8');
    expect(describeRange({ min: 0.1, max: 0.3 })).toBe('0.1 … 0.3');
    expect(formatValue(0.078912)).toBe('0.07891');
    expect(formatValue(NaN)).toBe('no data');
    expect(formatValue(undefined)).toBe('no data');
    expect(formatValue(Infinity)).toBe('+Inf');
  });

  it('shows ratios as percentages and seconds as milliseconds below one second', () => {
    expect(formatValue(0.065, 'ratio')).toBe('6.5%');
    expect(formatValue(0.004417, 'ratio')).toBe('0.4417%');
    expect(formatValue(0.41, 'seconds')).toBe('410ms');
    expect(formatValue(0.11843, 'seconds')).toBe('118.4ms');
    expect(formatValue(2.5, 'seconds')).toBe('2.5s');
    expect(formatValue(NaN, 'ratio')).toBe('no data');
    expect(formatValue(Infinity, 'seconds')).toBe('+Inf');
    expect(describeRange({ max: 0.02 }, 'ratio')).toBe('≤ 2%');
    expect(describeRange({ min: 0.1, max: 0.3 }, 'seconds')).toBe('100ms … 300ms');
  });

  it('draws a sparkline scaled to the series, with gaps', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([])).toBe('');
    expect(sparkline([NaN])).toBe('');
    expect(sparkline([0, 1, Infinity])).toBe('▁██');
    expect(sparkline([0, 1, -Infinity])).toBe('▁█▁');
  });

  it('draws a flat series at mid-height, not at the bottom where it would read as a drop to zero', () => {
    // No range to scale: the lowest bar would say "fell to its minimum" of a series that never moved.
    expect(sparkline([0.079, 0.079, 0.079])).toBe('▄▄▄');
    expect(sparkline([0, NaN, 0])).toBe('▄ ▄');
    // Only one finite value next to an infinity: the finite one has nothing to be scaled against either.
    expect(sparkline([5, Infinity])).toBe('▄█');
  });

  it('draws a long series in at most SPARKLINE_BARS bars, each the mean of its share, with gaps', () => {
    const rising = Array.from({ length: 400 }, (_, i) => i);
    expect(sparkline(rising)).toHaveLength(SPARKLINE_BARS);
    expect(sparkline(rising)).toMatch(/^▁▁.*██$/);
    const stopped = [
      ...Array.from({ length: 200 }, (_, i) => i % 2),
      ...Array.from({ length: 200 }, () => NaN),
    ];
    // Each bar the mean of 0s and 1s alike: a flat half, then the gap.
    expect(sparkline(stopped)).toBe(`${'▄'.repeat(SPARKLINE_BARS / 2)}${' '.repeat(SPARKLINE_BARS / 2)}`);
    expect(sparkline(Array.from({ length: SPARKLINE_BARS }, (_, i) => i))).toHaveLength(SPARKLINE_BARS);
  });

  it('tells the direction of a trend', () => {
    expect(direction([0.01, 0.01, 0.02, 0.05, 0.08, 0.09])).toBe('rising');
    expect(direction([0.9, 0.8, 0.5, 0.3])).toBe('falling');
    expect(direction([1, 1.01, 0.99, 1])).toBe('flat');
    expect(direction([1])).toBe('flat');
  });
});
