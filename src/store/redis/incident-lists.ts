import type { Redis } from 'ioredis';
import { isOpen, type Incident } from '../../core/incident.js';
import type { IncidentFilter, IncidentPosition } from '../../engine/ports.js';
import { listedAfter } from '../ordering.js';
import type { StoreKeys } from './keys.js';

const DEFAULT_LIST_LIMIT = 100;

/**
 * Lists of incidents in Redis, newest first: pages of an index by openedAt (all, open, or a model's), each page's
 * records read in one round trip, whole or as heads (`fields` and `decode`, from incidents.ts).
 */
export function incidentLists(redis: Redis, keys: StoreKeys) {
  /** Loads many records in one round trip, skipping ids whose record is missing. */
  async function load<T>(
    ids: readonly string[],
    fields: readonly string[],
    decode: (fields: (string | null)[]) => T | undefined,
  ): Promise<T[]> {
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hmget(keys.incident(id), ...fields);
    const found: T[] = [];
    for (const [error, reply] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      const record = decode(reply as (string | null)[]);
      if (record !== undefined) found.push(record);
    }
    return found;
  }

  /** Newest first: walks the narrowest index and filters on the records (the phase rule is core's). */
  async function listed<T extends Pick<Incident, 'id' | 'model' | 'phase'>>(
    filter: IncidentFilter,
    loadPage: (ids: readonly string[]) => Promise<T[]>,
  ): Promise<T[]> {
    const limit = Math.floor(filter.limit ?? DEFAULT_LIST_LIMIT);
    if (limit <= 0) return [];
    const index =
      filter.model !== undefined
        ? keys.modelIncidents(filter.model)
        : filter.open === true
          ? keys.openIncidents
          : keys.allIncidents;
    const matches = (incident: T): boolean =>
      (filter.open === undefined || isOpen(incident) === filter.open) &&
      (filter.model === undefined || incident.model === filter.model);
    // An index holding exactly what the filter asks for is read as far as the limit: a model's latest incident
    // (the gate, on every deployment) is one record, not the 50 latest with their refs (up to 1 MB). Only a filter
    // its index does not answer (open or not within a model, closed ones among all) reads ahead in pages.
    const indexAnswers = filter.open === undefined || (filter.model === undefined && filter.open);
    const page = indexAnswers ? limit : Math.max(limit, 50);
    const found: T[] = [];
    // Indexes can shift while we page (new incidents arrive on top); skip ids already seen.
    const seen = new Set<string>();
    for (let start = 0; found.length < limit; start += page) {
      const { ids, full } = await indexPage(index, filter.before, start, page);
      for (const incident of await loadPage(ids.filter((id) => !seen.has(id)))) {
        seen.add(incident.id);
        if (matches(incident) && found.length < limit) found.push(incident);
      }
      if (!full) break;
    }
    return found;
  }

  /**
   * `count` ids of an index from `start`, newest first, and whether there may be more. After `before`, the range
   * is read by score (openedAt) from its own, which new incidents (opened later) never shift; those opened in the
   * same millisecond are listed after it only below its id, as ZREVRANGE orders ties (ordering.ts listedAfter).
   */
  async function indexPage(
    index: string,
    before: IncidentPosition | undefined,
    start: number,
    count: number,
  ): Promise<{ ids: string[]; full: boolean }> {
    if (before === undefined) {
      const ids = await redis.zrevrange(index, start, start + count - 1);
      return { ids, full: ids.length === count };
    }
    const reply = await redis.zrevrangebyscore(
      index,
      before.openedAt,
      '-inf',
      'WITHSCORES',
      'LIMIT',
      start,
      count,
    );
    const ids: string[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const id = reply[i] as string;
      if (listedAfter({ id, openedAt: Number(reply[i + 1]) }, before)) ids.push(id);
    }
    return { ids, full: reply.length === 2 * count };
  }

  return {
    list<T extends Pick<Incident, 'id' | 'model' | 'phase'>>(
      filter: IncidentFilter,
      fields: readonly string[],
      decode: (fields: (string | null)[]) => T | undefined,
    ): Promise<T[]> {
      return listed(filter, (ids) => load(ids, fields, decode));
    },
  };
}
