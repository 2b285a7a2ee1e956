import { describe, expect, it } from 'vitest';
import { measureTriageCheck } from '../../../src/engine/measure.js';
import type { MetricsSource, Series } from '../../../src/engine/metrics-port.js';
import { makeRunbook } from '../../helpers/engine.js';

const NOW = 1_800_000_000_000;
const CHECK = makeRunbook(
  'ranker',
  `triage: { checks: [{ name: error rate, kind: error, query: 'model_error_ratio', max: 0.02 }] }`,
).triage.checks[0]!;
const WINDOW = { now: NOW, intervalMs: 30_000, samples: 3, failing: 3, trendMs: 900_000 };

/**
 * An unaggregated query: one series per pod, 31 points each, the pod numbered `worst` failing. 20,000 such series
 * are ~14 MiB of JSON, within what the Prometheus source reads.
 */
function podsSource(pods: number, worst: number): MetricsSource {
  return {
    query: () => Promise.reject(new Error('triage asks range queries only')),
    range: async (_promql, start, end, stepMs) => {
      const series: Series[] = [];
      for (let pod = 0; pod < pods; pod++) {
        const points = [];
        for (let at = start; at <= end; at += stepMs)
          points.push({ at, value: pod === worst ? 0.079 : 0.001 });
        series.push({ labels: { pod: `ranker-${pod}` }, points });
      }
      return { series, warnings: [] };
    },
  };
}

describe('a triage check over many series', () => {
  it('collapses 20,000 series point by point and finds the one pod that fails', async () => {
    // Collapsed by copying each timestamp's values for every point, this took minutes, the event loop blocked.
    const check = await measureTriageCheck(podsSource(20_000, 12_345), CHECK, WINDOW);
    expect(check).toMatchObject({ verdict: 'FAIL', value: 0.079, outcomes: ['fail', 'fail', 'fail'] });
    expect(check.trend?.sparkline).toHaveLength(31);
  });
});
