import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../src/engine/intake.js';
import { pollDeadlines, startDeadlinePoller } from '../../src/engine/poller.js';
import { rollback, rollbackLockName, type RollbackRequest } from '../../src/engine/rollback.js';
import type { Deadline, Store } from '../../src/engine/ports.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { firing } from '../helpers/alerts.js';
import { dyingStore, firstCall, rollbackBegun } from '../helpers/dying-store.js';
import { makeDeps, TestClock, type TestDeps } from '../helpers/engine.js';
import { FakeServing, permanent } from '../helpers/fake-serving.js';
import { lapsed, pollFor, timelineTypes, useRedisStores } from '../helpers/replicas.js';
import { afterCall } from '../helpers/same-instant.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

/** The on-call decides to roll back fraud-scorer's open incident. */
const request: RollbackRequest = {
  model: 'fraud-scorer',
  reason: 'p99 doubled after v42',
  by: 'U0ONCALL',
  trigger: 'slack',
};

/** Two replicas of one bot on one store and one serving layer; the first one's store may stop it. */
function replicas(openerStore: Store, survivorStore: Store, clock: TestClock) {
  const fake = new FakeServing();
  return {
    fake,
    opener: makeDeps({ store: openerStore, clock, fake }),
    survivor: makeDeps({ store: survivorStore, clock, fake }),
  };
}

/** How often each of the rollback's own entries is on the timeline. */
async function rollbackEntries(store: Store) {
  const types = await timelineTypes(store);
  const count = (type: string) => types.filter((seen) => seen === type).length;
  return {
    started: count('rollback.started'),
    unknown: count('rollback.unknown'),
    succeeded: count('rollback.succeeded'),
    breached: count('stage.breached:rollback'),
  };
}

/** The stages of the escalations the replicas given sent. */
function escalated(...replicas: TestDeps[]): string[] {
  return replicas.flatMap((deps) => deps.notifier.ofType('escalation').map((event) => event.stage));
}

describe('a replica that died right after it recorded a rollback on an open incident', () => {
  it('leaves the rollback to another replica, which settles it without executing it and records how it began', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const dying = dyingStore(redisStore(prefix), 0, rollbackBegun);
    const { fake, opener, survivor } = replicas(dying.store, redisStore(prefix), clock);
    // A short lease, so that the dead replica's rollback lock lapses within the test.
    opener.timing = { ...opener.timing, lockTtlMs: 500 };
    await ingestAlerts(survivor, [firing('fraud-scorer', clock.now())]);
    await pollDeadlines(survivor);
    clock.advance(MINUTE);

    // The opener dies (SIGKILL) the moment the incident says its rollback is executing.
    void rollback(opener, request);
    await dying.died;
    expect(await survivor.store.getIncident('INC-1')).toMatchObject({ rollback: { status: 'executing' } });
    await lapsed(survivor.store, rollbackLockName('fraud-scorer'));

    // Past the 5-minute rollback target.
    await pollFor(survivor, 8 * MINUTE);
    expect(await survivor.store.getIncident('INC-1')).toMatchObject({
      phase: 'rollback',
      rollback: { status: 'unknown' },
    });
    expect(fake.calls).not.toContain('execute');
    expect(await rollbackEntries(survivor.store)).toEqual({
      started: 1,
      unknown: 2,
      succeeded: 0,
      breached: 1,
    });
    const [started] = (await survivor.store.list('INC-1')).filter(
      (entry) => entry.type === 'rollback.started',
    );
    expect(started).toMatchObject({
      actor: 'U0ONCALL',
      text: 'rollback v42 → v41 on fake ml-prod/model (traffic-flip) requested by U0ONCALL via slack: p99 doubled after v42',
      data: { attempt: 1 },
    });
    // The outcome unknown is escalated; the target, missed at the same moment, says the same: recorded, counted,
    // not escalated again (engine/escalation-overlap.ts).
    expect(escalated(opener, survivor)).toEqual(['rollback']);
  });
});

