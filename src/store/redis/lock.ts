import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Lease, Lock } from '../../engine/ports.js';
import type { StoreKeys } from './keys.js';
import { integerReply, optionalIntegerReply } from './replies.js';
import { ACQUIRE_LOCK, EXTEND_LOCK, RELEASE_LOCK, runScript } from './scripts.js';

/** A lock as one expiring Redis string holding the lease; its fence from the one counter every lock shares. */
export function redisLock(redis: Redis, keys: StoreKeys): Lock {
  return {
    async acquire(name, owner, ttlMs, now) {
      const token = randomUUID();
      const lease = JSON.stringify({ name, token, owner, acquiredAt: now });
      const reply = await runScript(
        redis,
        ACQUIRE_LOCK,
        [keys.lock(name), keys.lockFenceSeq, keys.lockFence(name)],
        [lease, pxMs(ttlMs), OLDER_BUILDS_FENCE_KEPT_MS],
      );
      const fence = optionalIntegerReply(reply, 'lock acquire');
      return fence === undefined ? undefined : { name, token, owner, acquiredAt: now, fence };
    },

    async release(lease) {
      const reply = await runScript(redis, RELEASE_LOCK, [keys.lock(lease.name)], [lease.token]);
      return integerReply(reply, 'lock release') === 1;
    },

    async extend(lease, ttlMs) {
      const reply = await runScript(redis, EXTEND_LOCK, [keys.lock(lease.name)], [lease.token, pxMs(ttlMs)]);
      return integerReply(reply, 'lock extend') === 1;
    },

    async holder(name) {
      const json = await redis.get(keys.lock(name));
      if (json === null) return undefined;
      const { token: _token, ...holder } = JSON.parse(json) as Lease;
      return holder;
    },
  };
}

/** How long a lock's own fence counter, which builds before 2026-12-04 draw from, is kept past an acquisition. */
const OLDER_BUILDS_FENCE_KEPT_MS = 24 * 3_600_000;

/** Redis takes whole, positive milliseconds for PX/PEXPIRE; a fractional ttl is rounded up, never to zero. */
export function pxMs(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs));
}
