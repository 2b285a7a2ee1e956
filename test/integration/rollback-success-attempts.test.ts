/**
 * A rollback succeeds on a replica that dies before following it up; another replica's stand-in follows it up,
 * and stalls at it (its "rolled back to" notice slow to go out, or the replica itself paused before sending it)
 * while a person rolls back further and that attempt succeeds too: each attempt's follow-up has a stand-in of its
 * own, so the first attempt's finishing never takes away the second's, and the first, superseded, does nothing
 * more: no notice it had not sent yet, no confirmation. The second's success is announced, marked in the ledger and
 * confirmed once, even when the replica it succeeded on never follows it up. On both stores alike, and with a
 * stand-in left by an older build (one id per incident, `INC-1:rollback-success`) during a rolling upgrade.
 */
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident.js';
import { stageTargetId } from '../../src/engine/escalation.js';
import { pollDeadlines } from '../../src/engine/poller.js';
import type { Lease, Store } from '../../src/engine/ports.js';
import { rollback, rollbackLockName, type RollbackRequest } from '../../src/engine/rollback.js';
import { dyingStore, rollbackBegun, type DeathFrom } from '../helpers/dying-store.js';
import {
  makeDeps,
  makeRunbook,
  recordDeployments,
  TestClock,
  type TestDeps,
  ONCALL_ROLLBACK,
} from '../helpers/engine.js';
import { FakeMetrics } from '../helpers/fake-metrics.js';
import { FakeServing } from '../helpers/fake-serving.js';
import {
  asOlderBuildStoredIt,
  lapsed,
  pollFor,
  replicaBackends,
  useRedisStores,
} from '../helpers/replicas.js';

const MINUTE = 60_000;
const ERRORS = 'error_ratio{model="fraud-scorer"}';
const redisStore = useRedisStores();

const request = ONCALL_ROLLBACK;
/** v41 does not help either: a person rolls back one version further. */
const further: RollbackRequest = { ...request, to: 'v40', by: 'U0SECOND', reason: 'v41 is bad too' };

const backends = replicaBackends(redisStore);

/**
 * The write of attempt `attempt`'s success (the first on the manual incident it opened, a later one on that
 * incident): its replica dies before following it up.
 */
const attemptSucceeded =
  (attempt: number): DeathFrom =>
  (method, result) => {
    const rollbackRecord = (result as Incident | undefined)?.rollback;
    return (
      method === 'updateIncident' &&
      rollbackRecord?.status === 'succeeded' &&
      rollbackRecord.attempt === attempt
    );
  };

/** The attempts whose success the timeline says was announced, in order. */
async function announcedAttempts(store: Store): Promise<unknown[]> {
  return (await store.list('INC-1'))
    .filter((entry) => entry.type === 'rollback.succeeded')
    .map((entry) => entry.data?.attempt);
}

/** The attempts whose confirmation the timeline says started (by hand: these replicas have no metrics source). */
async function confirmedAttempts(store: Store): Promise<unknown[]> {
  return (await store.list('INC-1'))
    .filter((entry) => entry.type === 'confirm.manual')
    .map((entry) => entry.data?.attempt);
}

/** The attempts of the success stand-ins still to come. */
async function standInAttempts(store: Store): Promise<unknown[]> {
  return (await store.pending())
    .filter((deadline) => deadline.kind === 'rollback-success')
    .map((deadline) => deadline.payload.attempt);
}

/** The "rolled back to" notices `deps` sent. */
const rolledBackNotices = (deps: TestDeps): string[] =>
  deps.notifier.events.flatMap((event) =>
    event.type === 'incident.updated' && event.text.startsWith('rolled back to')
      ? [event.text.slice(0, 20)]
      : [],
  );

