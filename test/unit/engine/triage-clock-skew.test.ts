import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { FakeMetrics } from '../../helpers/fake-metrics.js';

const ERRORS = 'error_ratio{model="fraud-scorer"}';
const APPROVALS = 'approval_ratio{model="fraud-scorer"}';
const LATENCY = 'p99_seconds{model="fraud-scorer"}';
const RUNBOOK = `triage:
  checks:
    - { name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }
    - { name: approval rate, kind: business, query: '${APPROVALS}', min: 0.8 }
    - { name: p99 latency, kind: latency, query: '${LATENCY}', max: 0.25 }
rollback: { policy: auto }`;
const MINUTE = 60_000;
/** Prometheus' lookback: a step finds the latest sample at most this old, and past that nothing. */
const LOOKBACK = 5 * MINUTE;

/**
 * A model whose error rate rose to 7.9 % three minutes ago by Prometheus' clock, on a Prometheus whose clock is
 * `skewMs` behind rollbot's (negative: ahead). Prometheus stamps samples with its own clock and has none in its
 * future: a step there finds the latest sample within the lookback, past it nothing.
 */
function skewed(skewMs: number): { deps: TestDeps; metrics: FakeMetrics } {
  const metrics = new FakeMetrics();
  const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', RUNBOOK)], metricsSource: metrics });
  const prometheusNow = () => deps.clock.now() - skewMs;
  metrics.clock = { now: prometheusNow };
  const risen = prometheusNow() - 3 * MINUTE;
  const stored = (valueAt: (at: number) => number) => (at: number) =>
    at <= prometheusNow()
      ? valueAt(at)
      : at - prometheusNow() <= LOOKBACK
        ? valueAt(prometheusNow())
        : undefined;
  metrics
    .set(
      ERRORS,
      stored((at) => (at < risen ? 0.004 : 0.079)),
    )
    .set(
      APPROVALS,
      stored(() => 0.9),
    )
    .set(
      LATENCY,
      stored(() => 0.1),
    );
  return { deps, metrics };
}

async function triage(deps: TestDeps) {
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  await pollDeadlines(deps); // the triage run
  return (await deps.store.getIncident('INC-1'))!;
}

describe("triage on a Prometheus whose clock is not rollbot's", () => {
  it('ends its range at Prometheus\' "now" when rollbot runs 10 minutes fast: the breach rolls back', async () => {
    // By rollbot's clock, the last steps are Prometheus' future, past its lookback: no data, a person decides.
    const { deps } = skewed(10 * MINUTE);
    const incident = await triage(deps);
    expect(incident.triage?.finding).toBe('breach');
    expect(incident.triage?.checks.map((check) => [check.name, check.verdict, check.outcomes])).toEqual([
      ['error rate', 'FAIL', ['fail', 'fail', 'fail']],
      ['approval rate', 'PASS', ['pass', 'pass', 'pass']],
      ['p99 latency', 'PASS', ['pass', 'pass', 'pass']],
    ]);
    expect(incident.decision).toMatchObject({ kind: 'rollback', by: 'rollbot', trigger: 'auto' });
    expect(deps.fake.mutations).toBe(1);
  });

  it('ends its range at Prometheus\' "now" when rollbot runs 10 minutes slow: the newest steps are judged', async () => {
    // By rollbot's clock the range would end ten minutes ago, before the error rate rose: "no threshold breached".
    const { deps } = skewed(-10 * MINUTE);
    const incident = await triage(deps);
    expect(incident.triage?.finding).toBe('breach');
    expect(incident.triage?.checks[0]).toMatchObject({ verdict: 'FAIL', value: 0.079 });
    expect(incident.decision).toMatchObject({ kind: 'rollback', by: 'rollbot', trigger: 'auto' });
    expect(deps.fake.mutations).toBe(1);
  });

  it("asks for Prometheus' clock once per triage run, not once per check", async () => {
    const { deps, metrics } = skewed(10 * MINUTE);
    await triage(deps);
    expect(metrics.clockReads).toBe(1);
  });
});

describe("triage on a source that cannot say Prometheus' time", () => {
  it("ends its range at rollbot's clock, as it always did, and measures", async () => {
    const { deps, metrics } = skewed(0);
    metrics.clock = undefined; // now() fails; range queries still answer
    const incident = await triage(deps);
    expect(metrics.clockReads).toBe(1);
    expect(incident.triage?.checks[0]).toMatchObject({ verdict: 'FAIL', value: 0.079 });
    expect(incident.decision).toMatchObject({ kind: 'rollback', trigger: 'auto' });
  });
});
