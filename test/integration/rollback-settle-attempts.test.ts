/**
 * A rollback interrupted by its replica's death is settled as "outcome unknown" while a person, told so, retries
 * it at once, and the retry's replica dies too: each attempt's settlement has a stand-in of its own. The retry's
 * settler finds the first attempt's settlement still at it (its escalation on its way, or its re-read of a slow
 * serving layer, under the settlement's lock) and leaves the retry to its stand-in, which the first settlement
 * finishing never takes away: the retry is settled, and escalated, once. A first settlement whose re-read ends only
 * after the retry began escalates nothing: the retry is what tells where traffic is now. On both stores alike, and
 * with a stand-in left by an older build (one id per incident, `INC-1:rollback-settle`) during a rolling upgrade.
 */
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident.js';
import type { Store } from '../../src/engine/ports.js';
import { recoverInterruptedRollback } from '../../src/engine/recovery.js';
import { rollback, rollbackLockName, type RollbackRequest } from '../../src/engine/rollback.js';
import { dyingStore, type DeathFrom } from '../helpers/dying-store.js';
import { makeDeps, metricValue, TestClock, type TestDeps, ONCALL_ROLLBACK } from '../helpers/engine.js';
import { FakeServing } from '../helpers/fake-serving.js';
import {
  asOlderBuildStoredIt,
  lapsed,
  pollFor,
  replicaBackends,
  useRedisStores,
} from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

const request = ONCALL_ROLLBACK;
const retry: RollbackRequest = { ...request, by: 'U0SECOND', reason: 'trying again' };

const backends = replicaBackends(redisStore);

/**
 * The write of attempt `attempt` as executing (the first on the manual incident it opens, a retry on that
 * incident): its replica dies while rolling back.
 */
const attemptBegun =
  (attempt: number): DeathFrom =>
  (method, result) => {
    const written =
      method === 'createIfNoneOpen'
        ? (result as { incident: Incident }).incident
        : method === 'updateIncident'
          ? (result as Incident | undefined)
          : undefined;
    return written?.rollback?.status === 'executing' && written.rollback.attempt === attempt;
  };

/** The attempts whose "outcome unknown" the timeline says was escalated, in order. */
async function escalatedAttempts(store: Store): Promise<unknown[]> {
  return (await store.list('INC-1'))
    .filter((entry) => entry.type === 'rollback.unknown' && entry.data?.escalated === true)
    .map((entry) => entry.data?.attempt);
}

/** The attempts of the settlements' stand-ins still to come. */
async function standInAttempts(store: Store): Promise<unknown[]> {
  return (await store.pending())
    .filter((deadline) => deadline.kind === 'rollback-settle')
    .map((deadline) => deadline.payload.attempt);
}

const unknownEscalations = (deps: TestDeps): number =>
  deps.notifier.ofType('escalation').filter((event) => event.about === 'outcome-unknown').length;

