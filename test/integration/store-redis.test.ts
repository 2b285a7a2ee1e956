import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import type { Logger, Store } from '../../src/engine/ports.js';
import { storeKeys } from '../../src/store/redis/keys.js';
import { MAX_COPIES } from '../../src/store/redis/incidents.js';
import { createRedisStore, maskRedisUrl } from '../../src/store/redis/store.js';
import { describeStoreContract } from '../contract/store-contract.js';
import { acknowledge, headOf, type Incident } from '../../src/core/incident.js';
import { attachAlert } from '../../src/core/incident-alerts.js';
import { freePort } from '../helpers/free-port.js';
import { dismiss, makeAlertRef, makeIncident, T0 } from '../helpers/incidents.js';
import { startRedis } from '../helpers/redis-server.js';

const redisUrl = inject('redisUrl');

/** Every test gets its own prefix, so tests running side by side on one Redis never see each other's keys. */
function testPrefix(): string {
  return `test:${randomUUID()}:`;
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
    if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
  }
}

describeStoreContract('redis', async () => {
  const prefix = testPrefix();
  // Two replicas on one Redis and prefix: one store opens its own connection from the URL, the other is given
  // a connection, so both ways of constructing the store are exercised.
  const peerConnection = new Redis(redisUrl);
  const store = createRedisStore({ redis: redisUrl, prefix });
  const peer = createRedisStore({ redis: peerConnection, prefix });
  return {
    store,
    peer,
    clock: { now: () => Date.now() },
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    async cleanup() {
      await deleteKeys(peerConnection, prefix);
      await Promise.all([store.close(), peer.close()]);
      await peerConnection.quit();
    },
  };
});

