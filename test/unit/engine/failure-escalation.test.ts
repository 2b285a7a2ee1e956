/**
 * A failed rollback and a failed confirmation are the two moments a 2am on-call most needs to be woken: their
 * escalations must not die queued with their replica (a rolling deploy while the pager answers 503), as missed
 * targets' and unknown outcomes' do not. Each is sent under a deadline scheduled before the failure is written,
 * recorded once it arrived, and sent again by another replica when it did not.
 */
import { describe, expect, it } from 'vitest';
import type { EscalationEvent } from '../../../src/engine/notifier-port.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { DEADLINE_LEASE_MS, pollDeadlines } from '../../../src/engine/poller.js';
import { resolve } from '../../../src/engine/resolve.js';
import { rollback, type RollbackRequest } from '../../../src/engine/rollback.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { drillDeps, STAGING } from '../../helpers/drill-deps.js';
import { FakeMetrics } from '../../helpers/fake-metrics.js';
import { permanent } from '../../helpers/fake-serving.js';

const MINUTE = 60_000;

const request: RollbackRequest = {
  model: 'fraud-scorer',
  reason: 'p99 doubled after v42',
  by: 'cli:ana',
  trigger: 'cli',
};

/** Deps whose escalations never arrive (the pager answering 503 until the replica is stopped). */
function replicaWithPagerDown(options: Parameters<typeof makeDeps>[0] = {}): TestDeps {
  const deps = makeDeps(options);
  deps.timing = { ...deps.timing, arrivalWaitMs: 5 };
  deps.notifier.arrival = (event) =>
    event.type === 'escalation' ? new Promise<boolean>(() => undefined) : Promise.resolve(true);
  return deps;
}

/** Another replica on the same store, clock and serving layer: the one left once the first is stopped. */
function survivor(dead: TestDeps, options: Parameters<typeof makeDeps>[0] = {}): TestDeps {
  const deps = makeDeps({ store: dead.store, clock: dead.clock, fake: dead.fake, ...options });
  deps.timing = { ...deps.timing, arrivalWaitMs: 5 };
  return deps;
}

const escalations = (deps: TestDeps, about: string): EscalationEvent[] =>
  deps.notifier.delivered.filter(
    (event): event is EscalationEvent => event.type === 'escalation' && event.about === about,
  );

async function entries(deps: TestDeps, type: string) {
  return (await deps.store.list('INC-1')).filter((entry) => entry.type === type);
}

describe("a failed rollback's escalation", () => {
  it('is sent by another replica when the one whose rollback failed is stopped with it undelivered', async () => {
    const first = replicaWithPagerDown();
    first.fake.executeErrors.push(permanent());
    const result = await rollback(first, request);
    expect(result.outcome).toBe('failed');
    // Handed to the pager, never arrived: not recorded as sent.
    expect(escalations(first, 'rollback-failed')).toHaveLength(1);
    expect((await entries(first, 'rollback.failed')).filter((entry) => entry.data?.escalated)).toEqual([]);

    const second = survivor(first);
    first.clock.advance(MINUTE - 1);
    await pollDeadlines(second);
    expect(escalations(second, 'rollback-failed')).toEqual([]);
    first.clock.advance(1);
    await pollDeadlines(second);

    const [sent] = escalations(second, 'rollback-failed');
    expect(sent).toMatchObject({ stage: 'rollback', mention: ['S0PLATFORM'] });
    expect(sent?.text).toBe(
      'rollback of fraud-scorer to v41 FAILED: HTTP 403: forbidden. Traffic may still be on v42; decide now.',
    );
    expect(await entries(second, 'rollback.failed')).toMatchObject([
      { text: 'rollback failed: HTTP 403: forbidden (check RBAC)', data: { attempt: 1 } },
      {
        text: 'rollback of fraud-scorer to v41 FAILED: HTTP 403: forbidden. Traffic may still be on v42; decide now. Escalated to S0PLATFORM.',
        data: { attempt: 1, escalated: true, delivered: true },
      },
    ]);
    expect((await second.store.pending()).map((deadline) => deadline.kind)).not.toContain('rollback-failed');

    // Its deadline done, it is not sent a second time.
    first.clock.advance(10 * MINUTE);
    await pollDeadlines(second);
    expect(escalations(second, 'rollback-failed')).toHaveLength(1);
  });

  it('is recorded once it arrives, and its deadline then sends nothing', async () => {
    const deps = makeDeps();
    deps.fake.executeErrors.push(permanent());
    let lockHeldWhileSending: boolean | undefined;
    deps.notifier.arrival = async () => {
      lockHeldWhileSending = (await deps.store.holder('rollback:fraud-scorer')) !== undefined;
      return true;
    };
    await rollback(deps, request);
    // Sent once the rollback lock is released: a retry is not refused while the pager is slow.
    expect(lockHeldWhileSending).toBe(false);
    expect(escalations(deps, 'rollback-failed')).toHaveLength(1);
    expect((await entries(deps, 'rollback.failed')).filter((entry) => entry.data?.escalated)).toMatchObject([
      { data: { attempt: 1, delivered: true } },
    ]);
    expect((await deps.store.pending()).map((deadline) => deadline.kind)).not.toContain('rollback-failed');

    deps.clock.advance(10 * MINUTE);
    await pollDeadlines(deps);
    expect(escalations(deps, 'rollback-failed')).toHaveLength(1);
  });

  it('says on the timeline when it reached nobody', async () => {
    const deps = makeDeps();
    deps.fake.executeErrors.push(permanent());
    deps.notifier.arrival = async () => false;
    await rollback(deps, request);
    expect((await entries(deps, 'rollback.failed')).filter((entry) => entry.data?.escalated)).toMatchObject([
      {
        text: 'rollback of fraud-scorer to v41 FAILED: HTTP 403: forbidden. Traffic may still be on v42; decide now. The escalation to S0PLATFORM could not be delivered (see the logs): tell them by hand.',
        data: { attempt: 1, delivered: false },
      },
    ]);
  });

  it('is not sent for an attempt a person has run again since', async () => {
    const first = replicaWithPagerDown();
    first.fake.executeErrors.push(permanent());
    await rollback(first, request);
    const second = survivor(first);
    expect((await rollback(second, { ...request, by: 'U0ONCALL' })).outcome).toBe('succeeded');

    first.clock.advance(MINUTE);
    await pollDeadlines(second);
    expect(escalations(second, 'rollback-failed')).toEqual([]);
  });

  it("of a drill pages nobody and schedules nothing: the drill's scorecard says it", async () => {
    const { deps, staging } = drillDeps(STAGING);
    staging.executeErrors.push(permanent('HTTP 403: forbidden in ml-staging'));
    await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });
    expect(deps.notifier.delivered.filter((event) => event.type === 'escalation')).toEqual([]);
    expect((await deps.store.pending()).map((deadline) => deadline.kind)).not.toContain('rollback-failed');
  });
});

