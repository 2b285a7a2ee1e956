import type { Redis } from 'ioredis';
import type { Timeline, TimelineEntry } from '../../engine/ports.js';
import type { StoreKeys } from './keys.js';
import { integerReply, optionalIntegerReply } from './replies.js';
import { APPEND_TIMELINE, APPEND_TIMELINE_ONCE, runScript } from './scripts.js';

/** The timeline as one Redis list per incident: append-only, so list order is append order. */
export function redisTimeline(redis: Redis, keys: StoreKeys): Timeline {
  return {
    async append(entry) {
      // JSON.stringify omits undefined fields, so what we return is exactly what list() will read back.
      const json = JSON.stringify(entry);
      const reply = await runScript(redis, APPEND_TIMELINE, [keys.timeline(entry.incidentId)], [json]);
      const seq = integerReply(reply, 'timeline append');
      return { seq, ...(JSON.parse(json) as Omit<TimelineEntry, 'seq'>) };
    },

    async appendOnce(entry, key) {
      const json = JSON.stringify(entry);
      const at = [keys.timeline(entry.incidentId), keys.timelineKeys(entry.incidentId)];
      const reply = await runScript(redis, APPEND_TIMELINE_ONCE, at, [json, key]);
      const seq = optionalIntegerReply(reply, 'timeline append once');
      return seq === undefined ? undefined : { seq, ...(JSON.parse(json) as Omit<TimelineEntry, 'seq'>) };
    },

    async list(incidentId) {
      const entries = await redis.lrange(keys.timeline(incidentId), 0, -1);
      return entries.map((json) => JSON.parse(json) as TimelineEntry);
    },
  };
}