describe('redis store', () => {
  const connections: Redis[] = [];
  const stores: Store[] = [];
  function connect(): Redis {
    const redis = new Redis(redisUrl);
    connections.push(redis);
    return redis;
  }
  function open(redis: Redis | string, prefix: string): Store {
    const store = createRedisStore({ redis, prefix });
    stores.push(store);
    return store;
  }
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await Promise.all(connections.splice(0).map((redis) => redis.quit()));
  });

  it('keeps every key under its prefix, named as keys.ts says', async () => {
    const prefix = testPrefix();
    const redis = connect();
    const store = open(redis, prefix);
    const incident = makeIncident({ id: await store.nextIncidentId(), model: 'ranker' });
    await store.createIfNoneOpen(incident);
    await store.append({
      at: 1,
      incidentId: incident.id,
      type: 'incident.opened',
      actor: 'rollbot',
      text: 'opened',
    });
    await store.appendOnce(
      { at: 2, incidentId: incident.id, type: 'note', actor: 'U1', text: 'pinned' },
      'slack:C0A:1.2',
    );
    await store.acquire('rollback:ranker', 'U1', 60_000, 1);
    await store.schedule({ id: `${incident.id}:triage`, kind: 'stage.target', dueAt: 1, payload: {} });
    await store.claimOnce('alert:abc', 60_000);
    await store.setValue('slack:INC-1', 'ref');
    await store.recordDeployment({ model: 'ranker', version: 'v2', strategy: 'canary', at: 1, by: 'api' });
    await store.markRolledBack('ranker', 'v2', 2, incident.id);

    const keys = storeKeys(prefix);
    const expected = [
      keys.incidentSeq,
      keys.incident(incident.id),
      keys.allIncidents,
      keys.openIncidents,
      keys.modelIncidents('ranker'),
      keys.modelOpenIncident('ranker'),
      keys.timeline(incident.id),
      keys.timelineKeys(incident.id),
      keys.timelineTypes(incident.id),
      keys.lock('rollback:ranker'),
      keys.lockFenceSeq,
      keys.lockFence('rollback:ranker'),
      keys.deadlineQueue,
      keys.deadlineData,
      keys.once('alert:abc'),
      keys.value('slack:INC-1'),
      keys.ledger('ranker'),
      keys.ledgerRolledBack('ranker'),
    ];
    expect((await redis.keys(`${prefix}*`)).sort()).toEqual(expected.sort());
    await deleteKeys(redis, prefix);
  });

  it('removes a dismissed incident from the open index and drops the model pointer', async () => {
    const prefix = testPrefix();
    const redis = connect();
    const store = open(redis, prefix);
    const incident = makeIncident({ model: 'ranker' });
    await store.createIfNoneOpen(incident);
    await store.updateIncident(dismiss(incident));
    const keys = storeKeys(prefix);
    expect(await redis.zcard(keys.openIncidents)).toBe(0);
    expect(await redis.exists(keys.modelOpenIncident('ranker'))).toBe(0);
    await deleteKeys(redis, prefix);
  });

  it('reads only the records a list asks for, however many incidents a model had over the year', async () => {
    const prefix = testPrefix();
    const redis = connect();
    const store = open(redis, prefix);
    for (let index = 0; index < 60; index++) {
      const incident = makeIncident({ id: `INC-Y${index}`, model: 'ranker', at: T0 + index * 1_000 });
      await store.createIfNoneOpen(incident);
      await store.updateIncident(dismiss(incident));
    }
    // Each record a list loads is one HMGET in its pipeline (a record carries up to 100 alert refs, ~20 KB).
    let loaded = 0;
    const pipeline = redis.pipeline.bind(redis);
    vi.spyOn(redis, 'pipeline').mockImplementation((...args) => {
      const made = pipeline(...args);
      const hmget = made.hmget.bind(made);
      made.hmget = ((...hmgetArgs: Parameters<typeof hmget>) => {
        loaded += 1;
        return hmget(...hmgetArgs);
      }) as typeof made.hmget;
      return made;
    });
    expect((await store.listIncidents({ model: 'ranker', limit: 1 })).map((i) => i.id)).toEqual(['INC-Y59']);
    expect(loaded).toBe(1);
    loaded = 0;
    expect((await store.listIncidentHeads({ limit: 3 })).map((i) => i.id)).toEqual([
      'INC-Y59',
      'INC-Y58',
      'INC-Y57',
    ]);
    expect(loaded).toBe(3);
    await deleteKeys(redis, prefix);
  });

  it('keeps alert refs beside the incident and sends them only when they change', async () => {
    const prefix = testPrefix();
    const redis = connect();
    const store = open(redis, prefix);
    const key = storeKeys(prefix).incident('INC-R1');
    const opened = makeIncident({ id: 'INC-R1', model: 'ranker' });
    await store.createIfNoneOpen(opened);
    const [json, alerts, refs] = await redis.hmget(key, 'json', 'alerts', 'refs');
    expect(JSON.parse(json ?? '{}')).not.toHaveProperty('alerts');
    expect(JSON.parse(alerts ?? '[]')).toEqual(opened.alerts);
    expect(refs).toBe('1');

    // A write derived from a read that keeps the refs leaves the field alone: a marker put there survives it.
    const read = (await store.getIncident('INC-R1')) as Incident;
    await redis.hset(key, 'alerts', '"left alone"');
    expect(await store.updateIncident(acknowledge(read, 'U1', T0) as Incident)).toBeDefined();
    expect(await redis.hget(key, 'alerts')).toBe('"left alone"');

    // New refs are written in full.
    await redis.hset(key, 'alerts', JSON.stringify(read.alerts));
    const current = (await store.getIncident('INC-R1')) as Incident;
    const joined = attachAlert(current, makeAlertRef(T0 + 1, { fingerprint: 'second' }), 2) as Incident;
    expect(await store.updateIncident(joined)).toBeDefined();
    expect((await store.getIncident('INC-R1'))?.alerts).toEqual(joined.alerts);
    expect(await redis.hget(key, 'refs')).toBe('2');
    await deleteKeys(redis, prefix);
  });

  it("hands out a model's open incident as it last read or wrote it, without a command, until it reads again", async () => {
    const prefix = testPrefix();
    const redis = connect();
    const store = open(redis, prefix);
    const peer = open(redisUrl, prefix);
    const opened = makeIncident({ id: 'INC-S1', model: 'ranker' });
    await store.createIfNoneOpen(opened);
    const sent = vi.spyOn(redis, 'sendCommand');
    expect(await store.seenOpenIncidentFor('ranker')).toEqual(opened);
    const mine = await store.updateIncident({ ...opened, summary: 'edited here' });
    sent.mockClear();
    expect(await store.seenOpenIncidentFor('ranker')).toEqual(mine);
    expect(sent).not.toHaveBeenCalled();

    // Another replica's write goes unseen: a write from the out-of-date copy is refused; one from a read lands.
    const acked = (await peer.updateIncident(
      acknowledge(mine as Incident, 'U1', T0) as Incident,
    )) as Incident;
    const stale = (await store.seenOpenIncidentFor('ranker')) as Incident;
    expect(stale.version).toBe(mine?.version);
    expect(await store.updateIncident({ ...stale, summary: 'from the stale copy' })).toBeUndefined();
    const read = (await store.getIncident('INC-S1')) as Incident;
    expect(read).toEqual(acked);
    const written = await store.updateIncident({ ...read, summary: 'from a read' });
    expect(await store.seenOpenIncidentFor('ranker')).toEqual(written);

    // Closed on the peer: once this replica reads it closed, it has no copy and reads the pointer.
    await peer.updateIncident(dismiss(written as Incident));
    expect((await store.getIncident('INC-S1'))?.phase).toBe('dismissed');
    sent.mockClear();
    expect(await store.seenOpenIncidentFor('ranker')).toBeUndefined();
    expect(sent).toHaveBeenCalled();
    await deleteKeys(redis, prefix);
  });

  it('keeps the copies of the models it wrote last, at most MAX_COPIES, and reads the others', async () => {
    const prefix = testPrefix();
    const redis = connect();
    const store = open(redis, prefix);
    const models = Array.from({ length: MAX_COPIES + 1 }, (_, i) => `model-${i}`);
    for (const model of models) await store.createIfNoneOpen(makeIncident({ model }));
    // Written again, the first model is the latest: the second is the one dropped.
    const first = (await store.openIncidentFor('model-0')) as Incident;
    await store.updateIncident({ ...first, summary: 'written again' });
    const sent = vi.spyOn(redis, 'sendCommand');

    expect((await store.seenOpenIncidentFor('model-0'))?.summary).toBe('written again');
    expect((await store.seenOpenIncidentFor(`model-${MAX_COPIES}`))?.model).toBe(`model-${MAX_COPIES}`);
    expect(sent).not.toHaveBeenCalled();
    expect((await store.seenOpenIncidentFor('model-1'))?.model).toBe('model-1');
    expect(sent).toHaveBeenCalled();
    await deleteKeys(redis, prefix);
  });

  it('reads an incident stored before refs were kept apart, and splits it on its next write', async () => {
    const prefix = testPrefix();
    const redis = connect();
    const store = open(redis, prefix);
    const keys = storeKeys(prefix);
    const incident = makeIncident({ id: 'INC-OLD', model: 'ranker' });
    // As the previous release stored it: the whole incident in `json`, no `alerts` or `refs` field.
    await redis.hset(keys.incident(incident.id), 'version', '0', 'json', JSON.stringify(incident));
    await redis.zadd(keys.allIncidents, incident.openedAt, incident.id);
    await redis.zadd(keys.openIncidents, incident.openedAt, incident.id);
    await redis.zadd(keys.modelIncidents('ranker'), incident.openedAt, incident.id);
    await redis.set(keys.modelOpenIncident('ranker'), incident.id);

    expect(await store.getIncident(incident.id)).toEqual(incident);
    expect(await store.listIncidentHeads({ open: true })).toEqual([headOf(incident)]);
    const read = (await store.getIncident(incident.id)) as Incident;
    expect(await store.updateIncident(acknowledge(read, 'U1', T0) as Incident)).toBeDefined();
    const [json, alerts, refs] = await redis.hmget(keys.incident(incident.id), 'json', 'alerts', 'refs');
    expect(JSON.parse(json ?? '{}')).not.toHaveProperty('alerts');
    expect(JSON.parse(alerts ?? '[]')).toEqual(incident.alerts);
    expect(refs).toBe('1');
    expect((await store.getIncident(incident.id))?.alerts).toEqual(incident.alerts);
    await deleteKeys(redis, prefix);
  });

  it('answers no list of types for a timeline an older build began or wrote to, whose index misses entries', async () => {
    const prefix = testPrefix();
    const redis = connect();
    const store = open(redis, prefix);
    const keys = storeKeys(prefix);
    const entry = (incidentId: string, n: number, type: string) => ({
      at: T0 + n,
      incidentId,
      type,
      actor: 'rollbot',
      text: `entry ${n}`,
    });
    // As builds before 2026-12-04 appended: the entry on the list, and no index of types beside it.
    const appendAsBefore = (incidentId: string, n: number, type: string) =>
      redis.rpush(keys.timeline(incidentId), JSON.stringify({ seq: n, ...entry(incidentId, n, type) }));

    await appendAsBefore('INC-OLD', 1, 'stage.breached');
    expect(await store.listOfTypes('INC-OLD', ['stage.breached'])).toBeUndefined();
    // This build appending to it afterwards, alone or with a write, does not make the index whole: entry 1 is
    // still missing from it.
    await store.append(entry('INC-OLD', 2, 'stage.breached'));
    expect(await store.listOfTypes('INC-OLD', ['stage.breached'])).toBeUndefined();
    const incident = makeIncident({ id: 'INC-OLD', model: 'ranker' });
    await store.createIfNoneOpen(incident);
    const timeline = [entry('INC-OLD', 3, 'stage.breached')];
    expect(await store.updateIncident({ ...incident, summary: 'joined' }, { timeline })).toBeDefined();
    expect(await store.listOfTypes('INC-OLD', ['stage.breached'])).toBeUndefined();
    expect((await store.list('INC-OLD')).map((e) => e.seq)).toEqual([1, 2, 3]);

    // Begun by this build, then written to by an older replica during a rolling upgrade.
    await store.append(entry('INC-NEW', 1, 'stage.breached'));
    expect(await store.listOfTypes('INC-NEW', ['stage.breached'])).toHaveLength(1);
    await appendAsBefore('INC-NEW', 2, 'stage.breached');
    expect(await store.listOfTypes('INC-NEW', ['stage.breached'])).toBeUndefined();
    await deleteKeys(redis, prefix);
  });

  it('indexes no entry of a type written once per alert, and answers a check for one from the whole timeline', async () => {
    const prefix = testPrefix();
    const redis = connect();
    const store = open(redis, prefix);
    const keys = storeKeys(prefix);
    const incident = makeIncident({ model: 'ranker' });
    await store.createIfNoneOpen(incident);
    const entry = (n: number, type: string) => ({
      at: T0 + n,
      incidentId: incident.id,
      type,
      actor: 'rollbot',
      text: `${n}`,
    });
    const timeline = [entry(1, 'alert.attached'), entry(2, 'stage.breached'), entry(3, 'alert.attached')];
    expect(await store.updateIncident({ ...incident, summary: 'joined' }, { timeline })).toBeDefined();
    await store.append(entry(4, 'alert.resolved'));
    // A storm's thousands of alerts rewrite no index with each one joining: only the count moves.
    expect(await redis.hgetall(keys.timelineTypes(incident.id))).toEqual({
      count: '4',
      'type:stage.breached': '2',
    });
    expect((await store.listOfTypes(incident.id, ['stage.breached']))?.map((e) => e.seq)).toEqual([2]);
    expect(await store.listOfTypes(incident.id, ['alert.attached'])).toBeUndefined();
    expect(await store.listOfTypes(incident.id, ['stage.breached', 'alert.resolved'])).toBeUndefined();
    await deleteKeys(redis, prefix);
  });

  it('reloads its scripts after Redis forgets them (SCRIPT FLUSH, restart, failover)', async () => {
    const prefix = testPrefix();
    const redis = connect();
    const store = open(redis, prefix);
    await store.append({ at: 1, incidentId: 'INC-1', type: 'note', actor: 'U1', text: 'one' });
    await redis.script('FLUSH');
    const second = await store.append({ at: 2, incidentId: 'INC-1', type: 'note', actor: 'U1', text: 'two' });
    expect(second.seq).toBe(2);
    await deleteKeys(redis, prefix);
  });

  it('keeps no key per lock name for good: one fence counter serves every lock', async () => {
    const prefix = testPrefix();
    const redis = connect();
    const store = open(redis, prefix);
    // Send locks are per incident, stage and digest: a key per name kept for good would grow without end.
    const names = ['escalation:INC-1:triage', 'escalation:INC-2:triage', 'opening:INC-3', 'digest:C0A:1'];
    const fences: number[] = [];
    for (const name of [...names, names[0] as string]) {
      const lease = await store.acquire(name, 'rollbot', 60_000, 1);
      if (!lease) throw new Error(`expected to acquire ${name}`);
      fences.push(lease.fence);
      await store.release(lease);
    }
    const kept = [];
    for (const key of await redis.keys(`${prefix}*`)) if ((await redis.pttl(key)) < 0) kept.push(key);
    expect(kept).toEqual([storeKeys(prefix).lockFenceSeq]);
    for (let i = 1; i < fences.length; i += 1) expect(fences[i]).toBeGreaterThan(fences[i - 1] ?? Infinity);
    await deleteKeys(redis, prefix);
  });

  it('goes on from the fence an older build counted for a lock, and keeps its counter above every fence given', async () => {
    const prefix = testPrefix();
    const redis = connect();
    const store = open(redis, prefix);
    // Builds before 2026-12-04 counted fences per lock name; during a rolling upgrade both builds take the lock.
    const perName = `${prefix}lock-fence:rollback:ranker`;
    await redis.set(perName, '41');
    const lease = await store.acquire('rollback:ranker', 'U1', 60_000, 1);
    expect(lease?.fence).toBe(42);
    // An older replica's next fence (INCR of its counter) is still above every fence given for the lock.
    expect(await redis.incr(perName)).toBe(43);
    if (lease) await store.release(lease);
    await redis.set(perName, '43');
    expect((await store.acquire('rollback:ranker', 'U2', 60_000, 1))?.fence).toBe(44);
    // The counter an older build draws from is kept for a day past the last acquisition, not for good.
    expect(await redis.pttl(perName)).toBeGreaterThan(23 * 3_600_000);
    // Nor does a lock first taken by this build leave an older build counting from nothing.
    const first = await store.acquire('escalation:INC-1:triage', 'rollbot', 60_000, 1);
    expect(await redis.incr(`${prefix}lock-fence:escalation:INC-1:triage`)).toBe((first?.fence ?? NaN) + 1);
    await deleteKeys(redis, prefix);
  });

  it('leaves a connection it was given open on close', async () => {
    const redis = connect();
    await open(redis, testPrefix()).close();
    expect(await redis.ping()).toBe('PONG');
  });

  it('quits a connection it opened itself on close, and ping then rejects', async () => {
    const store = open(redisUrl, testPrefix());
    await store.ping();
    await store.close();
    await store.close();
    await expect(store.ping()).rejects.toThrow();
  });
});