const ERRORS = 'error_ratio{model="fraud-scorer"}';

/** An incident rolled back automatically at 02:00, its error rate not back afterwards (confirmation FAILs). */
async function rolledBackNotRestored(deps: TestDeps, metrics: FakeMetrics) {
  const deployedAt = deps.clock.now() - 3_600_000;
  await deps.store.recordDeployment({
    model: 'fraud-scorer',
    version: 'v41',
    strategy: 'canary',
    at: deployedAt - 86_400_000,
    by: 'ci',
  });
  await deps.store.recordDeployment({
    model: 'fraud-scorer',
    version: 'v42',
    strategy: 'canary',
    at: deployedAt,
    by: 'ci',
  });
  metrics.set(ERRORS, (at) => (at <= deployedAt ? 0.005 : 0.079));
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  await pollDeadlines(deps); // the triage run, which rolls back
  expect((await deps.store.getIncident('INC-1'))?.phase).toBe('confirm');
}

/** Polls confirmation until it has a verdict. */
async function untilVerdict(deps: TestDeps) {
  for (let poll = 0; poll < 40; poll++) {
    if ((await deps.store.getIncident('INC-1'))?.confirmation?.verdict) return;
    deps.clock.advance(30_000);
    await pollDeadlines(deps);
  }
  throw new Error('confirmation reached no verdict');
}

function confirmingDeps() {
  const metrics = new FakeMetrics().set(ERRORS, 0.079);
  const runbook = makeRunbook(
    'fraud-scorer',
    `triage:\n  checks:\n    - { name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }\nrollback: { policy: auto }`,
  );
  return { metrics, runbooks: [runbook], metricsSource: metrics };
}

describe("a failed confirmation's escalation", () => {
  it('is sent by another replica when the one that reached the verdict is stopped with it undelivered', async () => {
    const { metrics, ...options } = confirmingDeps();
    const first = replicaWithPagerDown(options);
    await rolledBackNotRestored(first, metrics);
    await untilVerdict(first);
    expect((await first.store.getIncident('INC-1'))?.confirmation?.verdict).toBe('FAIL');
    expect(escalations(first, 'confirmation-failed')).toHaveLength(1);
    expect(await entries(first, 'confirm.failed')).toEqual([]);

    const second = survivor(first, options);
    first.clock.advance(DEADLINE_LEASE_MS);
    await pollDeadlines(second);
    const [sent] = escalations(second, 'confirmation-failed');
    expect(sent).toMatchObject({ stage: 'confirm', mention: ['S0PLATFORM'] });
    expect(sent?.text).toMatch(/^the rollback did not restore service for fraud-scorer \(INC-1\): /);
    expect(await entries(second, 'confirm.failed')).toMatchObject([
      { data: { verdict: 'FAIL', attempt: 1, delivered: true } },
    ]);
    expect((await entries(second, 'confirm.failed'))[0]?.text).toMatch(/\. Escalated to S0PLATFORM\.$/);

    first.clock.advance(10 * MINUTE);
    await pollDeadlines(second);
    expect(escalations(second, 'confirmation-failed')).toHaveLength(1);
    expect(await entries(second, 'confirm.failed')).toHaveLength(1);
  });

  it('is recorded once it arrives, and sent once', async () => {
    const { metrics, ...options } = confirmingDeps();
    const deps = makeDeps(options);
    await rolledBackNotRestored(deps, metrics);
    await untilVerdict(deps);
    deps.clock.advance(10 * MINUTE);
    await pollDeadlines(deps);
    expect(escalations(deps, 'confirmation-failed')).toHaveLength(1);
    expect(await entries(deps, 'confirm.failed')).toMatchObject([
      { data: { verdict: 'FAIL', attempt: 1, delivered: true } },
    ]);
  });

  it('is not sent once a person has resolved the incident', async () => {
    const { metrics, ...options } = confirmingDeps();
    const first = replicaWithPagerDown(options);
    await rolledBackNotRestored(first, metrics);
    await untilVerdict(first);
    await resolve(first, 'INC-1', { by: 'U0ONCALL', reason: 'looked: a partner outage, not us' });

    const second = survivor(first, options);
    first.clock.advance(DEADLINE_LEASE_MS);
    await pollDeadlines(second);
    expect(escalations(second, 'confirmation-failed')).toEqual([]);
  });
});