describe('a rollback on an open incident without a crash', () => {
  it('is recorded, executed and settled once, however many replicas poll afterwards', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const { fake, opener, survivor } = replicas(redisStore(prefix), redisStore(prefix), clock);
    await ingestAlerts(opener, [firing('fraud-scorer', clock.now())]);
    clock.advance(MINUTE);
    expect(await rollback(opener, request)).toMatchObject({ outcome: 'succeeded', incidentId: 'INC-1' });

    for (let step = 0; step < 60; step++) {
      clock.advance(10_000);
      await Promise.all([opener, survivor].map((deps) => pollDeadlines(deps)));
    }
    expect(fake.mutations).toBe(1);
    expect(await rollbackEntries(opener.store)).toEqual({
      started: 1,
      unknown: 0,
      succeeded: 1,
      breached: 0,
    });
    expect(escalated(opener, survivor)).toEqual([]);
    expect(await opener.store.getIncident('INC-1')).toMatchObject({
      phase: 'confirm',
      rollback: { status: 'succeeded' },
    });
    // The confirm target (30 minutes) waits for confirmation, by metrics or by a person.
    expect((await opener.store.pending()).map((deadline) => deadline.id)).toEqual(['INC-1:confirm']);
  });
});

// The memory store expires locks by the test clock, so a replica that dies holding the rollback lock is
// outlived in test time; Redis would make the test wait out the lock in real time.
describe('a replica that dies at any point of a rollback on an open incident', () => {
  async function rollingBack(dieAfter: number) {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const dying = dyingStore(shared, dieAfter, firstCall);
    const { fake, opener, survivor } = replicas(dying.store, shared, clock);
    await ingestAlerts(survivor, [firing('fraud-scorer', clock.now())]);
    await pollDeadlines(survivor);
    clock.advance(MINUTE);
    await Promise.race([rollback(opener, request), dying.died]);
    return { dying, fake, shared, opener, survivor };
  }

  it('never leaves it executing, never executes it twice, and records its start once', async () => {
    const calls = (await rollingBack(Infinity)).dying.callsSince();
    expect(calls).toBeGreaterThan(5);

    for (let dieAfter = 0; dieAfter <= calls; dieAfter++) {
      const at = `dying after ${dieAfter} calls`;
      const { fake, shared, opener, survivor } = await rollingBack(dieAfter);
      await pollFor(survivor, 8 * MINUTE);
      const incident = await shared.getIncident('INC-1');
      expect(incident?.rollback?.status, at).not.toBe('executing');
      const entries = await rollbackEntries(shared);
      expect(entries.started, at).toBe(incident?.rollback ? 1 : 0);
      expect(entries.succeeded, at).toBeLessThanOrEqual(1);
      expect(entries.breached, at).toBeLessThanOrEqual(1);
      expect(fake.calls.filter((call) => call === 'execute').length, at).toBeLessThanOrEqual(1);
      expect(escalated(survivor).filter((stage) => stage === 'rollback').length, at).toBeLessThanOrEqual(2);
      expect(
        escalated(opener, survivor).filter((stage) => stage !== 'rollback'),
        at,
      ).toEqual([]);
    }
  });
});

