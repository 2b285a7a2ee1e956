import { randomUUID } from 'node:crypto';
import { afterEach, inject } from 'vitest';
import { pollDeadlines } from '../../src/engine/poller.js';
import type { Store } from '../../src/engine/ports.js';
import { rollback, rollbackLockName, type RollbackRequest } from '../../src/engine/rollback.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { dyingStore } from './dying-store.js';
import { makeDeps, makeRunbook, type TestClock, type TestDeps } from './engine.js';
import { FakeMetrics } from './fake-metrics.js';
import { FakeServing } from './fake-serving.js';

/**
 * Stores on the test Redis, closed after each test: call the function it returns twice with one prefix for two
 * replicas of one bot. Call it once, at the top of a test file.
 */
export function useRedisStores(): (prefix: string) => Store {
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });
  return (prefix) => {
    const store = createRedisStore({ redis: inject('redisUrl'), prefix });
    stores.push(store);
    return store;
  };
}

/**
 * The two stores a test runs on alike, by name: each call a fresh one, closed after the test. Call it once, at the
 * top of a test file, and hand it to describe.each.
 */
export function useStoreBackends(): [string, (clock: TestClock) => Store][] {
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });
  const kept = (store: Store) => {
    stores.push(store);
    return store;
  };
  return [
    ['memory', (clock) => kept(createMemoryStore({ clock }))],
    ['redis', () => kept(createRedisStore({ redis: inject('redisUrl'), prefix: `test:${randomUUID()}:` }))],
  ];
}

/**
 * The two stores a multi-replica test runs on, by name: a fresh bot's state per call, each replica's store on it
 * from the function returned (the same memory store, or a client of its own on one Redis prefix). `redisStore`:
 * the test file's useRedisStores().
 */
export function replicaBackends(
  redisStore: (prefix: string) => Store,
): [string, (clock: TestClock) => () => Store][] {
  return [
    [
      'the memory store',
      (clock) => {
        const store = createMemoryStore({ clock });
        return () => store;
      },
    ],
    [
      'Redis',
      () => {
        const prefix = `test:${randomUUID()}:`;
        return () => redisStore(prefix);
      },
    ],
  ];
}

/**
 * Moves attempt `attempt`'s stand-in of deadline kind `kind` to the id a build from before per-attempt stand-ins
 * gave it (`INC-1:<kind>`, one per incident), as that build would have stored it.
 */
export async function asOlderBuildStoredIt(store: Store, kind: string, attempt: number): Promise<void> {
  const standIn = (await store.pending()).find(
    (deadline) => deadline.kind === kind && deadline.payload.attempt === attempt,
  );
  if (!standIn) throw new Error(`no ${kind} stand-in of attempt ${attempt}`);
  await store.cancel(standIn.id);
  await store.schedule({ ...standIn, id: `INC-1:${kind}` });
}

/** Polls every 10 s of test time; within a step, again while deadlines keep coming due (as every second would). */
export async function pollFor(deps: TestDeps, ms: number): Promise<void> {
  for (let passed = 0; passed < ms; passed += 10_000) {
    deps.clock.advance(10_000);
    while ((await pollDeadlines(deps)) > 0);
  }
}

/** The incident's timeline entry types, a breach named with its stage (`stage.breached:detect`). */
export async function timelineTypes(store: Store, incidentId = 'INC-1'): Promise<string[]> {
  return (await store.list(incidentId)).map((entry) =>
    entry.type === 'stage.breached' ? `stage.breached:${String(entry.data?.stage)}` : entry.type,
  );
}

/**
 * Waits until `lock` is free. A SIGKILLed replica does not release its leases: they lapse, and on Redis that takes
 * the lease's real time (give the dying replica a short `lockTtlMs`).
 */
export async function lapsed(store: Store, lock: string): Promise<void> {
  while (await store.holder(lock)) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Starts `request`'s rollback on a bot over `store` that makes the change on `fake` and dies (SIGKILL) in its first
 * wait for it to land, its lease's upkeep cut short: everything it wrote until then stays written. Resolves
 * `downFor` later, once its rollback lock has lapsed as `survivor` (a store on the same backend) sees it.
 */
export async function rollbackDiesLanding(options: {
  store: Store;
  survivor: Store;
  clock: TestClock;
  fake: FakeServing;
  request: RollbackRequest;
  downFor: number;
}): Promise<void> {
  const { clock, fake, request } = options;
  const dying = dyingStore(options.store, 0, () => fake.calls.includes('onTarget'));
  const opener = makeDeps({ store: dying.store, clock, fake });
  opener.timing = { ...opener.timing, lockTtlMs: 500 };
  opener.sleep = () => new Promise<void>(() => undefined);
  void rollback(opener, request);
  await dying.died;
  clock.advance(options.downFor);
  await lapsed(options.survivor, rollbackLockName(request.model));
}

const ERRORS = 'error_ratio{model="fraud-scorer"}';

/**
 * Two replicas on `firstStore` and `survivorStore` of a bot whose fraud-scorer runbook confirms on the error
 * rate, which is back under its threshold: the first is the one that dies, the survivor finishes its work.
 */
export function confirmingReplicas(firstStore: Store, survivorStore: Store, clock: TestClock) {
  const fake = new FakeServing();
  const metricsSource = new FakeMetrics().set(ERRORS, 0.005);
  const runbooks = [
    makeRunbook(
      'fraud-scorer',
      `triage: { checks: [{ name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }] }`,
    ),
  ];
  return {
    fake,
    first: makeDeps({ store: firstStore, clock, fake, runbooks, metricsSource }),
    survivor: makeDeps({ store: survivorStore, clock, fake, runbooks, metricsSource }),
  };
}
