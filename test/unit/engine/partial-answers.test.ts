/**
 * Triage and confirmation on answers Prometheus flagged as partial (`warnings`): the warnings are kept with the
 * check and shown, and such an answer never by itself passes confirmation or starts an automatic rollback.
 */
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { FakeMetrics } from '../../helpers/fake-metrics.js';

const ERRORS = 'error_ratio{model="fraud-scorer"}';
const LATENCY = 'p99_seconds{model="fraud-scorer"}';
const CHECKS = `triage:
  checks:
    - { name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }
    - { name: p99 latency, kind: latency, query: '${LATENCY}', max: 0.25 }`;
const REMOTE_READ = 'error sending request: Post "http://archive:9201/read": connection refused';

function setup(rollback: string, metrics = new FakeMetrics().set(ERRORS, 0.079).set(LATENCY, 0.1)) {
  const runbook = makeRunbook('fraud-scorer', `${CHECKS}\nrollback: ${rollback}`);
  return { deps: makeDeps({ runbooks: [runbook], metricsSource: metrics }), metrics };
}

async function open(deps: TestDeps) {
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  await pollDeadlines(deps); // the triage run
  return (await deps.store.getIncident('INC-1'))!;
}

async function timeline(deps: TestDeps) {
  return (await deps.store.list('INC-1')).map((entry) => `${entry.type}: ${entry.text}`);
}

describe('triage on a partial answer', () => {
  it('does not roll back automatically on a breach only a partial answer shows: a person decides, told why', async () => {
    const { deps, metrics } = setup('{ policy: auto }');
    metrics.warn(ERRORS, [REMOTE_READ]);
    const incident = await open(deps);
    expect(incident.triage?.finding).toBe('breach');
    expect(incident.triage?.checks.map((check) => [check.name, check.verdict, check.warnings])).toEqual([
      ['error rate', 'FAIL', [REMOTE_READ]],
      ['p99 latency', 'PASS', undefined],
    ]);
    expect(incident.phase).toBe('triage');
    expect(deps.fake.mutations).toBe(0);
    const [request] = deps.notifier.ofType('decision.requested');
    expect(request?.text).toMatch(/^threshold breached — error rate 0\.079 outside ≤ 0\.02 for 3 of 3/);
    expect(request?.text).toContain(`Partial answers (Prometheus warnings): error rate "${REMOTE_READ}"`);
    expect(request?.text).toMatch(
      /Policy auto does not roll back on partial answers alone: a person decides$/,
    );
    // The timeline, the compliance record, says the finding rests on a partial answer.
    expect((await timeline(deps)).find((line) => line.startsWith('triage.result'))).toContain(
      `Partial answers (Prometheus warnings): error rate "${REMOTE_READ}"`,
    );
  });

  it('still rolls back automatically when another check breached on a complete answer', async () => {
    const { deps, metrics } = setup('{ policy: auto }');
    metrics.set(LATENCY, 0.9).warn(ERRORS, [REMOTE_READ]);
    const incident = await open(deps);
    expect(incident.phase).toBe('confirm');
    expect(deps.fake.mutations).toBe(1);
  });

  it('says that "no threshold breached" rests on a partial answer', async () => {
    const { deps, metrics } = setup('{ policy: auto }');
    metrics.set(ERRORS, 0.004).warn(LATENCY, [REMOTE_READ, 'results truncated due to limit']);
    const incident = await open(deps);
    expect(incident.triage?.finding).toBe('ok');
    expect(deps.fake.mutations).toBe(0);
    expect(deps.notifier.ofType('decision.requested')[0]?.text).toBe(
      `no threshold breached (error rate 0.004, p99 latency 0.1): a person decides. Partial answers (Prometheus warnings): p99 latency "${REMOTE_READ}" (+1 more)`,
    );
  });

  it('does not take an empty partial answer for "no data" that onNoData: rollback may act on', async () => {
    const metrics = new FakeMetrics().set(LATENCY, 0.1).warn(ERRORS, [REMOTE_READ]); // errors: empty
    const { deps } = setup('{ policy: auto, onNoData: rollback }', metrics);
    const incident = await open(deps);
    expect(incident.triage?.finding).toBe('no-data');
    expect(incident.phase).toBe('triage');
    expect(deps.fake.mutations).toBe(0);
    expect(deps.notifier.ofType('decision.requested')[0]?.text).toMatch(
      /^no clear signal \(error rate: no data\): a person decides\. Partial answers .*Policy auto does not roll back on partial answers alone: a person decides$/,
    );
  });

  it('keeps what Prometheus said on one line, without control characters', async () => {
    const { deps, metrics } = setup('{ policy: approve }');
    metrics.warn(ERRORS, ['store\n\u001b[2Jdown', 'store\n\u001b[2Jdown']);
    const incident = await open(deps);
    expect(incident.triage?.checks[0]?.warnings).toEqual(['store [2Jdown']);
  });
});

