import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Store } from '../../../src/engine/ports.js';
import { createRedisStore } from '../../../src/store/redis/store.js';

/**
 * Key families left out of a snapshot. `once:` holds idempotency claims (a Slack view id, an Events API
 * event id) that Bolt listeners write on receipt, before they know whether the submission names anything
 * real, and that expire on their own: a dedup marker, not incident state.
 */
const IGNORED_FAMILIES = ['once:'];

/** A real Redis store under a prefix of its own, with a way to read everything stored under that prefix. */
export interface FuzzStore {
  store: Store;
  prefix: string;
  /** Every key under the prefix (prefix removed) with its content: equal snapshots mean nothing changed. */
  snapshot(): Promise<Record<string, string>>;
  /** Deletes the prefix's keys; the connection stays open (it is the caller's). */
  close(): Promise<void>;
}

/**
 * A Redis store with a unique prefix on a shared connection, so that every fuzz run starts from a state of its
 * own (a counterexample then replays alone) and never sees other tests' keys.
 */
export function openFuzzStore(redis: Redis): FuzzStore {
  const prefix = `fuzz:${randomUUID()}:`;
  const store = createRedisStore({ redis, prefix });
  return {
    store,
    prefix,
    snapshot: () => snapshotPrefix(redis, prefix),
    async close() {
      await store.close();
      const keys = await listKeys(redis, prefix);
      if (keys.length > 0) await redis.del(...keys);
    },
  };
}

async function listKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 }))
    keys.push(...(batch as string[]));
  return keys.sort();
}

async function snapshotPrefix(redis: Redis, prefix: string): Promise<Record<string, string>> {
  const keys = (await listKeys(redis, prefix)).filter(
    (key) => !IGNORED_FAMILIES.some((family) => key.startsWith(`${prefix}${family}`)),
  );
  const entries = await Promise.all(
    keys.map(async (key) => [key.slice(prefix.length), JSON.stringify(await readKey(redis, key))] as const),
  );
  return Object.fromEntries(entries);
}

/** A key's content, whatever its type; TTLs are left out because they move with the clock. */
async function readKey(redis: Redis, key: string): Promise<unknown> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return { string: await redis.get(key) };
    case 'hash':
      return { hash: Object.entries(await redis.hgetall(key)).sort(([a], [b]) => (a < b ? -1 : 1)) };
    case 'list':
      return { list: await redis.lrange(key, 0, -1) };
    case 'zset':
      return { zset: await redis.zrange(key, '0', '-1', 'WITHSCORES') };
    case 'set':
      return { set: (await redis.smembers(key)).sort() };
    default:
      // Deleted between SCAN and TYPE ('none'), or a type the store does not use: still part of the picture.
      return { type };
  }
}
