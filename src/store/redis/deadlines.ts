import type { Redis } from 'ioredis';
import type { Deadline, Deadlines } from '../../engine/ports.js';
import { soonestFirst } from '../ordering.js';
import type { StoreKeys } from './keys.js';
import { checkExec, stringsReply } from './replies.js';
import { CLAIM_DUE_DEADLINES, COMPLETE_DEADLINE, RETRY_DEADLINE_LATER, runScript } from './scripts.js';

/**
 * Deadlines as a sorted set of ids scored by when each may next be handed out, beside a hash of the
 * deadlines themselves. Claiming moves the score to the end of the claim's lease instead of removing the id,
 * so a deadline whose poller dies comes due again; one whose handler failed is put back later still
 * (retryLater), its JSON then carrying how many times in a row it has failed.
 */
export function redisDeadlines(redis: Redis, keys: StoreKeys): Deadlines {
  async function remove(id: string): Promise<void> {
    const results = await redis.multi().zrem(keys.deadlineQueue, id).hdel(keys.deadlineData, id).exec();
    checkExec(results, 'deadline removal');
  }

  return {
    async schedule(deadline) {
      const results = await redis
        .multi()
        .hset(keys.deadlineData, deadline.id, JSON.stringify(deadline))
        .zadd(keys.deadlineQueue, deadline.dueAt, deadline.id)
        .exec();
      checkExec(results, 'deadline schedule');
    },

    cancel: remove,

    async claimDue(now, leaseMs, limit) {
      // Redis reads a negative LIMIT count as "all"; no poller asking for nothing should get everything.
      if (limit <= 0) return [];
      const reply = await runScript(
        redis,
        CLAIM_DUE_DEADLINES,
        [keys.deadlineQueue, keys.deadlineData],
        [now, now + leaseMs, Math.floor(limit)],
      );
      return stringsReply(reply, 'claimDue').map(parseDeadline);
    },

    async complete({ id, dueAt }, claimedUntil) {
      await runScript(
        redis,
        COMPLETE_DEADLINE,
        [keys.deadlineQueue, keys.deadlineData],
        [id, dueAt, claimedUntil],
      );
    },

    async retryLater(deadline, claimedUntil, retryAt) {
      const reply = await runScript(
        redis,
        RETRY_DEADLINE_LATER,
        [keys.deadlineQueue, keys.deadlineData],
        [deadline.id, deadline.dueAt, claimedUntil, retryAt, JSON.stringify(deadline)],
      );
      return reply === 1;
    },

    async countUnclaimed(dueBy) {
      // A claim moves its deadline's score to the end of its lease, a failure to its retry: what scores at or
      // before dueBy is due and no poller's.
      return redis.zcount(keys.deadlineQueue, '-inf', dueBy);
    },

    async pending() {
      const all = Object.values(await redis.hgetall(keys.deadlineData)).map(parseDeadline);
      return all.sort(soonestFirst);
    },
  };
}

function parseDeadline(json: string): Deadline {
  return JSON.parse(json) as Deadline;
}
