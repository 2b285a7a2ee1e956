import { describe, expect, it } from 'vitest';
import { SPARKLINE_BARS } from '../../../src/core/gates.js';
import { measureTriageCheck, type TriageWindow } from '../../../src/engine/measure.js';
import type { MetricsSource, Series } from '../../../src/engine/metrics-port.js';
import { checkLine } from '../../../src/slack/blocks/incident-message.js';
import { makeRunbook } from '../../helpers/engine.js';

const NOW = 1_800_000_000_000;
const CHECK = makeRunbook(
  'm1',
  `triage: { checks: [{ name: errors, kind: error, query: 'errors', max: 0.02 }] }`,
).triage.checks[0]!;

/** A source whose range queries answer with the points `valueAt` gives (undefined: no point at that step). */
function sourceOf(valueAt: (at: number, start: number) => number | undefined): MetricsSource {
  return {
    query: () => Promise.reject(new Error('triage asks range queries only')),
    range: async (_promql, start, end, stepMs) => {
      const points: Series['points'] = [];
      for (let at = start; at <= end; at += stepMs) {
        const value = valueAt(at, start);
        if (value !== undefined) points.push({ at, value });
      }
      return { series: [{ labels: {}, points }], warnings: [] };
    },
  };
}

describe("a triage check's sparkline", () => {
  it('shows the steps a series did not report as gaps, not as a shorter line', async () => {
    // 15 minutes at 30 s: 31 steps. The series reported for the first 5 minutes (11 steps), then stopped.
    const window: TriageWindow = { now: NOW, intervalMs: 30_000, samples: 3, failing: 3, trendMs: 900_000 };
    const source = sourceOf((at, start) => (at - start <= 300_000 ? (at - start) / 300_000 : undefined));
    const check = await measureTriageCheck(source, CHECK, window);
    expect(check.verdict).toBe('INCONCLUSIVE'); // the last 3 steps are no data
    expect(check.trend?.windowMs).toBe(900_000);
    // One bar per step of the window: the 20 steps since it stopped read as gaps at the end.
    expect(check.trend?.sparkline).toHaveLength(31);
    expect(check.trend?.sparkline).toMatch(/^▁\S{9}█ {20}$/);
  });

  it('shows a gap in the middle where the series did not report', async () => {
    const window: TriageWindow = { now: NOW, intervalMs: 60_000, samples: 3, failing: 3, trendMs: 600_000 };
    const source = sourceOf((at, start) => (at - start === 300_000 ? undefined : 0.01));
    const check = await measureTriageCheck(source, CHECK, window);
    expect(check.trend?.sparkline).toBe('▄▄▄▄▄ ▄▄▄▄▄');
  });
});

describe('the sparkline of a long trend', () => {
  // A day at one minute: 1,441 steps. The error rate rose over the first half of the day, then held.
  const window: TriageWindow = { now: NOW, intervalMs: 60_000, samples: 3, failing: 3, trendMs: 86_400_000 };
  const source = sourceOf((at, start) => Math.min(at - start, 43_200_000) / 43_200_000);

  it('draws the whole window in a few bars, so that the row that says "over 1d" shows all of it', async () => {
    const check = await measureTriageCheck(source, CHECK, window);
    const bars = check.trend?.sparkline ?? '';
    expect(bars.length).toBeLessThanOrEqual(SPARKLINE_BARS);
    expect(bars.length).toBeGreaterThanOrEqual(SPARKLINE_BARS - 1);
    // The rise is in the first half of the bars, the plateau in the second.
    expect(bars[0]).toBe('▁');
    expect(bars.slice(0, bars.length / 2)).toMatch(/▁.*▄.*▇/);
    expect(bars.slice(Math.ceil(bars.length / 2))).toMatch(/^█+$/);
    expect(checkLine(check)).toContain(`${bars} rising over 1d`);
  });

  it('keeps what a triage stores, and its breach summary quotes, of the trend short', async () => {
    const check = await measureTriageCheck(source, CHECK, window);
    expect(check.verdict).toBe('FAIL');
    expect(JSON.stringify(check).length).toBeLessThan(1_000);
  });
});
