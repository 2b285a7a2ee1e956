/**
 * A person retries a failed rollback at once (the escalation of the first failure still on its way to a slow
 * pager) and the retry fails too: each attempt's escalation has a stand-in of its own, so the first attempt's
 * finishing, or being abandoned as no longer the latest, never takes away the second's. The second's failure is
 * escalated once, even when the replica it failed on never sends it. A first attempt's sender that paused, holding
 * the escalation's lock, while the person retried sends nothing once it goes on: the second attempt is the one to
 * decide on. On both stores alike, and with a stand-in left by an older build (one id per incident,
 * `INC-1:rollback-failed`) during a rolling upgrade.
 */
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident.js';
import type { EscalationEvent } from '../../src/engine/notifier-port.js';
import type { Lease, Store } from '../../src/engine/ports.js';
import { resolve } from '../../src/engine/resolve.js';
import { rollback, type RollbackRequest } from '../../src/engine/rollback.js';
import { dyingStore, rollbackBegun, type DeathFrom } from '../helpers/dying-store.js';
import { makeDeps, TestClock, type TestDeps, ONCALL_ROLLBACK } from '../helpers/engine.js';
import { FakeServing, permanent } from '../helpers/fake-serving.js';
import { asOlderBuildStoredIt, pollFor, replicaBackends, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

const request = ONCALL_ROLLBACK;
const retry: RollbackRequest = { ...request, by: 'U0SECOND', reason: 'trying again' };

const FIRST_TEXT =
  'rollback of fraud-scorer to v41 FAILED: HTTP 403: forbidden. Traffic may still be on v42; decide now.';
const SECOND_TEXT =
  'rollback of fraud-scorer to v41 FAILED: HTTP 409: conflict. Traffic may still be on v42; decide now.';

const backends = replicaBackends(redisStore);

/** The write of attempt `attempt`'s failure. */
const attemptFailed =
  (attempt: number): DeathFrom =>
  (method, result) => {
    const rollbackRecord = (result as Incident | undefined)?.rollback;
    return (
      method === 'updateIncident' && rollbackRecord?.status === 'failed' && rollbackRecord.attempt === attempt
    );
  };

const failureEscalations = (deps: TestDeps): string[] =>
  deps.notifier
    .ofType('escalation')
    .filter((event: EscalationEvent) => event.about === 'rollback-failed')
    .map((event) => event.text);

/** The attempts whose failure the timeline says was escalated, in order. */
async function escalatedAttempts(store: Store): Promise<unknown[]> {
  return (await store.list('INC-1'))
    .filter((entry) => entry.type === 'rollback.failed' && entry.data?.escalated === true)
    .map((entry) => entry.data?.attempt);
}

/** The attempts of the failed-rollback stand-ins still to come. */
async function standInAttempts(store: Store): Promise<unknown[]> {
  return (await store.pending())
    .filter((deadline) => deadline.kind === 'rollback-failed')
    .map((deadline) => deadline.payload.attempt);
}

describe.each(backends)("each failed attempt's own stand-in, on %s", (_name, storesOn) => {
  /**
   * Attempt 1 fails on the first replica, whose escalation is handed to the pager and stays on its way (under the
   * escalation's send lock) until `arrive()`; attempt 2 fails with HTTP 409.
   */
  async function firstEscalationOnItsWay() {
    const clock = new TestClock();
    const storeOf = storesOn(clock);
    const fake = new FakeServing();
    fake.executeErrors.push(permanent(), permanent('HTTP 409: conflict'));
    const first = makeDeps({ store: storeOf(), clock, fake });
    let arrive = (): void => undefined;
    const handedOver = new Promise<void>((handed) => {
      first.notifier.arrival = (event) => {
        if (event.type !== 'escalation') return Promise.resolve(true);
        handed();
        return new Promise<boolean>((arrived) => (arrive = () => arrived(true)));
      };
    });
    const firstRun = rollback(first, request);
    await handedOver;
    const replica = (store = storeOf()) => makeDeps({ store, clock, fake });
    return { clock, storeOf, first, firstRun, arrive: () => arrive(), replica };
  }

  it("survives the first attempt's escalation arriving after it, when the second's replica died before sending", async () => {
    const { storeOf, first, firstRun, arrive, replica } = await firstEscalationOnItsWay();
    const dying = dyingStore(storeOf(), 0, attemptFailed(2));
    const second = replica(dying.store);
    void rollback(second, retry);
    await dying.died;

    arrive();
    expect((await firstRun).outcome).toBe('failed');
    expect(await escalatedAttempts(first.store)).toEqual([1]);
    expect(await standInAttempts(first.store)).toEqual([2]);

    const survivor = replica();
    await pollFor(survivor, 3 * MINUTE);
    expect(failureEscalations(second)).toEqual([]);
    expect(failureEscalations(survivor)).toEqual([SECOND_TEXT]);
    expect(await escalatedAttempts(survivor.store)).toEqual([1, 2]);
    expect(await standInAttempts(survivor.store)).toEqual([]);
  });

  it("survives the first attempt's escalation arriving after the second's sender found it busy", async () => {
    const { first, firstRun, arrive, replica } = await firstEscalationOnItsWay();
    const second = replica();
    expect((await rollback(second, retry)).outcome).toBe('failed');
    // The first's escalation holds the send lock: the second's sender left it to its stand-in, for later.
    expect(failureEscalations(second)).toEqual([]);

    arrive();
    await firstRun;
    expect(failureEscalations(first)).toEqual([FIRST_TEXT]);
    expect(await standInAttempts(second.store)).toEqual([2]);

    await pollFor(second, 3 * MINUTE);
    expect(failureEscalations(second)).toEqual([SECOND_TEXT]);
    expect(await escalatedAttempts(second.store)).toEqual([1, 2]);
    expect(await standInAttempts(second.store)).toEqual([]);
  });

  it("survives the first attempt's stand-in coming due after it and finding that attempt no longer the latest", async () => {
    const clock = new TestClock();
    const storeOf = storesOn(clock);
    const fake = new FakeServing();
    fake.executeErrors.push(permanent(), permanent('HTTP 409: conflict'));
    const first = makeDeps({ store: storeOf(), clock, fake });
    // The pager down: attempt 1's escalation never arrives, and is left to its stand-in a minute on.
    first.timing = { ...first.timing, arrivalWaitMs: 5 };
    first.notifier.arrival = (event) =>
      event.type === 'escalation' ? new Promise<boolean>(() => undefined) : Promise.resolve(true);
    expect((await rollback(first, request)).outcome).toBe('failed');

    clock.advance(30_000);
    const dying = dyingStore(storeOf(), 0, attemptFailed(2));
    const second = makeDeps({ store: dying.store, clock, fake });
    void rollback(second, retry);
    await dying.died;
    expect(await standInAttempts(first.store)).toEqual([1, 2]);

    const survivor = makeDeps({ store: storeOf(), clock, fake });
    await pollFor(survivor, 3 * MINUTE);
    // Attempt 1 was superseded by attempt 2, whose failure is the one to decide on: escalated once.
    expect(failureEscalations(survivor)).toEqual([SECOND_TEXT]);
    expect(await escalatedAttempts(survivor.store)).toEqual([2]);
    expect(await standInAttempts(survivor.store)).toEqual([]);
  });

  /**
   * Attempt 1 fails on the first replica, which pauses once it holds the escalation's send lock, before it looks
   * for the escalation's mark (a long GC pause, a partition) until `resume()`: it checked that attempt 1 was the
   * latest before taking the lock.
   */
  async function firstSenderPaused() {
    const clock = new TestClock();
    const storeOf = storesOn(clock);
    const fake = new FakeServing();
    fake.executeErrors.push(permanent(), permanent('HTTP 409: conflict'));
    const paused = dyingStore(storeOf(), 0, (method, result) => {
      return method === 'acquire' && (result as Lease | undefined)?.name === 'escalation:INC-1:rollback';
    });
    const first = makeDeps({ store: paused.store, clock, fake });
    const firstRun = rollback(first, request);
    await paused.died;
    const replica = (store = storeOf()) => makeDeps({ store, clock, fake });
    return { first, firstRun, resume: paused.resume, storeOf, replica };
  }

  it("sends nothing for the first attempt when the second began while the first's sender was paused", async () => {
    const { first, firstRun, resume, storeOf, replica } = await firstSenderPaused();
    // The retry's replica stalls while executing: attempt 2 is written, its outcome still to come.
    const stalled = dyingStore(storeOf(), 0, rollbackBegun);
    const second = replica(stalled.store);
    const secondRun = rollback(second, retry);
    await stalled.died;

    resume();
    expect((await firstRun).outcome).toBe('failed');
    expect(failureEscalations(first)).toEqual([]);
    expect(await escalatedAttempts(first.store)).toEqual([]);
    // The first's own stand-in is done; the second's comes with its failure, still to be written.
    expect(await standInAttempts(first.store)).toEqual([]);

    stalled.resume();
    expect((await secondRun).outcome).toBe('failed');
    expect(failureEscalations(second)).toEqual([SECOND_TEXT]);
    expect(await escalatedAttempts(second.store)).toEqual([2]);
    expect(await standInAttempts(second.store)).toEqual([]);
    await pollFor(replica(), 3 * MINUTE);
    expect([...failureEscalations(first), ...failureEscalations(second)]).toEqual([SECOND_TEXT]);
    expect(await escalatedAttempts(second.store)).toEqual([2]);
  });

  it("sends nothing for the first attempt when the second failed while the first's sender held the lock", async () => {
    const { first, firstRun, resume, replica } = await firstSenderPaused();
    const second = replica();
    expect((await rollback(second, retry)).outcome).toBe('failed');
    // The paused sender holds the send lock: the second's escalation is left to its stand-in, for later.
    expect(failureEscalations(second)).toEqual([]);

    resume();
    await firstRun;
    expect(failureEscalations(first)).toEqual([]);
    expect(await escalatedAttempts(first.store)).toEqual([]);
    expect(await standInAttempts(first.store)).toEqual([2]);

    const survivor = replica();
    await pollFor(survivor, 3 * MINUTE);
    expect(failureEscalations(first)).toEqual([]);
    expect(failureEscalations(second)).toEqual([]);
    expect(failureEscalations(survivor)).toEqual([SECOND_TEXT]);
    expect(await escalatedAttempts(survivor.store)).toEqual([2]);
    expect(await standInAttempts(survivor.store)).toEqual([]);
  });

  // Resolved, not dismissed: "not a rollback" is refused once a rollback was decided (core/incident.ts).
  it('sends nothing when a person resolved the incident while the sender was paused, and its stand-in goes', async () => {
    const { first, firstRun, resume, replica } = await firstSenderPaused();
    const person = replica();
    await resolve(person, 'INC-1', { by: 'U0ONCALL', reason: 'traffic moved by hand; service restored' });

    resume();
    expect((await firstRun).outcome).toBe('failed');
    expect(failureEscalations(first)).toEqual([]);
    expect(await escalatedAttempts(first.store)).toEqual([]);
    expect(await standInAttempts(first.store)).toEqual([]);
    await pollFor(person, 3 * MINUTE);
    expect([...failureEscalations(first), ...failureEscalations(person)]).toEqual([]);
  });

  describe('with a stand-in an older build left under its one id per incident', () => {
    it('escalates its attempt once, and is done', async () => {
      const clock = new TestClock();
      const storeOf = storesOn(clock);
      const fake = new FakeServing();
      fake.executeErrors.push(permanent());
      const dying = dyingStore(storeOf(), 0, attemptFailed(1));
      const older = makeDeps({ store: dying.store, clock, fake });
      void rollback(older, request);
      await dying.died;
      const survivor = makeDeps({ store: storeOf(), clock, fake });
      await asOlderBuildStoredIt(survivor.store, 'rollback-failed', 1);

      await pollFor(survivor, 3 * MINUTE);
      expect(failureEscalations(survivor)).toEqual([FIRST_TEXT]);
      expect(await escalatedAttempts(survivor.store)).toEqual([1]);
      expect(await standInAttempts(survivor.store)).toEqual([]);
    });

    it("is not cancelled by an earlier attempt's escalation arriving: it escalates its own", async () => {
      const { storeOf, firstRun, arrive, replica } = await firstEscalationOnItsWay();
      const dying = dyingStore(storeOf(), 0, attemptFailed(2));
      void rollback(replica(dying.store), retry);
      await dying.died;
      const survivor = replica();
      await asOlderBuildStoredIt(survivor.store, 'rollback-failed', 2);

      arrive();
      await firstRun;
      expect(await standInAttempts(survivor.store)).toEqual([2]);
      await pollFor(survivor, 3 * MINUTE);
      expect(failureEscalations(survivor)).toEqual([SECOND_TEXT]);
      expect(await escalatedAttempts(survivor.store)).toEqual([1, 2]);
      expect(await standInAttempts(survivor.store)).toEqual([]);
    });
  });
});