describe.each(backends)("each interrupted attempt's own settlement stand-in, on %s", (_name, storesOn) => {
  /**
   * Attempt `attempt` (a retry when 2) begins on a replica that dies right after storing it executing; its
   * rollback lock, a short lease, has lapsed when this returns. So has the first attempt's bound (its 5m rollback
   * target): a settler finds it not landed, and does not look again. A retry's, begun past that target, is twice
   * the flip's 30s ETA: its settlement, left to its stand-in a lock TTL (60s) on, finds it passed too.
   */
  async function diesWhileRollingBack(
    replica: (store: Store) => TestDeps,
    store: Store,
    asked: RollbackRequest,
    attempt: number,
  ): Promise<void> {
    const dying = dyingStore(store, 0, attemptBegun(attempt));
    const deps = replica(dying.store);
    deps.timing = { ...deps.timing, lockTtlMs: 500 };
    void rollback(deps, asked);
    await dying.died;
    deps.clock.advance(attempt === 1 ? 5 * MINUTE : 1_000);
    await lapsed(store, rollbackLockName('fraud-scorer'));
  }

  /**
   * Attempt 1 was interrupted; the first settler marked it unknown and escalated it, and its escalation stays on
   * its way (under the settlement's lock) until `arrive()`. Meanwhile a person retried, and the retry's replica
   * died too.
   */
  async function retryInterruptedWhileFirstIsSettled() {
    const clock = new TestClock();
    const storeOf = storesOn(clock);
    const fake = new FakeServing();
    const replica = (store = storeOf()) => makeDeps({ store, clock, fake });
    await diesWhileRollingBack(replica, storeOf(), request, 1);

    const settler = replica();
    let arrive = (): void => undefined;
    const handedOver = new Promise<void>((handed) => {
      settler.notifier.arrival = (event) => {
        if (event.type !== 'escalation') return Promise.resolve(true);
        handed();
        return new Promise<boolean>((arrived) => (arrive = () => arrived(true)));
      };
    });
    const settling = recoverInterruptedRollback(settler, 'INC-1');
    await handedOver;

    await diesWhileRollingBack(replica, storeOf(), retry, 2);
    return { storeOf, settler, settling, arrive: () => arrive(), replica };
  }

  it("survives the first attempt's settlement finishing after the retry's settler found it busy", async () => {
    const { settler, settling, arrive, replica } = await retryInterruptedWhileFirstIsSettled();
    const second = replica();
    // The retry is marked unknown, and left to its stand-in: the first settlement holds the lock.
    expect(await recoverInterruptedRollback(second, 'INC-1')).toBe(true);
    expect(unknownEscalations(second)).toBe(0);
    expect(await standInAttempts(second.store)).toContain(2);

    arrive();
    expect(await settling).toBe(true);
    expect(unknownEscalations(settler)).toBe(1);
    expect(await escalatedAttempts(second.store)).toEqual([1]);
    expect(await standInAttempts(second.store)).toEqual([2]);

    await pollFor(second, 3 * MINUTE);
    expect(unknownEscalations(second)).toBe(1);
    expect(await escalatedAttempts(second.store)).toEqual([1, 2]);
    expect((await second.store.getIncident('INC-1'))?.rollback).toMatchObject({
      attempt: 2,
      status: 'unknown',
    });
    expect(await standInAttempts(second.store)).toEqual([]);
    expect(second.fake.calls).not.toContain('execute');
  });

  it('escalates nothing for the first attempt when its re-read ends after the retry began', async () => {
    const clock = new TestClock();
    const storeOf = storesOn(clock);
    const fake = new FakeServing();
    const replica = (store = storeOf()) => makeDeps({ store, clock, fake });
    await diesWhileRollingBack(replica, storeOf(), request, 1);
    // The serving layer is slow to answer the first settlement's re-read, until `answer()`.
    let answer = (): void => undefined;
    const rereading = new Promise<void>((asked) => {
      const onTarget = fake.onTarget.bind(fake);
      fake.onTarget = async (plan) => {
        fake.onTarget = onTarget;
        asked();
        await new Promise<void>((answered) => (answer = answered));
        return onTarget(plan);
      };
    });
    const settler = replica();
    const settling = recoverInterruptedRollback(settler, 'INC-1');
    await rereading;

    await diesWhileRollingBack(replica, storeOf(), retry, 2);
    const second = replica();
    expect(await recoverInterruptedRollback(second, 'INC-1')).toBe(true);
    answer();
    expect(await settling).toBe(true);
    expect(unknownEscalations(settler)).toBe(0);
    expect(await escalatedAttempts(second.store)).toEqual([]);
    // Still counted, once, as what it is: an attempt whose outcome nobody can tell apart from the retry's.
    expect(await metricValue(settler.metrics, 'rollbot_rollbacks_total', { outcome: 'unknown' })).toBe(1);
    expect(await standInAttempts(second.store)).toEqual([2]);

    await pollFor(second, 3 * MINUTE);
    expect(unknownEscalations(settler)).toBe(0);
    expect(unknownEscalations(second)).toBe(1);
    expect(await escalatedAttempts(second.store)).toEqual([2]);
    expect(await standInAttempts(second.store)).toEqual([]);
    expect(second.fake.calls).not.toContain('execute');
  });

  describe('with a stand-in an older build left under its one id per incident', () => {
    it('settles its attempt once, and is done', async () => {
      const clock = new TestClock();
      const storeOf = storesOn(clock);
      const fake = new FakeServing();
      const replica = (store = storeOf()) => makeDeps({ store, clock, fake });
      await diesWhileRollingBack(replica, storeOf(), request, 1);
      // The settler dies once it has marked the attempt unknown: its stand-in, an older build's, is left.
      const dying = dyingStore(storeOf(), 0, (method, result) => {
        const rollbackRecord = (result as Incident | undefined)?.rollback;
        return method === 'updateIncident' && rollbackRecord?.status === 'unknown';
      });
      void recoverInterruptedRollback(replica(dying.store), 'INC-1');
      await dying.died;
      const survivor = replica();
      await asOlderBuildStoredIt(survivor.store, 'rollback-settle', 1);

      await pollFor(survivor, 3 * MINUTE);
      expect(unknownEscalations(survivor)).toBe(1);
      expect(await escalatedAttempts(survivor.store)).toEqual([1]);
      expect(await standInAttempts(survivor.store)).toEqual([]);
    });

    it("is not cancelled by an earlier attempt's settlement finishing: it settles its own", async () => {
      const { settling, arrive, replica } = await retryInterruptedWhileFirstIsSettled();
      const second = replica();
      expect(await recoverInterruptedRollback(second, 'INC-1')).toBe(true);
      await asOlderBuildStoredIt(second.store, 'rollback-settle', 2);

      arrive();
      await settling;
      expect(await standInAttempts(second.store)).toEqual([2]);
      await pollFor(second, 3 * MINUTE);
      expect(unknownEscalations(second)).toBe(1);
      expect(await escalatedAttempts(second.store)).toEqual([1, 2]);
      expect(await standInAttempts(second.store)).toEqual([]);
    });
  });
});
