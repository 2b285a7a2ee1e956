/**
 * sendOnce on Redis: its mark, read through the timeline's index by type, holds across a restart (a new store on the
 * same Redis), and an incident stored by a build before that index (its mark only on the timeline) is not sent again.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import type { Store, TimelineEntry } from '../../src/engine/ports.js';
import { sendOnce, type OnceMessage } from '../../src/engine/send-once.js';
import { storeKeys } from '../../src/store/redis/keys.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { makeDeps } from '../helpers/engine.js';

const redisUrl = inject('redisUrl');
const INCIDENT = 'INC-7';

const stores: Store[] = [];
const connections: Redis[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await Promise.all(connections.splice(0).map((redis) => redis.quit()));
});

/** A replica's store on the test's prefix: a restart is a new one on the same Redis. */
function openStore(prefix: string): Store {
  const store = createRedisStore({ redis: redisUrl, prefix });
  stores.push(store);
  return store;
}

function entry(n: number, type: string, data?: Record<string, unknown>): Omit<TimelineEntry, 'seq'> {
  const at = 1_700_000_000_000 + n;
  return { incidentId: INCIDENT, at, type, actor: 'rollbot', text: `entry ${n}`, ...(data ? { data } : {}) };
}

/** The triage escalation, counting its sends; its mark is the `stage.breached` entry of triage it appends. */
function escalation(store: Store, sends: string[]): OnceMessage {
  return {
    lock: `escalation:${INCIDENT}:triage`,
    markTypes: ['stage.breached'],
    isMark: (mark) => mark.data?.stage === 'triage',
    send: async () => {
      sends.push('triage');
      await store.append(entry(99, 'stage.breached', { stage: 'triage' }));
    },
    lookAgainAt: async () => undefined,
  };
}

describe('sendOnce on Redis', () => {
  it('sends once across a restart, reading no whole timeline', async () => {
    const prefix = `test:${randomUUID()}:`;
    const sends: string[] = [];
    const first = openStore(prefix);
    for (let n = 1; n <= 200; n += 1) await first.append(entry(n, 'alert.attached'));
    await first.append(entry(201, 'stage.breached', { stage: 'detect' }));
    expect(await sendOnce(makeDeps({ store: first }), INCIDENT, escalation(first, sends))).toBe('sent');
    await first.close();

    const restarted = openStore(prefix);
    const list = vi.spyOn(restarted, 'list');
    const deps = makeDeps({ store: restarted });
    expect(await sendOnce(deps, INCIDENT, escalation(restarted, sends))).toBe('was-sent');
    expect(sends).toEqual(['triage']);
    expect(list).not.toHaveBeenCalled();
  });

  it('does not send again for an incident whose mark an older build wrote, reading its whole timeline then', async () => {
    const prefix = `test:${randomUUID()}:`;
    const redis = new Redis(redisUrl);
    connections.push(redis);
    // As builds before 2026-12-04 stored it: the entries on the list, and no index of types beside it.
    const old = [entry(1, 'incident.opened'), entry(2, 'stage.breached', { stage: 'triage' })];
    const timeline = storeKeys(prefix).timeline(INCIDENT);
    for (const [i, stored] of old.entries())
      await redis.rpush(timeline, JSON.stringify({ seq: i + 1, ...stored }));

    const store = openStore(prefix);
    const list = vi.spyOn(store, 'list');
    const sends: string[] = [];
    expect(await sendOnce(makeDeps({ store }), INCIDENT, escalation(store, sends))).toBe('was-sent');
    expect(sends).toEqual([]);
    expect(list).toHaveBeenCalledWith(INCIDENT);
  });

  it('sends, once, a message an older build had not sent on an incident it stored', async () => {
    const prefix = `test:${randomUUID()}:`;
    const redis = new Redis(redisUrl);
    connections.push(redis);
    const timeline = storeKeys(prefix).timeline(INCIDENT);
    await redis.rpush(timeline, JSON.stringify({ seq: 1, ...entry(1, 'incident.opened') }));

    const store = openStore(prefix);
    const sends: string[] = [];
    const deps = makeDeps({ store });
    expect(await sendOnce(deps, INCIDENT, escalation(store, sends))).toBe('sent');
    expect(await sendOnce(deps, INCIDENT, escalation(store, sends))).toBe('was-sent');
    expect(sends).toEqual(['triage']);
  });
});
