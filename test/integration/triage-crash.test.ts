/**
 * A replica that dies while triage decides: after it stored the triage (and what the decision rests on) and
 * before, or while, it asked a person or rolled back. Another replica makes the decision, and an automatic
 * rollback still happens once at most. The memory store expires locks by the test clock, so a replica that
 * dies holding one (the rollback's, the decision's) is outlived in test time.
 */
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../src/engine/intake.js';
import { pollDeadlines } from '../../src/engine/poller.js';
import type { RollbackPolicy } from '../../src/runbooks/defaults.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { firing } from '../helpers/alerts.js';
import { dyingStore, storedTriage } from '../helpers/dying-store.js';
import { makeDeps, makeRunbook, recordDeployments, TestClock, type TestDeps } from '../helpers/engine.js';
import { FakeMetrics } from '../helpers/fake-metrics.js';
import { FakeServing } from '../helpers/fake-serving.js';

const MINUTE = 60_000;
const ERRORS = 'error_ratio{model="fraud-scorer"}';
const CHECKS = `triage:
  checks:
    - { name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }`;

/**
 * An incident opened by a healthy replica, whose first triage run (a breach) goes to `decider`, which dies
 * `dieAfter` store calls after it stored the triage. Both replicas share the store, the serving layer (which
 * serves v42; v40 and v41 before it) and Prometheus.
 */
async function triagedByADyingReplica(policy: RollbackPolicy, dieAfter: number) {
  const clock = new TestClock();
  const shared = createMemoryStore({ clock });
  const fake = new FakeServing();
  const metricsSource = new FakeMetrics().set(ERRORS, 0.079);
  const runbooks = [makeRunbook('fraud-scorer', `${CHECKS}\nrollback: { policy: ${policy} }`)];
  const dying = dyingStore(shared, dieAfter, storedTriage);
  const decider = makeDeps({ store: dying.store, clock, fake, metricsSource, runbooks });
  const survivor = makeDeps({ store: shared, clock, fake, metricsSource, runbooks });
  await recordDeployments(survivor, 'fraud-scorer', ['v40', 'v41', 'v42']);
  await ingestAlerts(survivor, [firing('fraud-scorer', clock.now())]);
  // The first triage run is due now: the decider takes it.
  const deciding = pollDeadlines(decider);
  await Promise.race([deciding, dying.died]);
  return { dying, deciding, decider, survivor, fake };
}

/** Polls every 10 s of test time; within a step, again while deadlines keep coming due. */
async function pollFor(deps: TestDeps, ms: number): Promise<void> {
  for (let passed = 0; passed < ms; passed += 10_000) {
    deps.clock.advance(10_000);
    while ((await pollDeadlines(deps)) > 0);
  }
}

/** Well short of the triage target (10 minutes), whose escalation would ask people in any case. */
const SHORT_OF_THE_TRIAGE_TARGET = 8 * MINUTE;

async function timelineTypes(deps: TestDeps): Promise<string[]> {
  return (await deps.store.list('INC-1')).map((entry) => entry.type);
}

const count = (types: string[], type: string) => types.filter((seen) => seen === type).length;
const asked = (...replicas: TestDeps[]) =>
  replicas.reduce((sum, deps) => sum + deps.notifier.ofType('decision.requested').length, 0);

describe('a replica that dies after storing a triage, before its decision', () => {
  it('policy approve: another replica asks a person', async () => {
    const { survivor } = await triagedByADyingReplica('approve', 0);
    await pollFor(survivor, SHORT_OF_THE_TRIAGE_TARGET);
    expect(asked(survivor)).toBe(1);
    expect(count(await timelineTypes(survivor), 'decision.requested')).toBe(1);
  });

  it('policy auto: another replica rolls back', async () => {
    const { survivor, fake } = await triagedByADyingReplica('auto', 0);
    await pollFor(survivor, SHORT_OF_THE_TRIAGE_TARGET);
    const incident = await survivor.store.getIncident('INC-1');
    expect(incident?.decision).toMatchObject({ kind: 'rollback', by: 'rollbot', trigger: 'auto' });
    expect(fake.current).toBe('v41');
    expect(fake.mutations).toBe(1);
  });
});

