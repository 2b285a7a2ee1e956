import type { Redis } from 'ioredis';
import type { Timeline, TimelineEntry } from '../../engine/ports.js';
import type { StoreKeys } from './keys.js';
import { integerReply, optionalIntegerReply, stringsReply } from './replies.js';
import { runScript } from './scripts.js';
import {
  APPEND_TIMELINE,
  APPEND_TIMELINE_ONCE,
  TIMELINE_OF_TYPES,
  UNINDEXED_TYPES,
} from './timeline-scripts.js';

/**
 * The timeline as one Redis list per incident: append-only, so list order is append order. Beside it, an index of
 * its entries by type (keys.ts `timeline-types:`), so that a check for one kind of entry reads only those.
 */
export function redisTimeline(redis: Redis, keys: StoreKeys): Timeline {
  return {
    async append(entry) {
      // JSON.stringify omits undefined fields, so what we return is exactly what list() will read back.
      const json = JSON.stringify(entry);
      const at = [keys.timeline(entry.incidentId), keys.timelineTypes(entry.incidentId)];
      const reply = await runScript(redis, APPEND_TIMELINE, at, [json, entry.type]);
      const seq = integerReply(reply, 'timeline append');
      return { seq, ...(JSON.parse(json) as Omit<TimelineEntry, 'seq'>) };
    },

    async appendOnce(entry, key) {
      const json = JSON.stringify(entry);
      const { incidentId } = entry;
      const at = [keys.timeline(incidentId), keys.timelineKeys(incidentId), keys.timelineTypes(incidentId)];
      const reply = await runScript(redis, APPEND_TIMELINE_ONCE, at, [json, key, entry.type]);
      const seq = optionalIntegerReply(reply, 'timeline append once');
      return seq === undefined ? undefined : { seq, ...(JSON.parse(json) as Omit<TimelineEntry, 'seq'>) };
    },

    async list(incidentId) {
      const entries = await redis.lrange(keys.timeline(incidentId), 0, -1);
      return entries.map((json) => JSON.parse(json) as TimelineEntry);
    },

    async listOfTypes(incidentId, types) {
      if (types.some((type) => UNINDEXED_TYPES.includes(type))) return undefined;
      const at = [keys.timeline(incidentId), keys.timelineTypes(incidentId)];
      const reply = await runScript(redis, TIMELINE_OF_TYPES, at, [...new Set(types)]);
      if (reply === null) return undefined;
      return stringsReply(reply, 'timeline of types').map((json) => JSON.parse(json) as TimelineEntry);
    },
  };
}