describe('confirmation on partial answers', () => {
  /** Rolled back by policy auto at 0.079; afterwards the error rate is `after` and its answers warn `warnings`. */
  async function rolledBack(metrics: FakeMetrics, after: number) {
    const { deps } = setup('{ policy: auto }', metrics);
    const deployedAt = deps.clock.now() - 3_600_000;
    for (const [version, at] of [
      ['v41', deployedAt - 86_400_000],
      ['v42', deployedAt],
    ] as const)
      await deps.store.recordDeployment({ model: 'fraud-scorer', version, strategy: 'canary', at, by: 'ci' });
    const rollbackAt = deps.clock.now();
    metrics.set(ERRORS, (at) => (at <= deployedAt ? 0.005 : at <= rollbackAt ? 0.079 : after));
    expect((await open(deps)).phase).toBe('confirm');
    return deps;
  }

  async function pollUntilQuiet(deps: TestDeps) {
    for (let i = 0; i < 60 && (await deps.store.pending()).some((d) => d.kind === 'confirm-poll'); i++) {
      deps.clock.advance(30_000);
      await pollDeadlines(deps);
    }
  }

  it('does not pass on answers that carry warnings: INCONCLUSIVE at the confirm target, and a person decides', async () => {
    const metrics = new FakeMetrics().set(LATENCY, 0.1);
    const deps = await rolledBack(metrics, 0.0051);
    const rolledBackAt = deps.clock.now();
    metrics.warn(ERRORS, (at) => (at > rolledBackAt ? [REMOTE_READ] : []));
    await pollUntilQuiet(deps);
    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.phase).toBe('confirm');
    expect(incident.confirmation?.verdict).toBe('INCONCLUSIVE');
    expect(incident.confirmation?.outcomes.every((outcome) => outcome === 'inconclusive')).toBe(true);
    expect(incident.confirmation?.last?.checks[0]).toMatchObject({
      name: 'error rate',
      value: 0.0051,
      verdict: 'INCONCLUSIVE',
      warnings: [REMOTE_READ],
    });
    const polls = (await timeline(deps)).filter((line) => line.startsWith('confirm.poll'));
    expect(polls[0]).toBe(
      `confirm.poll: confirmation 1: error rate 0.0051 (≤ 0.0055) INCONCLUSIVE (partial answer "${REMOTE_READ}"), p99 latency 0.1 (≤ 0.11) PASS`,
    );
    // Said on the timeline: the confirm target's escalation, at the same moment, paged for it already.
    const inconclusive = (await timeline(deps)).find((line) =>
      line.startsWith('confirm.failed: no confirmation verdict within the confirm target'),
    );
    expect(inconclusive).toContain(`partial answer "${REMOTE_READ}"`);
    expect((await timeline(deps)).filter((line) => line.startsWith('incident.resolved'))).toEqual([]);
  });

  it('passes once the answers are complete again: a passing warning only delays confirmation', async () => {
    const metrics = new FakeMetrics().set(LATENCY, 0.1);
    const deps = await rolledBack(metrics, 0.0051);
    const clearsAt = deps.clock.now() + 90_000;
    metrics.warn(ERRORS, (at) => (at > clearsAt - 90_000 && at < clearsAt ? [REMOTE_READ] : []));
    await pollUntilQuiet(deps);
    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.phase).toBe('resolved');
    expect(incident.confirmation?.verdict).toBe('PASS');
    expect(incident.confirmation?.outcomes.slice(0, 2)).toEqual(['inconclusive', 'inconclusive']);
    expect(incident.confirmation?.outcomes.slice(-3)).toEqual(['pass', 'pass', 'pass']);
  });

  it('does not take a baseline from a partial answer: the triage thresholds apply, and the timeline says why', async () => {
    const metrics = new FakeMetrics().set(LATENCY, 0.1);
    const deployedAt = Date.parse('2026-11-22T02:00:00Z') - 3_600_000;
    metrics.warn(ERRORS, (at) => (at === deployedAt ? [REMOTE_READ] : []));
    const deps = await rolledBack(metrics, 0.0051);
    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.confirmation?.baselines).toEqual({ 'error rate': null, 'p99 latency': 0.1 });
    expect((await timeline(deps)).find((line) => line.startsWith('confirm.started'))).toContain(
      `no baseline from a partial answer (Prometheus warnings) for error rate "${REMOTE_READ}": its triage thresholds apply`,
    );
  });
});
