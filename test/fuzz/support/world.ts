import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, RealClock, type TestClock, type TestDeps } from '../../helpers/engine.js';
import { openFuzzStore, type FuzzStore } from './redis-state.js';

/** The bot's state as the outside world could observe it: the store, what was said, what was rolled back. */
export interface World {
  deps: TestDeps;
  redis: FuzzStore;
  /** Store contents (key → content), notifications sent and serving-layer changes. */
  snapshot(): Promise<Snapshot>;
  close(): Promise<void>;
}

export type Snapshot = Record<string, string>;

/**
 * What differs between two snapshots, one line per key (`+key`, `-key`, `~key: before → after`), so that a
 * failure says which key a refused request touched. Empty when nothing changed.
 */
export function changes(before: Snapshot, after: Snapshot): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.flatMap((key) => {
    const [was, is] = [before[key], after[key]];
    if (was === is) return [];
    if (was === undefined) return [`+${key}: ${String(is).slice(0, 300)}`];
    if (is === undefined) return [`-${key}`];
    return [`~${key}: ${was.slice(0, 300)} → ${is.slice(0, 300)}`];
  });
}

/**
 * Engine dependencies on a real Redis (own prefix), with one incident already open for fraud-scorer: a
 * rejected request that touched existing state (a timeline line, a deadline, a severity) would show.
 */
export async function openWorld(redis: Redis, clock?: TestClock): Promise<World> {
  const fuzzStore = openFuzzStore(redis);
  const made = makeDeps({ store: fuzzStore.store, ...(clock ? { clock } : {}) });
  // makeDeps sleeps by moving its clock, which a real clock refuses: on real time, sleep for real.
  const deps: TestDeps =
    clock instanceof RealClock
      ? { ...made, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) }
      : made;
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  return {
    deps,
    redis: fuzzStore,
    async snapshot() {
      return {
        ...(await fuzzStore.snapshot()),
        '(notifications sent)': String(deps.notifier.events.length),
        '(serving-layer changes)': String(deps.fake.mutations),
      };
    },
    close: () => fuzzStore.close(),
  };
}

/** Fails, listing the keys that differ, when the world is no longer as `before` found it. */
export async function expectUnchanged(world: World, before: Snapshot, what: string): Promise<void> {
  expect(changes(before, await world.snapshot()), what).toEqual([]);
}

/** One HTTP server whose bot is replaced by a fresh one (new world, new app) for every fuzz run. */
export interface FuzzServer {
  url: string;
  /** Closes the previous world and serves a new one. */
  fresh(): Promise<World>;
  /**
   * Runs `check` on a fresh world once every run before it on this server has ended, so that the world changes
   * only by what `check` sends. fast-check's time limit (fuzzOptions) abandons the run in flight without
   * stopping it: its request, or its world's replacement, then landed in the next run's world, even the next
   * property's, and a refused request there seemed to change stored state.
   */
  run<T>(check: (world: World) => Promise<T>): Promise<T>;
  /** Closes the server once the last run has ended (an abandoned one included). */
  close(): Promise<void>;
}

/**
 * Serves `appFor(world)` on a free loopback port, rebuilt by `fresh()`. Runs do not share state, so a failing
 * input fails on its own and fast-check's shrinking and replay (seed, path) stay meaningful.
 */
export async function startFuzzServer(
  redisUrl: string,
  appFor: (world: World) => RequestListener,
  clock?: () => TestClock,
): Promise<FuzzServer> {
  const redis = new Redis(redisUrl);
  let world: World | undefined;
  let app: RequestListener | undefined;
  const server = createServer((req, res) => {
    if (app) app(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fresh = async (): Promise<World> => {
    await world?.close();
    world = await openWorld(redis, clock?.());
    app = appFor(world);
    return world;
  };
  // The last run started, settled: the next one starts after it.
  let runs: Promise<unknown> = Promise.resolve();
  return {
    url: `http://127.0.0.1:${port}`,
    fresh,
    run(check) {
      const run = runs.then(async () => check(await fresh()));
      runs = run.catch(() => undefined);
      return run;
    },
    async close() {
      await runs;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await world?.close();
      await redis.quit();
    },
  };
}
