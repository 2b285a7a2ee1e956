import { Redis } from 'ioredis';
import type { Store } from '../../engine/ports.js';
import { redisDeadlines } from './deadlines.js';
import { redisIncidents } from './incidents.js';
import { storeKeys } from './keys.js';
import { redisLedger } from './ledger.js';
import { pxMs, redisLock } from './lock.js';
import { redisTimeline } from './timeline.js';

export interface RedisStoreOptions {
  /**
   * A `redis://` URL, or an ioredis connection. From a URL the store opens its own connection and `close()`
   * quits it. A connection passed in stays the caller's: `close()` leaves it open, and the store adds nothing
   * to it (no defineCommand), so it can be shared.
   */
  redis: Redis | string;
  /**
   * Prepended to every key (default `rollbot:`). Use one per deployment, or per test. On Redis Cluster give
   * it a hash tag, e.g. `{rollbot}:`, because scripts touch several keys at once.
   */
  prefix?: string;
}

/**
 * The production store (DESIGN §6): Redis is also how replicas coordinate, so every check-then-write runs as
 * one Lua script (scripts.ts) and any number of store instances may share one Redis and prefix. Key layout:
 * keys.ts.
 */
export function createRedisStore(options: RedisStoreOptions): Store {
  const owned = typeof options.redis === 'string';
  const redis = typeof options.redis === 'string' ? new Redis(options.redis) : options.redis;
  const keys = storeKeys(options.prefix ?? 'rollbot:');
  let closing: Promise<void> | undefined;

  return {
    ...redisIncidents(redis, keys),
    ...redisTimeline(redis, keys),
    ...redisLock(redis, keys),
    ...redisDeadlines(redis, keys),
    ...redisLedger(redis, keys),

    async setValue(key, value, ttlMs) {
      if (ttlMs === undefined) await redis.set(keys.value(key), value);
      else await redis.set(keys.value(key), value, 'PX', pxMs(ttlMs));
    },

    async getValue(key) {
      return (await redis.get(keys.value(key))) ?? undefined;
    },

    async takeValue(key) {
      // GETDEL (Redis ≥ 6.2) reads and deletes atomically: of two concurrent takers, one gets the value.
      return (await redis.getdel(keys.value(key))) ?? undefined;
    },

    async claimOnce(key, ttlMs) {
      return (await redis.set(keys.once(key), '1', 'PX', pxMs(ttlMs), 'NX')) === 'OK';
    },

    async ping() {
      await redis.ping();
    },

    close() {
      // Concurrent and repeated calls share one quit.
      closing ??= owned ? redis.quit().then(() => undefined) : Promise.resolve();
      return closing;
    },
  };
}
