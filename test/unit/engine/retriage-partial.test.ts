/**
 * Triage again (another alert joined) after a finding that rested on answers Prometheus flagged as partial:
 * policy `auto` acts once the same finding shows on complete answers, and never acts twice, nor over a person.
 */
import { describe, expect, it } from 'vitest';
import { dismiss } from '../../../src/engine/decisions.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { rollback } from '../../../src/engine/rollback.js';
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
const SUPERSEDED = 'Prometheus answers are complete now: policy auto rolls back';

function setup(rollbackBlock: string, metrics = new FakeMetrics().set(ERRORS, 0.079).set(LATENCY, 0.1)) {
  const runbook = makeRunbook('fraud-scorer', `${CHECKS}\nrollback: ${rollbackBlock}`);
  return { deps: makeDeps({ runbooks: [runbook], metricsSource: metrics }), metrics };
}

async function open(deps: TestDeps) {
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  await pollDeadlines(deps); // the triage run
  return (await deps.store.getIncident('INC-1'))!;
}

/** Another alert joins; its triage run comes once the triage interval (30 s) of the last one has passed. */
async function alertJoins(deps: TestDeps) {
  const at = deps.clock.now();
  await ingestAlerts(deps, [firing('fraud-scorer', at, { fingerprint: `joined-at-${at}` })]);
}

async function triageAgain(deps: TestDeps) {
  await alertJoins(deps);
  deps.clock.advance(30_000);
  await pollDeadlines(deps);
  return (await deps.store.getIncident('INC-1'))!;
}

async function timeline(deps: TestDeps) {
  return (await deps.store.list('INC-1')).map((entry) => `${entry.type}: ${entry.text}`);
}

describe('triage again after a finding on partial answers, policy auto', () => {
  it('rolls back once the same breach shows on complete answers, superseding the decision it asked for', async () => {
    const { deps, metrics } = setup('{ policy: auto }');
    metrics.warn(ERRORS, [REMOTE_READ]);
    expect((await open(deps)).phase).toBe('triage');
    expect(deps.notifier.ofType('decision.requested')).toHaveLength(1);

    metrics.warn(ERRORS, []);
    const incident = await triageAgain(deps);
    expect(incident.triage?.finding).toBe('breach');
    expect(incident.phase).toBe('confirm');
    expect(incident.decision).toMatchObject({ kind: 'rollback', by: 'rollbot', trigger: 'auto' });
    expect(deps.fake.mutations).toBe(1);
    // The thread says why the request people were shown no longer needs them, before the rollback's own lines.
    const lines = await timeline(deps);
    const superseded = lines.findIndex((line) => line.startsWith('decision.superseded'));
    expect(lines[superseded]).toBe(
      `decision.superseded: ${SUPERSEDED}; the decision asked for earlier is no longer needed`,
    );
    expect(superseded).toBeLessThan(lines.findIndex((line) => line.startsWith('rollback.started')));
    expect(
      deps.notifier.ofType('incident.updated').filter((event) => event.text.startsWith(SUPERSEDED)),
    ).toHaveLength(1);
    expect(deps.notifier.ofType('decision.requested')).toHaveLength(1);
  });

  it('rolls back once empty answers are complete, with onNoData: rollback', async () => {
    const metrics = new FakeMetrics().set(LATENCY, 0.1).warn(ERRORS, [REMOTE_READ]); // errors: empty
    const { deps } = setup('{ policy: auto, onNoData: rollback }', metrics);
    expect((await open(deps)).phase).toBe('triage');

    metrics.warn(ERRORS, []);
    const incident = await triageAgain(deps);
    expect(incident.triage?.finding).toBe('no-data');
    expect(incident.phase).toBe('confirm');
    expect(deps.fake.mutations).toBe(1);
  });

  it('keeps asking nobody again while the breach still shows only on partial answers', async () => {
    const { deps, metrics } = setup('{ policy: auto }');
    metrics.warn(ERRORS, [REMOTE_READ]);
    await open(deps);
    await triageAgain(deps);
    const incident = await triageAgain(deps);
    expect(incident.phase).toBe('triage');
    expect(deps.fake.mutations).toBe(0);
    expect((await timeline(deps)).filter((line) => line.startsWith('triage.result'))).toHaveLength(3);
    expect(deps.notifier.ofType('decision.requested')).toHaveLength(1);
  });

  it('acts on a breach once: after a refused automatic rollback, answers that flap partial and complete again change nothing', async () => {
    const { deps, metrics } = setup('{ policy: auto }');
    deps.fake.previous = undefined; // no version to roll back to: the automatic rollback is refused
    await open(deps);
    expect(deps.notifier.ofType('decision.requested').map((event) => event.text)).toEqual([
      expect.stringMatching(/^automatic rollback refused: no previous version known/),
    ]);
    deps.fake.previous = 'v41'; // it would succeed now

    metrics.warn(ERRORS, [REMOTE_READ]);
    await triageAgain(deps);
    metrics.warn(ERRORS, []);
    const incident = await triageAgain(deps);
    expect(incident.phase).toBe('triage');
    expect(deps.fake.mutations).toBe(0);
    expect(deps.notifier.ofType('decision.requested')).toHaveLength(1);
    expect((await timeline(deps)).filter((line) => line.startsWith('decision.superseded'))).toEqual([]);
  });

  it('does not override a person who rolled back after being asked', async () => {
    const { deps, metrics } = setup('{ policy: auto }');
    metrics.warn(ERRORS, [REMOTE_READ]);
    await open(deps);
    await alertJoins(deps); // its triage run is due in 30 s
    await rollback(deps, { model: 'fraud-scorer', reason: 'error rate', by: 'U0ANA', trigger: 'slack' });

    metrics.warn(ERRORS, []);
    deps.clock.advance(30_000);
    await pollDeadlines(deps);
    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.rollback).toMatchObject({ attempt: 1, by: 'U0ANA' });
    expect(deps.fake.mutations).toBe(1);
    expect((await timeline(deps)).filter((line) => line.startsWith('triage.result'))).toHaveLength(1);
  });

  it('does not override a person who decided "not a rollback" after being asked', async () => {
    const { deps, metrics } = setup('{ policy: auto }');
    metrics.warn(ERRORS, [REMOTE_READ]);
    await open(deps);
    await alertJoins(deps);
    await dismiss(deps, 'INC-1', {
      actor: { id: 'U0ANA', groups: [] },
      reason: 'upstream outage, not the model',
      trigger: 'slack',
    });

    metrics.warn(ERRORS, []);
    deps.clock.advance(30_000);
    await pollDeadlines(deps);
    expect((await deps.store.getIncident('INC-1'))?.phase).toBe('dismissed');
    expect(deps.fake.mutations).toBe(0);
  });
});

describe('triage again after a finding on partial answers, policy approve', () => {
  it('does not ask a second time when the same breach shows on complete answers', async () => {
    const { deps, metrics } = setup('{ policy: approve }');
    metrics.warn(ERRORS, [REMOTE_READ]);
    await open(deps);
    metrics.warn(ERRORS, []);
    const incident = await triageAgain(deps);
    expect(incident.phase).toBe('triage');
    expect(deps.fake.mutations).toBe(0);
    expect(deps.notifier.ofType('decision.requested')).toHaveLength(1);
  });
});