describe('redis store connection', () => {
  /** A logger that keeps what it was told, as `level: message`. */
  function recordingLogger(): Logger & { lines: string[] } {
    const lines: string[] = [];
    const record = (level: string) => (_obj: object, msg?: string) => lines.push(`${level}: ${msg ?? ''}`);
    const logger = {
      lines,
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
      child: () => logger,
    };
    return logger;
  }

  it('warns once per outage, not once per reconnect, and says when Redis is back', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const logger = recordingLogger();
    let thirdReconnect: () => void = () => {};
    const reconnectedThrice = new Promise<void>((resolve) => (thirdReconnect = resolve));
    const retryStrategy = (times: number) => {
      if (times === 3) thirdReconnect();
      return 20;
    };
    const store = createRedisStore({
      redis: url,
      prefix: testPrefix(),
      logger,
      connection: { retryStrategy },
    });
    await reconnectedThrice;
    expect(logger.lines).toEqual([
      `warn: Redis at ${url} is unreachable (connect ECONNREFUSED 127.0.0.1:${port}): check that it is running`,
    ]);

    const redis = await startRedis({ port });
    try {
      await store.ping();
      expect(logger.lines.slice(1)).toEqual([`info: Redis at ${url} is back`]);
    } finally {
      await store.close();
      await redis.stop();
    }
  });

  it('with no retries, fails a command at once with the connection’s own error, and still closes', async () => {
    const port = await freePort();
    const store = createRedisStore({
      redis: `redis://127.0.0.1:${port}`,
      logger: recordingLogger(),
      connection: { retryStrategy: () => null, maxRetriesPerRequest: 0 },
    });
    await expect(store.ping()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await store.close();
  });

  it('warns when Redis may evict its keys under memory pressure, which would drop locks and run work twice', async () => {
    const server = await startRedis();
    const admin = new Redis(server.url);
    const logger = recordingLogger();
    try {
      // A managed Redis's usual setting: keys with a ttl (locks, once keys) go first when memory runs short.
      await admin.config('SET', 'maxmemory', '104857600');
      await admin.config('SET', 'maxmemory-policy', 'volatile-lru');
      const store = createRedisStore({ redis: server.url, prefix: testPrefix(), logger });
      await store.ping();
      await vi.waitFor(() =>
        expect(logger.lines).toEqual([
          `warn: Redis at ${server.url} evicts keys when it reaches maxmemory (maxmemory-policy volatile-lru): ` +
            'a lock or idempotency key it evicts lets a rollback, page or post run twice; set maxmemory-policy noeviction',
        ]),
      );
      await store.close();

      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      const quiet = recordingLogger();
      const safe = createRedisStore({ redis: server.url, prefix: testPrefix(), logger: quiet });
      await safe.ping();
      await safe.close();
      expect(quiet.lines).toEqual([]);
    } finally {
      await admin.quit();
      await server.stop();
    }
  });

  it('is not ready on a Redis that answers but takes no writes (a read-only replica after a failover)', async () => {
    const server = await startRedis();
    const admin = new Redis(server.url);
    const store = createRedisStore({ redis: server.url, prefix: testPrefix(), logger: recordingLogger() });
    try {
      await store.ping();
      // Its master is nowhere: what a client still connected to a failed-over primary talks to.
      await admin.replicaof('127.0.0.1', await freePort());
      await expect(store.ping()).rejects.toThrow(/READONLY/);
      await admin.replicaof('NO', 'ONE');
      await store.ping();
    } finally {
      await store.close();
      await admin.quit();
      await server.stop();
    }
  });

  it('reconnects when Redis refuses a write as a read-only replica, so that it finds the primary a failover made', async () => {
    const server = await startRedis();
    const admin = new Redis(server.url);
    const logger = recordingLogger();
    const store = createRedisStore({ redis: server.url, prefix: testPrefix(), logger });
    const connectionsReceived = async () =>
      Number(/^total_connections_received:(\d+)/m.exec(await admin.info('stats'))?.[1]);
    try {
      await store.ping();
      const before = await connectionsReceived();
      // A failover demoted the node this connection is on: behind the same address (DNS, a Service) the new
      // primary is reached only by connecting again.
      await admin.replicaof('127.0.0.1', await freePort());
      await expect(store.ping()).rejects.toThrow(/READONLY/);
      await vi.waitFor(async () => expect(await connectionsReceived()).toBeGreaterThan(before));
      expect(logger.lines).toContain(
        `warn: Redis at ${server.url} refused a write as a read-only replica (a failover?): connecting again to reach the primary`,
      );
      await admin.replicaof('NO', 'ONE');
      await store.ping();
    } finally {
      await store.close();
      await admin.quit();
      await server.stop();
    }
  });

  it('masks the password of a URL it reports', () => {
    expect(maskRedisUrl('redis://ops:s3cret@redis:6379/0')).toBe('redis://ops:***@redis:6379/0');
    expect(maskRedisUrl('rediss://:s3cret@redis.example.com')).toBe('rediss://:***@redis.example.com');
    expect(maskRedisUrl('redis://ops:p@ss@redis:6379')).toBe('redis://ops:***@redis:6379');
    expect(maskRedisUrl('redis://redis:6379')).toBe('redis://redis:6379');
  });
});
