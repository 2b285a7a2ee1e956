import { describe, expect, it } from 'vitest';
import { triageWindowMs } from '../../../src/core/gates.js';
import { measureTriageCheck } from '../../../src/engine/measure.js';
import type { MetricsSource } from '../../../src/engine/metrics-port.js';
import { stepsOverLimit } from '../../../src/metrics-source/range-limit.js';
import { parseRunbook } from '../../../src/runbooks/parse.js';
import { makeRunbook, runbookYaml } from '../../helpers/engine.js';

const NOW = 1_800_000_000_000;
const CHECK = makeRunbook('m1', `triage: { checks: [{ name: errors, kind: error, query: 'up', max: 1 }] }`)
  .triage.checks[0]!;

/** The triage settings as a runbook writes them (whole seconds). */
const yamlOf = (t: { interval: number; samples: number; trend: number }) =>
  `triage: { interval: ${t.interval / 1000}s, samples: ${t.samples}, trend: ${t.trend / 1000}s }`;

/** The range a triage query with these settings asks Prometheus for. */
async function rangeSent(t: { interval: number; samples: number; trend: number }) {
  const sent: { start: number; end: number; stepMs: number }[] = [];
  const source: MetricsSource = {
    query: () => Promise.reject(new Error('triage asks range queries only')),
    range: async (_promql, start, end, stepMs) => {
      sent.push({ start, end, stepMs });
      return { series: [], warnings: [] };
    },
  };
  const window = { now: NOW, intervalMs: t.interval, samples: t.samples, failing: 1, trendMs: t.trend };
  await measureTriageCheck(source, CHECK, window);
  return sent[0]!;
}

describe('the triage window', () => {
  it('is the trend, or the span of the samples when that is longer', () => {
    expect(triageWindowMs({ interval: 30_000, samples: 3, trend: 900_000 })).toBe(900_000);
    expect(triageWindowMs({ interval: 300_000, samples: 20, trend: 900_000 })).toBe(19 * 300_000);
  });

  it('is the range the triage query asks for, and the one the loader checks against the points limit', async () => {
    for (const settings of [
      { interval: 30_000, samples: 3, trend: 900_000 },
      { interval: 300_000, samples: 20, trend: 900_000 },
      { interval: 1_000, samples: 3, trend: 11_000_000 },
      { interval: 1_000, samples: 3, trend: 11_001_000 },
    ]) {
      const sent = await rangeSent(settings);
      const loads = parseRunbook(runbookYaml('m1', yamlOf(settings)), 'm1.yml').ok;
      expect(sent.end - sent.start, yamlOf(settings)).toBe(triageWindowMs(settings));
      expect(sent.stepMs).toBe(settings.interval);
      // What the loader refuses is exactly what Prometheus would refuse of the query triage sends.
      expect(loads, yamlOf(settings)).toBe(stepsOverLimit(sent.end - sent.start, sent.stepMs) === undefined);
    }
  });
});
