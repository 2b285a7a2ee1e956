import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureOnce, measureTriageCheck, thresholdOf } from '../../src/engine/measure.js';
import { createPrometheusSource } from '../../src/metrics-source/prometheus.js';
import { makeRunbook } from '../helpers/engine.js';
import { startPrometheus, type PrometheusProcess } from '../helpers/prometheus-server.js';

let prometheus: PrometheusProcess;

beforeAll(async () => {
  // No scrapes needed: the queries here are constant expressions (`vector(…)`).
  prometheus = await startPrometheus({ targets: [] });
}, 40_000);
afterAll(async () => {
  await prometheus?.stop();
});

describe('the Prometheus source against a real Prometheus', () => {
  it('gets a point every step for a step that is not whole seconds (4.1s)', async () => {
    const source = createPrometheusSource({ url: prometheus.url });
    const end = Date.now();
    const start = end - 5 * 4_100;
    const { series } = await source.range('vector(1)', start, end, 4_100);
    expect(series[0]?.points.map((point) => point.at)).toEqual(
      Array.from({ length: 6 }, (_, i) => start + i * 4_100),
    );
  });

  it('asks for as many steps as Prometheus answers: 11,000 (11,001 points), its limit', async () => {
    const source = createPrometheusSource({ url: prometheus.url });
    const end = Math.floor(Date.now() / 1000) * 1000;
    const { series } = await source.range('vector(1)', end - 11_000_000, end, 1_000);
    expect(series[0]?.points).toHaveLength(11_001);
    // One step more and Prometheus refuses it; rollbot says so without asking.
    await expect(source.range('vector(1)', end - 11_001_000, end, 1_000)).rejects.toThrow(
      /11001 steps of 1000ms \(11002 points per series\) exceed Prometheus' limit of 11,000 steps/,
    );
  });

  it('measures every triage step of a 4.1s interval, so that a sustained breach FAILs', async () => {
    const runbook = makeRunbook(
      'ranker',
      `triage:
  checks:
    - { name: error rate, kind: error, query: 'vector(0.08)', max: 0.02 }
  interval: 4.1s
  samples: 3
  trend: 1m`,
    );
    const source = createPrometheusSource({ url: prometheus.url });
    const [check] = runbook.triage.checks;
    const result = await measureTriageCheck(source, check!, {
      now: Date.now(),
      intervalMs: runbook.triage.interval,
      samples: 3,
      failing: 3,
      trendMs: runbook.triage.trend,
    });
    expect(result).toMatchObject({ verdict: 'FAIL', outcomes: ['fail', 'fail', 'fail'], value: 0.08 });
  });

  it("says what to fix when Prometheus refuses a check's query, in triage and in confirmation", async () => {
    const runbook = makeRunbook(
      'ranker',
      `triage:
  checks:
    - { name: error rate, kind: error, query: 'sum(rate(errors[1m])', max: 0.02 }`,
    );
    const source = createPrometheusSource({ url: prometheus.url });
    const check = runbook.triage.checks[0]!;
    const now = Date.now();
    const window = { now, intervalMs: 30_000, samples: 3, failing: 3, trendMs: 900_000 };
    const triage = await measureTriageCheck(source, check, window);
    const confirmation = await measureOnce(source, check, thresholdOf(check), now);
    for (const result of [triage, confirmation]) {
      expect(result.verdict).toBe('ERROR');
      expect(result.error).toMatch(
        /^Prometheus query "sum\(rate\(errors\[1m\]\)": Prometheus refused it \(HTTP 400 bad_data: .+\) \(fix the PromQL of this check in the runbook\)$/,
      );
    }
  });
});
