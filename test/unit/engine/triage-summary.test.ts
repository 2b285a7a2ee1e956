import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { answerError, transportError } from '../../../src/metrics-source/errors.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { FakeMetrics } from '../../helpers/fake-metrics.js';

const QUERY_TEXT = `sum(rate(http_requests_total{model="fraud-scorer",code=~"5.."}[1m])) / ${'x'.repeat(100)}`;

function runbookOf(checks: readonly { name: string; query: string }[], policy = 'approve') {
  const lines = checks.map(
    ({ name, query }) => `    - { name: ${name}, kind: error, query: '${query}', max: 0.02 }`,
  );
  return makeRunbook(
    'fraud-scorer',
    `triage:\n  checks:\n${lines.join('\n')}\nrollback: { policy: ${policy}, approvers: [U0APPROVE1] }`,
  );
}

async function summaryOf(deps: TestDeps): Promise<string> {
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  await pollDeadlines(deps);
  return (await deps.store.getIncident('INC-1'))?.triage?.summary ?? '';
}

describe('the triage summary', () => {
  it('names each check whose query failed with what went wrong, not only the first, and not its query', async () => {
    const long = `connect ECONNREFUSED 10.0.0.9:9090 ${'y'.repeat(300)}`;
    const metrics = new FakeMetrics();
    metrics.range = (promql) =>
      Promise.reject(
        promql === 'p99'
          ? answerError('p99', 400, { errorType: 'bad_data', error: 'unknown function "p99"' }, '')
          : transportError(promql, new Error(long), {
              host: 'prometheus:9090',
              timeoutMs: 1,
              timedOut: false,
            }),
      );
    const runbook = runbookOf([
      { name: 'error rate', query: QUERY_TEXT },
      { name: 'approval rate', query: 'approvals' },
      { name: 'p99 latency', query: 'p99' },
    ]);
    const deps = makeDeps({ runbooks: [runbook], metricsSource: metrics });
    const summary = await summaryOf(deps);
    expect(summary).toMatch(
      /^Prometheus could not be asked \(error rate, approval rate: cannot reach prometheus:9090: connect ECONNREFUSED 10\.0\.0\.9:9090 y+… \(check PROMETHEUS_URL[^)]*\); p99 latency: Prometheus refused it \(HTTP 400 bad_data: unknown function "p99"\) \(fix the PromQL of this check in the runbook\)\): a person decides$/,
    );
    expect(summary).not.toContain('http_requests_total');
    expect(summary.length).toBeLessThan(600);
  });

  it('names a few of the many checks one failure left unmeasured, and counts the rest', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `check ${i + 1}`);
    const metrics = new FakeMetrics();
    metrics.down = true;
    const runbook = runbookOf(names.map((name) => ({ name, query: name.replace(' ', '_') })));
    const deps = makeDeps({ runbooks: [runbook], metricsSource: metrics });
    expect(await summaryOf(deps)).toBe(
      'Prometheus could not be asked (check 1, check 2, check 3, check 4, check 5 and 25 more checks: connect ECONNREFUSED 127.0.0.1:9090 (check PROMETHEUS_URL)): a person decides',
    );
  });

  it('names a few of many breached checks and counts the rest, so that the rollback reason stays short', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `check ${i + 1}`);
    const metrics = new FakeMetrics();
    for (const name of names) metrics.set(name.replace(' ', '_'), 0.5);
    const runbook = runbookOf(
      names.map((name) => ({ name, query: name.replace(' ', '_') })),
      'auto',
    );
    const deps = makeDeps({ runbooks: [runbook], metricsSource: metrics });
    const summary = await summaryOf(deps);
    expect(summary).toMatch(
      /^check 1 0\.5 outside ≤ 0\.02 for 3 of 3 measurements \(3 needed\) \(flat ▄+\); /,
    );
    expect(summary).toMatch(/; check 5 0\.5 outside .*; and 35 more checks breached$/);
    expect(summary).not.toContain('check 6 ');
    const started = (await deps.store.list('INC-1')).find((entry) => entry.type === 'rollback.started');
    expect(started?.text).toContain(`auto: ${summary}`);
  });

  it('names a few of many unclear checks and counts the rest', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `check ${i + 1}`);
    const metrics = new FakeMetrics(); // every query answers with no data
    const runbook = runbookOf(names.map((name) => ({ name, query: name.replace(' ', '_') })));
    const deps = makeDeps({ runbooks: [runbook], metricsSource: metrics });
    expect(await summaryOf(deps)).toBe(
      'no clear signal (check 1: no data; check 2: no data; check 3: no data; check 4: no data; check 5: no data; and 7 more checks unclear): a person decides',
    );
  });
});