describe('a retry, after its rollback target was missed, whose replica died right after it recorded it', () => {
  it('is settled by another replica, although its target came due before the retry was recorded', async () => {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const dying = dyingStore(shared, 0, rollbackBegun);
    // Stalled between scheduling the retry's targets (rollback, confirm) and recording it; then it dies.
    const stalled = dyingStore(dying.store, 1, (method) => method === 'schedule');
    const { fake, opener, survivor } = replicas(stalled.store, shared, clock);
    await ingestAlerts(survivor, [firing('fraud-scorer', clock.now())]);
    fake.executeErrors.push(permanent());
    expect(await rollback(survivor, request)).toMatchObject({ outcome: 'failed' });
    await pollFor(survivor, 6 * MINUTE);
    // The failure is escalated; its missed target repeats it: recorded, not escalated again.
    expect(escalated(survivor)).toEqual(['rollback']);

    void rollback(opener, request);
    await stalled.died;
    // The retry's rollback target, long past, comes due at once: nothing is executing yet.
    await pollFor(survivor, 10_000);
    stalled.resume();
    await dying.died;
    expect(await shared.getIncident('INC-1')).toMatchObject({
      rollback: { attempt: 2, status: 'executing' },
    });

    await pollFor(survivor, 5 * MINUTE);
    expect(await shared.getIncident('INC-1')).toMatchObject({ rollback: { attempt: 2, status: 'unknown' } });
    expect(fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
  });
});

describe('a retry asked for while its missed rollback target is being escalated, whose replica died', () => {
  it('is settled by another replica: the retry’s target, due at the same instant, is not completed away', async () => {
    const clock = new TestClock();
    const t0 = clock.now();
    const shared = createMemoryStore({ clock });
    const dying = dyingStore(shared, 0, rollbackBegun);
    // The on-call retries on another replica while the escalation of the missed target is being sent (it has
    // taken its lock and waits for Slack and the pager); that replica dies once the retry is executing.
    // The failure's escalation takes the same lock at once (escalation-overlap.ts): the target's is the one past 5m.
    const retrying = afterCall(
      'acquire',
      () => Promise.race([rollback(opener, request), dying.died]),
      (name, _owner, _ttl, now) => name === 'escalation:INC-1:rollback' && now >= t0 + 5 * MINUTE,
    );
    const fake = new FakeServing();
    const opener = makeDeps({ store: dying.store, clock, fake });
    const survivor = makeDeps({ store: retrying(shared), clock, fake });
    await ingestAlerts(survivor, [firing('fraud-scorer', clock.now())]);
    fake.executeErrors.push(permanent());
    expect(await rollback(survivor, request)).toMatchObject({ outcome: 'failed' });

    // Past the 5-minute rollback target: its escalation goes out, and the retry is asked for meanwhile.
    await pollFor(survivor, 6 * MINUTE);
    await dying.died;
    expect((await shared.getIncident('INC-1'))?.rollback?.attempt).toBe(2);

    // The retry keeps the rollback clock, so its target is the one just escalated, due at the same instant.
    await pollFor(survivor, 5 * MINUTE);
    expect(await shared.getIncident('INC-1')).toMatchObject({ rollback: { attempt: 2, status: 'unknown' } });
    expect(fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
  });
});

/** Settles once `when` is true of what the store's `method` call was given and answered. */
function watchCalls(store: Store) {
  const waits: { when: (method: string, args: unknown[], result: unknown) => boolean; done: () => void }[] =
    [];
  const watched: Record<string, unknown> = { ...store };
  for (const method of ['claimDue', 'complete'] as const) {
    const call = store[method] as (...args: unknown[]) => Promise<unknown>;
    watched[method] = async (...args: unknown[]) => {
      const result = await call.apply(store, args);
      for (const wait of waits.filter((each) => each.when(method, args, result))) wait.done();
      return result;
    };
  }
  return {
    store: watched as unknown as Store,
    until: (when: (method: string, args: unknown[], result: unknown) => boolean) =>
      new Promise<void>((done) => waits.push({ when, done })),
  };
}

describe('a retry whose target the running poller claims again while it still escalates the missed one', () => {
  it('keeps that target, which settles the retry after its replica died', async () => {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const dying = dyingStore(shared, 0, rollbackBegun);
    const watching = watchCalls(shared);
    const fake = new FakeServing();
    const opener = makeDeps({ store: dying.store, clock, fake });
    const survivor = makeDeps({ store: watching.store, clock, fake });
    await ingestAlerts(survivor, [firing('fraud-scorer', clock.now())]);
    // The failure's escalation never arrives, so that its missed target is escalated (escalation-overlap.ts).
    survivor.notifier.arrival = async (event) =>
      !(event.type === 'escalation' && event.about === 'rollback-failed');
    fake.executeErrors.push(permanent());
    expect(await rollback(survivor, request)).toMatchObject({ outcome: 'failed' });
    await pollFor(survivor, 4 * MINUTE);

    // The escalation of the missed rollback target waits for Slack and the pager until the test lets it arrive.
    let arrive!: () => void;
    const arrived = new Promise<boolean>((resolve) => (arrive = () => resolve(true)));
    let waiting!: () => void;
    const escalating = new Promise<void>((resolve) => (waiting = resolve));
    survivor.notifier.arrival = async (event) => {
      if (event.type !== 'escalation' || !event.text.includes('rollback target missed')) return true;
      waiting();
      return arrived;
    };
    const isTarget = (deadline: Deadline) => deadline.id === 'INC-1:rollback';
    const claimed = () =>
      watching.until(
        (method, _args, result) => method === 'claimDue' && (result as Deadline[]).some(isTarget),
      );
    const completed = watching.until(
      (method, args) => method === 'complete' && isTarget(args[0] as Deadline),
    );
    clock.advance(2 * MINUTE);
    const poller = startDeadlinePoller(survivor, 5);
    await escalating;

    // Meanwhile the on-call retries on the other replica, which dies once the retry is executing; the poller
    // here claims the retry's target (due at once: the same clock) and, finding it running, leaves it.
    await Promise.race([rollback(opener, request), dying.died]);
    clock.advance(1_000); // the poller's next tick
    await claimed();
    arrive();
    await completed;
    await poller.stop();
    expect((await shared.pending()).map((deadline) => deadline.id)).toContain('INC-1:rollback');

    await pollFor(survivor, 5 * MINUTE);
    expect(await shared.getIncident('INC-1')).toMatchObject({ rollback: { attempt: 2, status: 'unknown' } });
    expect(fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
  });
});
