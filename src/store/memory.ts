import { randomUUID } from 'node:crypto';
import { RollbotError } from '../core/errors.js';
import { headOf, isOpen, type Incident } from '../core/incident.js';
import type { Clock, Deadline, IncidentFilter, Lease, Store, TimelineEntry } from '../engine/ports.js';
import { createMemoryLedger } from './memory-ledger.js';
import { checkEntriesOf, listedAfter, newestFirst, soonestFirst } from './ordering.js';

export interface MemoryStoreOptions {
  /** Lock and claimOnce ttls expire by this clock, so tests can move time instead of waiting. */
  clock: Clock;
}

const DEFAULT_LIST_LIMIT = 100;
/** How often, at most, expired keys nobody asked about are looked for (forgetExpired). */
const SWEEP_EVERY_MS = 60_000;

/** The memory store, which also says how many expiring keys it holds (for tests of its memory). */
export interface MemoryStore extends Store {
  /** Once keys, values with a ttl and leases held, expired ones it has not forgotten yet included. */
  expiringKeys(): number;
}

/**
 * The in-process store, for tests and for running a single replica without Redis. Every method body runs to
 * completion without awaiting, which is what makes each one atomic. Records are copied on the way in and out
 * (structuredClone) so that callers never share objects with the store, as with a real backend.
 */
