import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { rollback } from '../../../src/engine/rollback.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook } from '../../helpers/engine.js';
import { FakeMetrics } from '../../helpers/fake-metrics.js';

const ERRORS = 'error_ratio{model="fraud-scorer"}';
const RUNBOOK = `triage: { checks: [{ name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }] }
rollback: { policy: approve, approvers: [U0APPROVE1] }`;
const HOUR = 3_600_000;

describe("confirmation on a Prometheus whose clock is behind rollbot's", () => {
  it('asks for the value now by its clock, not by rollbot’s: the rollback confirms', async () => {
    // rollbot's host runs 10 minutes fast. Prometheus stamps samples with its own clock and has none in its
    // future: past its 5-minute lookback, a query at rollbot's "now" finds nothing.
    const skewMs = 10 * 60_000;
    const metrics = new FakeMetrics();
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', RUNBOOK)], metricsSource: metrics });
    const prometheusNow = () => deps.clock.now() - skewMs;
    metrics.clock = { now: prometheusNow };
    const deployedAt = deps.clock.now() - HOUR;
    const recovered = prometheusNow() + 1; // just after the rollback, on Prometheus' clock
    metrics.set(ERRORS, (at) =>
      at > prometheusNow() ? undefined : at <= deployedAt ? 0.005 : at < recovered ? 0.079 : 0.005,
    );
    for (const [version, at] of [
      ['v41', deployedAt - 24 * HOUR],
      ['v42', deployedAt],
    ] as const) {
      await deps.store.recordDeployment({ model: 'fraud-scorer', version, strategy: 'canary', at, by: 'ci' });
    }
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await pollDeadlines(deps);
    await rollback(deps, { model: 'fraud-scorer', reason: 'bad scores', by: 'U0ANA', trigger: 'slack' });
    for (let i = 0; i < 40 && (await deps.store.pending()).some((d) => d.kind === 'confirm-poll'); i++) {
      deps.clock.advance(30_000);
      await pollDeadlines(deps);
    }

    const incident = (await deps.store.getIncident('INC-1'))!;
    // The baseline is a moment in the past: asked for at that time, and found.
    expect(incident.confirmation?.baselines).toEqual({ 'error rate': 0.005 });
    expect(incident.confirmation).toMatchObject({ verdict: 'PASS', outcomes: ['pass', 'pass', 'pass'] });
    expect(incident.confirmation?.last?.checks[0]?.value).toBe(0.005);
    expect(incident.phase).toBe('resolved');
  });

  it("takes the baseline at the moment the bad version took traffic by Prometheus' clock, not 10 minutes into it", async () => {
    // The ledger stamps a deployment with rollbot's clock. By Prometheus', that moment is 10 minutes earlier: asked
    // at the ledger's time, the "baseline" is the bad version's own error rate, and a rollback that only partly
    // restored the model would pass confirmation against it.
    const skewMs = 10 * 60_000;
    const metrics = new FakeMetrics();
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', RUNBOOK)], metricsSource: metrics });
    const prometheusNow = () => deps.clock.now() - skewMs;
    metrics.clock = { now: prometheusNow };
    const deployedAt = deps.clock.now() - HOUR; // by rollbot's clock, as the ledger records it
    const tookTraffic = deployedAt - skewMs; // the same moment by Prometheus'
    const rolledBack = prometheusNow() + 1;
    metrics.set(ERRORS, (at) =>
      at > prometheusNow() ? undefined : at <= tookTraffic ? 0.005 : at < rolledBack ? 0.015 : 0.012,
    );
    for (const [version, at] of [
      ['v41', deployedAt - 24 * HOUR],
      ['v42', deployedAt],
    ] as const) {
      await deps.store.recordDeployment({ model: 'fraud-scorer', version, strategy: 'canary', at, by: 'ci' });
    }
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await pollDeadlines(deps);
    await rollback(deps, { model: 'fraud-scorer', reason: 'bad scores', by: 'U0ANA', trigger: 'slack' });
    for (let i = 0; i < 40 && (await deps.store.pending()).some((d) => d.kind === 'confirm-poll'); i++) {
      deps.clock.advance(30_000);
      await pollDeadlines(deps);
    }

    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.confirmation?.baselines).toEqual({ 'error rate': 0.005 });
    // 1.2 % is not back within 10 % of 0.5 %: the rollback did not restore service.
    expect(incident.confirmation?.verdict).toBe('FAIL');
    expect(incident.phase).not.toBe('resolved');
  });
});
