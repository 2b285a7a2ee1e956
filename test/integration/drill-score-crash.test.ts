import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { drillHistory } from '../../src/engine/drill.js';
import { startDrill } from '../../src/engine/drill-start.js';
import { pollDeadlines } from '../../src/engine/poller.js';
import type { Store } from '../../src/engine/ports.js';
import { rollback, rollbackLockName, type RollbackRequest } from '../../src/engine/rollback.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { dyingStore, firstCall, incidentBecame } from '../helpers/dying-store.js';
import { scorecardEntries, scorecards } from '../helpers/drill-deps.js';
import { makeDeps, makeRunbook, TestClock, type TestDeps } from '../helpers/engine.js';
import { FakeServing, permanent } from '../helpers/fake-serving.js';
import { lapsed, pollFor, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

/** What the scorecard of a drill whose replica stopped between its rollback and its scoring says went wrong. */
const STOPPED = 'rollbot stopped after the rollback, before it scored the drill';

/** The on-call, asked to decide the drill, presses Roll back. */
const request: RollbackRequest = {
  model: 'fraud-scorer',
  reason: 'drill: rolling back as for real',
  by: 'U0ONCALL',
  trigger: 'slack',
};

/** Two replicas of a bot whose one runbook rehearses its rollback on a staging drill target. */
function replicas(deciderStore: Store, survivorStore: Store, clock: TestClock) {
  const runbooks = [
    makeRunbook(
      'fraud-scorer',
      'drill: { serving: { adapter: kserve, namespace: ml-staging, name: fraud-scorer } }',
    ),
  ];
  const fake = new FakeServing();
  return {
    fake,
    decider: makeDeps({ store: deciderStore, clock, fake, runbooks }),
    survivor: makeDeps({ store: survivorStore, clock, fake, runbooks }),
  };
}

/** A drill a person is asked to decide, started on the survivor, and decided on the decider after a minute. */
async function decidedOn(decider: TestDeps, survivor: TestDeps) {
  await startDrill(survivor, 'fraud-scorer', { by: 'cli:ana', auto: false });
  decider.clock.advance(MINUTE);
  return rollback(decider, request);
}

describe('a drill whose replica died right after its rollback succeeded', () => {
  it('is scored once by another replica, and failed: rollbot stopped before scoring it', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const dying = dyingStore(redisStore(prefix), 0, incidentBecame('confirm'));
    const { decider, survivor } = replicas(dying.store, redisStore(prefix), clock);
    // A short lease, so that the dead replica's rollback lock lapses within the test.
    decider.timing = { ...decider.timing, lockTtlMs: 500 };

    void decidedOn(decider, survivor);
    await dying.died;
    expect(await survivor.store.getIncident('INC-1')).toMatchObject({ phase: 'confirm' });
    await lapsed(survivor.store, rollbackLockName('fraud-scorer'));

    await pollFor(survivor, 8 * MINUTE);
    expect(await survivor.store.getIncident('INC-1')).toMatchObject({ phase: 'resolved' });
    expect(await drillHistory(survivor, 'fraud-scorer')).toMatchObject([
      { incidentId: 'INC-1', outcome: 'failed', problems: [STOPPED] },
    ]);
    expect(scorecards(decider, survivor)).toHaveLength(1);
    expect(await scorecardEntries(survivor.store)).toBe(1);
  });
});

describe('a drill whose replica died right after it ended the drill, before scoring it', () => {
  it('is scored once by another replica, as its replica ended it', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const dying = dyingStore(redisStore(prefix), 0, incidentBecame('resolved'));
    const { decider, survivor } = replicas(dying.store, redisStore(prefix), clock);
    decider.timing = { ...decider.timing, lockTtlMs: 500 };

    void decidedOn(decider, survivor);
    await dying.died;
    expect(await survivor.store.getIncident('INC-1')).toMatchObject({ phase: 'resolved' });
    await lapsed(survivor.store, rollbackLockName('fraud-scorer'));

    await pollFor(survivor, 8 * MINUTE);
    expect(await drillHistory(survivor, 'fraud-scorer')).toMatchObject([
      { incidentId: 'INC-1', outcome: 'passed', problems: [] },
    ]);
    expect(await survivor.store.getIncident('INC-1')).toMatchObject({ phase: 'closed' });
    expect(scorecards(decider, survivor)).toHaveLength(1);
    expect(await scorecardEntries(survivor.store)).toBe(1);
  });
});

describe('a drill decided without a crash', () => {
  it('passes and is scored once, and nothing comes of it afterwards, however many replicas poll', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const { fake, decider, survivor } = replicas(redisStore(prefix), redisStore(prefix), clock);
    expect(await decidedOn(decider, survivor)).toMatchObject({ outcome: 'succeeded' });

    for (let step = 0; step < 60; step++) {
      clock.advance(10_000);
      await Promise.all([decider, survivor].map((deps) => pollDeadlines(deps)));
    }
    expect(fake.mutations).toBe(1);
    expect(await drillHistory(survivor, 'fraud-scorer')).toMatchObject([{ outcome: 'passed' }]);
    expect(await survivor.store.getIncident('INC-1')).toMatchObject({ phase: 'closed' });
    expect(scorecards(decider, survivor)).toHaveLength(1);
    expect(await scorecardEntries(survivor.store)).toBe(1);
    expect(await survivor.store.pending()).toEqual([]);
  });
});

// The memory store expires locks by the test clock, so a replica that dies holding one (the rollback's, the
// scoring's) is outlived in test time; Redis would make the test wait out the lock in real time.
describe('a replica that dies at any point of a drill’s rollback and scoring', () => {
  async function deciding(dieAfter: number, lands: boolean) {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const { fake, decider, survivor } = replicas(shared, shared, clock);
    if (!lands) fake.executeErrors.push(permanent('HTTP 403: forbidden in ml-staging'));
    await startDrill(survivor, 'fraud-scorer', { by: 'cli:ana', auto: false });
    clock.advance(MINUTE);
    const dying = dyingStore(shared, dieAfter, firstCall);
    decider.store = dying.store;
    await Promise.race([rollback(decider, request), dying.died]);
    return { dying, shared, decider, survivor };
  }

  for (const lands of [true, false]) {
    it(`never leaves the drill stuck, and scores it once (the rollback ${lands ? 'lands' : 'fails'})`, async () => {
      const calls = (await deciding(Infinity, lands)).dying.callsSince();
      expect(calls).toBeGreaterThan(10);

      for (let dieAfter = 0; dieAfter <= calls; dieAfter++) {
        const at = `dying after ${dieAfter} calls`;
        const { shared, decider, survivor } = await deciding(dieAfter, lands);
        // Past the rollback target (5 minutes), by which an interrupted rollback is settled (recovery.ts).
        await pollFor(survivor, 8 * MINUTE);
        const drill = await shared.getIncident('INC-1');
        const history = await drillHistory(survivor, 'fraud-scorer');
        // Died before its rollback was recorded: the drill still waits for a person to decide it.
        if (drill?.phase === 'triage') expect(drill.rollback, at).toBeUndefined();
        else expect(drill?.phase, at).toMatch(/^(resolved|closed)$/);
        expect(history, at).toHaveLength(drill?.phase === 'triage' ? 0 : 1);
        if (!lands)
          expect(
            history.map((result) => result.outcome),
            at,
          ).not.toContain('passed');
        expect(await scorecardEntries(shared), at).toBe(history.length);
        expect(scorecards(survivor).length, at).toBeLessThanOrEqual(1);
        expect(scorecards(decider, survivor).length, at).toBeGreaterThanOrEqual(history.length);
      }
    });
  }
});