describe.each(backends)("each successful attempt's own follow-up stand-in, on %s", (_name, storesOn) => {
  /**
   * Attempt 1 (v42 → v41) succeeds on a replica that dies right after writing so; its rollback lock, a short lease,
   * has lapsed. `replica` is another replica on the same store, serving layer and clock; `extra` goes into its
   * deps, and `prepare` runs on the store before the rollback.
   */
  async function firstSucceededOnADeadReplica(
    extra: Pick<NonNullable<Parameters<typeof makeDeps>[0]>, 'runbooks' | 'metricsSource'> = {},
    prepare: (store: Store) => Promise<void> = async () => undefined,
  ) {
    const clock = new TestClock();
    const storeOf = storesOn(clock);
    const fake = new FakeServing();
    const replica = (store = storeOf()) => makeDeps({ ...extra, store, clock, fake });
    await prepare(storeOf());
    const dying = dyingStore(storeOf(), 0, attemptSucceeded(1));
    const first = replica(dying.store);
    first.timing = { ...first.timing, lockTtlMs: 500 };
    void rollback(first, request);
    await dying.died;
    clock.advance(1_000);
    await lapsed(storeOf(), rollbackLockName('fraud-scorer'));
    return { clock, storeOf, replica };
  }

  /**
   * Attempt 1 succeeded on a replica that died (firstSucceededOnADeadReplica); a minute on, its stand-in follows it
   * up on another replica, whose "rolled back to v41" notice stays on its way (under the follow-up's lock) until
   * `arrive()`.
   */
  async function firstFollowUpStalled() {
    const { clock, storeOf, replica } = await firstSucceededOnADeadReplica();
    const follower = replica();
    let arrive = (): void => undefined;
    const handedOver = new Promise<void>((handed) => {
      const { notifier } = follower;
      notifier.notify = async (event) => {
        notifier.events.push(event);
        if (event.type !== 'incident.updated' || !event.text.startsWith('rolled back to')) return;
        handed();
        await new Promise<void>((arrived) => (arrive = arrived));
      };
    });
    clock.advance(MINUTE);
    const following = pollDeadlines(follower);
    await handedOver;
    return { storeOf, follower, following, arrive: () => arrive(), replica };
  }

  it("survives the first attempt's follow-up finishing after it, when the second's replica died before following up", async () => {
    const { storeOf, follower, following, arrive, replica } = await firstFollowUpStalled();
    const dying = dyingStore(storeOf(), 0, attemptSucceeded(2));
    const second = replica(dying.store);
    void rollback(second, further);
    await dying.died;
    expect(await standInAttempts(follower.store)).toContain(2);

    arrive();
    await following;
    expect(await announcedAttempts(follower.store)).toEqual([1]);
    expect(await standInAttempts(follower.store)).toEqual([2]);

    const survivor = replica();
    await pollFor(survivor, 3 * MINUTE);
    expect(rolledBackNotices(survivor)).toEqual(['rolled back to v40: ']);
    expect(await announcedAttempts(survivor.store)).toEqual([1, 2]);
    // Its notice had gone out, so it is recorded; its confirmation, the second's to start, is not.
    expect(await confirmedAttempts(survivor.store)).toEqual([2]);
    expect(Object.keys(await survivor.store.rolledBack('fraud-scorer')).sort()).toEqual(['v41', 'v42']);
    expect(await standInAttempts(survivor.store)).toEqual([]);
  });

  it("survives the first attempt's follow-up finishing after the second's found it busy", async () => {
    const { follower, following, arrive, replica } = await firstFollowUpStalled();
    const second = replica();
    expect((await rollback(second, further)).outcome).toBe('succeeded');
    // The first's follow-up holds the lock: the second's left its own to its stand-in, for later.
    expect(rolledBackNotices(second)).toEqual([]);

    arrive();
    await following;
    expect(await standInAttempts(second.store)).toEqual([2]);

    await pollFor(second, 3 * MINUTE);
    expect(rolledBackNotices(second)).toEqual(['rolled back to v40: ']);
    expect(await announcedAttempts(second.store)).toEqual([1, 2]);
    expect(await confirmedAttempts(second.store)).toEqual([2]);
    expect(await standInAttempts(second.store)).toEqual([]);
    expect(follower.fake.mutations).toBe(2);
  });

  it('announces nothing and starts no confirmation for the first attempt once the second exists', async () => {
    const { clock, storeOf, replica } = await firstSucceededOnADeadReplica();
    // The stand-in's replica pauses once it holds the follow-up's lock, before it looks for the notice's mark.
    const paused = dyingStore(storeOf(), 0, (method, result) => {
      return method === 'acquire' && (result as Lease | undefined)?.name === 'rollback-success:INC-1';
    });
    const follower = replica(paused.store);
    clock.advance(MINUTE);
    const following = pollDeadlines(follower);
    await paused.died;

    const second = replica();
    expect((await rollback(second, further)).outcome).toBe('succeeded');
    paused.resume();
    await following;
    expect(rolledBackNotices(follower)).toEqual([]);
    expect(await announcedAttempts(second.store)).toEqual([]);
    expect(await confirmedAttempts(second.store)).toEqual([]);
    expect(await standInAttempts(second.store)).toEqual([2]);

    await pollFor(second, 3 * MINUTE);
    expect(rolledBackNotices(follower)).toEqual([]);
    expect(rolledBackNotices(second)).toEqual(['rolled back to v40: ']);
    expect(await announcedAttempts(second.store)).toEqual([2]);
    expect(await confirmedAttempts(second.store)).toEqual([2]);
    // The ledger still knows v42 was rolled away from: attempt 1 did succeed.
    expect(Object.keys(await second.store.rolledBack('fraud-scorer')).sort()).toEqual(['v41', 'v42']);
    expect(await standInAttempts(second.store)).toEqual([]);
  });

  // The stand-in's replica pauses after marking v42 rolled back: before reading the incident again, or after it
  // found attempt 1 still the latest (the rollback target used to be cancelled next).
  it.each([
    ['before it looked again', 0],
    ['after it found itself still the latest', 1],
  ])(
    "keeps the rollback target of a second attempt begun while the first's follow-up was paused %s",
    async (_when, callsAfterMark) => {
      const { clock, storeOf, replica } = await firstSucceededOnADeadReplica();
      const paused = dyingStore(storeOf(), callsAfterMark, (method) => method === 'markRolledBack');
      const follower = replica(paused.store);
      clock.advance(MINUTE);
      const following = pollDeadlines(follower);
      await paused.died;

      // A person rolls back further; that replica dies while executing: its rollback target is what settles it.
      const secondDying = dyingStore(storeOf(), 0, rollbackBegun);
      const second = replica(secondDying.store);
      second.timing = { ...second.timing, lockTtlMs: 500 };
      void rollback(second, further);
      await secondDying.died;
      paused.resume();
      await following;
      const pending = (await follower.store.pending()).map((deadline) => deadline.id);
      expect(pending).toContain(stageTargetId('INC-1', 'rollback'));
      expect(rolledBackNotices(follower)).toEqual([]);
      expect(await announcedAttempts(follower.store)).toEqual([]);
      expect(await confirmedAttempts(follower.store)).toEqual([]);
      // The first's stand-in is done; the second, interrupted, is its settlement's and rollback target's to finish.
      expect(await standInAttempts(follower.store)).toEqual([]);

      clock.advance(1_000);
      await lapsed(storeOf(), rollbackLockName('fraud-scorer'));
      const survivor = replica();
      await pollFor(survivor, 10 * MINUTE);
      // Settled when its target came due: said to be interrupted, the layer re-read, and a person asked to check.
      const unknown = (await survivor.store.list('INC-1')).filter(
        (entry) => entry.type === 'rollback.unknown',
      );
      expect(unknown.map((entry) => [entry.data?.attempt, entry.data?.escalated ?? false])).toEqual([
        [2, false],
        [2, true],
      ]);
    },
  );

  it('starts no confirmation for the first attempt when the second succeeded while it took its baselines', async () => {
    const metrics = new FakeMetrics().set(ERRORS, 0.005);
    const runbooks = [
      makeRunbook(
        'fraud-scorer',
        `triage: { checks: [{ name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }] }`,
      ),
    ];
    const { clock, replica } = await firstSucceededOnADeadReplica(
      { runbooks, metricsSource: metrics },
      (store) => recordDeployments({ store }, 'fraud-scorer', ['v40', 'v41', 'v42']),
    );
    // Prometheus is slow to answer the stand-in's first baseline query, until `answer()`.
    let answer = (): void => undefined;
    const asked = new Promise<void>((askedFor) => {
      const query = metrics.query.bind(metrics);
      metrics.query = async (promql, at) => {
        metrics.query = query;
        askedFor();
        await new Promise<void>((answered) => (answer = answered));
        return query(promql, at);
      };
    });
    const follower = replica();
    clock.advance(MINUTE);
    const following = pollDeadlines(follower);
    await asked;

    const second = replica();
    expect((await rollback(second, further)).outcome).toBe('succeeded');
    answer();
    await following;
    const started = async () =>
      (await second.store.list('INC-1'))
        .filter((entry) => entry.type === 'confirm.started')
        .map((entry) => entry.data?.attempt);
    expect(await started()).toEqual([]);
    expect((await second.store.getIncident('INC-1'))?.confirmation).toBeUndefined();
    expect((await second.store.pending()).map((deadline) => deadline.kind)).not.toContain('confirm-poll');

    await pollFor(second, 3 * MINUTE);
    expect(await announcedAttempts(second.store)).toEqual([1, 2]);
    expect(await started()).toEqual([2]);
    expect(await standInAttempts(second.store)).toEqual([]);
  });

  describe('with a stand-in an older build left under its one id per incident', () => {
    it('follows its attempt up once, and is done', async () => {
      const clock = new TestClock();
      const storeOf = storesOn(clock);
      const fake = new FakeServing();
      const dying = dyingStore(storeOf(), 0, attemptSucceeded(1));
      const older = makeDeps({ store: dying.store, clock, fake });
      older.timing = { ...older.timing, lockTtlMs: 500 };
      void rollback(older, request);
      await dying.died;
      const survivor = makeDeps({ store: storeOf(), clock, fake });
      await asOlderBuildStoredIt(survivor.store, 'rollback-success', 1);

      await pollFor(survivor, 3 * MINUTE);
      expect(rolledBackNotices(survivor)).toEqual(['rolled back to v41: ']);
      expect(await announcedAttempts(survivor.store)).toEqual([1]);
      expect(await confirmedAttempts(survivor.store)).toEqual([1]);
      expect(await standInAttempts(survivor.store)).toEqual([]);
    });

    it("is not cancelled by an earlier attempt's follow-up finishing: it follows up its own", async () => {
      const { storeOf, following, arrive, replica } = await firstFollowUpStalled();
      const dying = dyingStore(storeOf(), 0, attemptSucceeded(2));
      void rollback(replica(dying.store), further);
      await dying.died;
      const survivor = replica();
      await asOlderBuildStoredIt(survivor.store, 'rollback-success', 2);

      arrive();
      await following;
      expect(await standInAttempts(survivor.store)).toEqual([2]);
      await pollFor(survivor, 3 * MINUTE);
      expect(rolledBackNotices(survivor)).toEqual(['rolled back to v40: ']);
      expect(await announcedAttempts(survivor.store)).toEqual([1, 2]);
      expect(await confirmedAttempts(survivor.store)).toEqual([2]);
      expect(await standInAttempts(survivor.store)).toEqual([]);
    });
  });
});