export function createMemoryStore(options: MemoryStoreOptions): MemoryStore {
  const { clock } = options;
  let incidentSeq = 0;
  const incidents = new Map<string, Incident>();
  const openByModel = new Map<string, string>();
  /** Each model's incident IDs, so that listing one model's reads its incidents, not every incident ever. */
  const idsByModel = new Map<string, string[]>();
  const timelines = new Map<string, TimelineEntry[]>();
  /** The keys each incident's timeline took entries under (Timeline.appendOnce). */
  const timelineKeys = new Map<string, Set<string>>();
  const locks = new Map<string, { lease: Lease; expiresAt: number }>();
  /** The last fence given, by any lock: one counter rather than one per lock name, which would only grow. */
  let lastFence = 0;
  /** Deadline and when it may next be handed out (its due time, or the end of a claim's lease). */
  const deadlines = new Map<string, { deadline: Deadline; visibleAt: number }>();
  const onceKeys = new Map<string, number>();
  /** Every alert key that joined each incident (IncidentStore.knownAlertKeys). */
  const alertKeys = new Map<string, Set<string>>();
  const values = new Map<string, { value: string; expiresAt: number }>();

  const copy = <T>(value: T): T => structuredClone(value);

  /**
   * When expired once keys, values and leases are next forgotten. Each is dropped when its own key is asked about,
   * but most never are again (a Slack event's key, a digest's listed mark, a dead sender's lease): Redis expires
   * them by itself, and a bot run for months on this store must not keep them all.
   */
  let nextSweepAt = 0;
  function forgetExpired(): void {
    const now = clock.now();
    if (now < nextSweepAt) return;
    nextSweepAt = now + SWEEP_EVERY_MS;
    for (const [key, expiresAt] of onceKeys) if (expiresAt <= now) onceKeys.delete(key);
    for (const [key, held] of values) if (held.expiresAt <= now) values.delete(key);
    for (const [name, held] of locks) if (held.expiresAt <= now) locks.delete(name);
  }

  /**
   * The incidents `filter` may select, from the narrowest index as Redis reads them (incidents.ts): a model's own,
   * the open ones (one per model at most), or all. A month of `npm start` must not sort every incident ever on
   * each poller tick or deployment gate.
   */
  function candidates(filter: IncidentFilter): Iterable<Incident> {
    const byId = (ids: Iterable<string>): Incident[] => [...ids].flatMap((id) => incidents.get(id) ?? []);
    if (filter.model !== undefined) return byId(idsByModel.get(filter.model) ?? []);
    if (filter.open === true) return byId(openByModel.values());
    return incidents.values();
  }

  /** The stored incidents `filter` selects, newest first (not copied). */
  function listed(filter: IncidentFilter): Incident[] {
    const limit = Math.floor(filter.limit ?? DEFAULT_LIST_LIMIT);
    const matching = [...candidates(filter)].filter(
      (incident) =>
        (filter.open === undefined || isOpen(incident) === filter.open) &&
        (filter.model === undefined || incident.model === filter.model) &&
        listedAfter(incident, filter.before),
    );
    return matching.sort(newestFirst).slice(0, Math.max(0, limit));
  }

  function appendEntry(entry: Omit<TimelineEntry, 'seq'>): TimelineEntry {
    const entries = timelines.get(entry.incidentId) ?? [];
    const stored: TimelineEntry = { seq: entries.length + 1, ...copy(entry) };
    entries.push(stored);
    timelines.set(entry.incidentId, entries);
    return copy(stored);
  }

  function liveLease(name: string): Lease | undefined {
    const held = locks.get(name);
    if (held && held.expiresAt <= clock.now()) locks.delete(name);
    return locks.get(name)?.lease;
  }

  function openIncidentOf(model: string): Incident | undefined {
    const id = openByModel.get(model);
    const incident = id === undefined ? undefined : incidents.get(id);
    return incident && copy(incident);
  }

  return {
    ...createMemoryLedger(),

    async nextIncidentId() {
      incidentSeq += 1;
      return `INC-${incidentSeq}`;
    },

    async createIfNoneOpen(incident) {
      if (!isOpen(incident)) {
        throw new RollbotError(
          'ILLEGAL_TRANSITION',
          `incident ${incident.id} is ${incident.phase}, not open`,
          {
            hint: 'create incidents with openIncident() from core/incident.ts',
          },
        );
      }
      const openId = openByModel.get(incident.model);
      const existing = openId === undefined ? undefined : incidents.get(openId);
      if (existing) return { incident: copy(existing), created: false };
      if (incidents.has(incident.id)) {
        throw new RollbotError('CONFLICT', `incident ${incident.id} already exists`, {
          hint: 'take a fresh id from nextIncidentId()',
        });
      }
      incidents.set(incident.id, copy(incident));
      openByModel.set(incident.model, incident.id);
      const modelIds = idsByModel.get(incident.model) ?? [];
      modelIds.push(incident.id);
      idsByModel.set(incident.model, modelIds);
      return { incident: copy(incident), created: true };
    },

    async getIncident(id) {
      const incident = incidents.get(id);
      return incident && copy(incident);
    },

    async openIncidentFor(model) {
      return openIncidentOf(model);
    },

    // In one process what it saw is what is stored.
    async seenOpenIncidentFor(model) {
      return openIncidentOf(model);
    },

    async updateIncident(incident, options = {}) {
      checkEntriesOf(incident.id, options.timeline ?? []);
      const stored = incidents.get(incident.id);
      if (!stored || stored.version !== incident.version) return undefined;
      const known = alertKeys.get(incident.id) ?? new Set<string>();
      const joining = options.alertKeys ?? [];
      if (joining.some((key) => known.has(key))) return undefined;
      const next = copy({ ...incident, version: stored.version + 1 });
      incidents.set(next.id, next);
      for (const key of joining) known.add(key);
      if (joining.length) alertKeys.set(incident.id, known);
      if (options.timeline?.length) {
        const timeline = timelines.get(incident.id) ?? [];
        for (const entry of options.timeline) timeline.push({ seq: timeline.length + 1, ...copy(entry) });
        timelines.set(incident.id, timeline);
      }
      for (const deadline of options.deadlines ?? [])
        deadlines.set(deadline.id, { deadline: copy(deadline), visibleAt: deadline.dueAt });
      // Only clear the pointer if it is still ours: never unseat a newer incident of the same model.
      if (!isOpen(next) && openByModel.get(next.model) === next.id) openByModel.delete(next.model);
      return copy(next);
    },

    async knownAlertKeys(incidentId, keys) {
      const known = alertKeys.get(incidentId);
      return new Set(known ? keys.filter((key) => known.has(key)) : []);
    },

    async listIncidents(filter) {
      return listed(filter).map(copy);
    },

    async listIncidentHeads(filter) {
      return listed(filter).map((incident) => headOf(copy(incident)));
    },

    async append(entry) {
      return appendEntry(entry);
    },

    async appendOnce(entry, key) {
      const taken = timelineKeys.get(entry.incidentId) ?? new Set<string>();
      if (taken.has(key)) return undefined;
      taken.add(key);
      timelineKeys.set(entry.incidentId, taken);
      return appendEntry(entry);
    },

    async list(incidentId) {
      return (timelines.get(incidentId) ?? []).map(copy);
    },

    async listOfTypes(incidentId, types) {
      // Only the entries asked for are copied: a storm incident's thousands of others are passed over, not cloned.
      return (timelines.get(incidentId) ?? []).filter((entry) => types.includes(entry.type)).map(copy);
    },

    async acquire(name, owner, ttlMs, now) {
      forgetExpired();
      if (liveLease(name)) return undefined;
      const fence = ++lastFence;
      const lease: Lease = { name, token: randomUUID(), owner, acquiredAt: now, fence };
      locks.set(name, { lease, expiresAt: clock.now() + ttlMs });
      return { ...lease };
    },

    async release(lease) {
      if (liveLease(lease.name)?.token !== lease.token) return false;
      locks.delete(lease.name);
      return true;
    },

    async extend(lease, ttlMs) {
      const held = liveLease(lease.name);
      if (held?.token !== lease.token) return false;
      locks.set(lease.name, { lease: held, expiresAt: clock.now() + ttlMs });
      return true;
    },

    async holder(name) {
      const lease = liveLease(name);
      if (!lease) return undefined;
      const { token: _token, ...holder } = lease;
      return holder;
    },

    async schedule(deadline) {
      deadlines.set(deadline.id, { deadline: copy(deadline), visibleAt: deadline.dueAt });
    },

    async cancel(id) {
      deadlines.delete(id);
    },

    async claimDue(now, leaseMs, limit) {
      const due = [...deadlines.values()]
        .filter((entry) => entry.visibleAt <= now)
        // Same order as the Redis queue: by the time each became visible, then by id (ids are unique).
        .sort((a, b) => a.visibleAt - b.visibleAt || (a.deadline.id < b.deadline.id ? -1 : 1))
        .slice(0, Math.max(0, limit));
      for (const entry of due) entry.visibleAt = now + leaseMs;
      return due.map((entry) => copy(entry.deadline));
    },

    async complete({ id, dueAt }, claimedUntil) {
      const held = deadlines.get(id);
      // Visible at another time than the claim's end: scheduled or claimed again since, so it stays.
      if (held?.deadline.dueAt === dueAt && held.visibleAt === claimedUntil) deadlines.delete(id);
    },

    async retryLater(deadline, claimedUntil, retryAt) {
      const held = deadlines.get(deadline.id);
      // As complete: visible at another time than the claim's end, it was scheduled or claimed again since.
      if (held?.deadline.dueAt !== deadline.dueAt || held.visibleAt !== claimedUntil) return false;
      deadlines.set(deadline.id, { deadline: copy(deadline), visibleAt: retryAt });
      return true;
    },

    async pending() {
      return [...deadlines.values()].map((entry) => copy(entry.deadline)).sort(soonestFirst);
    },

    async countUnclaimed(dueBy) {
      return [...deadlines.values()].filter((entry) => entry.visibleAt <= dueBy).length;
    },

    async setValue(key, value, ttlMs) {
      forgetExpired();
      values.set(key, { value, expiresAt: ttlMs === undefined ? Infinity : clock.now() + ttlMs });
    },

    async getValue(key) {
      const held = values.get(key);
      if (held && held.expiresAt <= clock.now()) values.delete(key);
      return values.get(key)?.value;
    },

    async compareAndSetValue(key, expected, value, ttlMs) {
      forgetExpired();
      const held = values.get(key);
      const current = held && held.expiresAt > clock.now() ? held.value : undefined;
      if (current !== expected) return false;
      values.set(key, { value, expiresAt: ttlMs === undefined ? Infinity : clock.now() + ttlMs });
      return true;
    },

    async takeValueIfHeld(key, expected) {
      const held = values.get(key);
      if (!held || held.expiresAt <= clock.now() || held.value !== expected) return false;
      values.delete(key);
      return true;
    },

    async claimOnce(key, ttlMs) {
      forgetExpired();
      const expiresAt = onceKeys.get(key);
      if (expiresAt !== undefined && expiresAt > clock.now()) return false;
      onceKeys.set(key, clock.now() + ttlMs);
      return true;
    },

    expiringKeys() {
      const expiring = [...values.values()].filter((held) => held.expiresAt !== Infinity).length;
      return onceKeys.size + expiring + locks.size;
    },

    async ping() {},

    async close() {},
  };
}