describe('a replica stalled for minutes after storing a triage', () => {
  it('finds that another replica asked, and asks nobody again', async () => {
    const { dying, deciding, decider, survivor } = await triagedByADyingReplica('approve', 0);
    await pollFor(survivor, 3 * MINUTE);
    expect(asked(survivor)).toBe(1);

    dying.resume();
    expect(await deciding).toBe(1);
    await pollFor(survivor, 3 * MINUTE);
    expect(asked(decider, survivor)).toBe(1);
    expect(count(await timelineTypes(survivor), 'decision.requested')).toBe(1);
    expect((await survivor.store.pending()).map((deadline) => deadline.id)).toEqual(['INC-1:triage']);
  });
});

describe('a replica that dies at any point of triage deciding', () => {
  it('policy approve: a person is asked, and the request is on the timeline once', async () => {
    const whole = await triagedByADyingReplica('approve', Infinity);
    const calls = whole.dying.callsSince();
    expect(calls).toBeGreaterThanOrEqual(3);

    for (let dieAfter = 0; dieAfter <= calls; dieAfter++) {
      const { decider, survivor } = await triagedByADyingReplica('approve', dieAfter);
      await pollFor(survivor, SHORT_OF_THE_TRIAGE_TARGET);
      const why = `dying after ${dieAfter} of ${calls} calls`;
      // What the dead replica handed its notifier may have gone out or died with it; the survivor asks at most
      // once, and only when the dead one had not recorded that it asked.
      expect(asked(decider, survivor), why).toBeGreaterThanOrEqual(1);
      expect(asked(survivor), why).toBeLessThanOrEqual(1);
      expect(count(await timelineTypes(survivor), 'decision.requested'), why).toBe(1);
      expect(
        (await survivor.store.pending()).map((deadline) => deadline.id),
        why,
      ).toEqual(['INC-1:triage']);
    }
  });

  it('policy auto: the decision is made, and the model is never rolled back twice', async () => {
    const whole = await triagedByADyingReplica('auto', Infinity);
    const calls = whole.dying.callsSince();
    expect(whole.fake.current).toBe('v41');

    for (let dieAfter = 0; dieAfter <= calls; dieAfter++) {
      const { survivor, fake } = await triagedByADyingReplica('auto', dieAfter);
      await pollFor(survivor, SHORT_OF_THE_TRIAGE_TARGET);
      const why = `dying after ${dieAfter} of ${calls} calls`;
      const types = await timelineTypes(survivor);
      const incident = await survivor.store.getIncident('INC-1');
      // Rolled back once (or, dying mid-rollback, left to recovery and a person), never past v41.
      expect(incident?.phase, why).not.toBe('triage');
      expect(incident?.rollback, why).toMatchObject({ attempt: 1, by: 'rollbot', trigger: 'auto' });
      expect(count(types, 'rollback.started'), why).toBeLessThanOrEqual(1);
      expect(fake.mutations, why).toBeLessThanOrEqual(1);
      expect(fake.current, why).not.toBe('v40');
      expect(count(types, 'decision.requested'), why).toBe(0);
    }
  });
});

describe('a replica SIGKILLed with the decision request still in its queue for Slack', () => {
  it('leaves the request to another replica, which asks once and records it once it has arrived', async () => {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const metricsSource = new FakeMetrics().set(ERRORS, 0.079);
    const runbooks = [makeRunbook('fraud-scorer', `${CHECKS}\nrollback: { policy: approve }`)];
    const decider = makeDeps({ store: shared, clock, metricsSource, runbooks });
    const survivor = makeDeps({ store: shared, clock, metricsSource, runbooks });
    // Slack is slow: the request waits in the decider's queue, which dies with the decider.
    decider.timing = { ...decider.timing, arrivalWaitMs: 5 };
    decider.notifier.arrival = () => new Promise<boolean>(() => undefined);
    await ingestAlerts(survivor, [firing('fraud-scorer', clock.now())]);
    await pollDeadlines(decider);
    expect(asked(decider)).toBe(1);

    await pollFor(survivor, SHORT_OF_THE_TRIAGE_TARGET);
    expect(asked(survivor)).toBe(1);
    const requests = (await survivor.store.list('INC-1')).filter(
      (entry) => entry.type === 'decision.requested',
    );
    expect(requests).toMatchObject([{ data: { delivered: true } }]);
    expect((await survivor.store.pending()).map((deadline) => deadline.id)).toEqual(['INC-1:triage']);
  });
});
