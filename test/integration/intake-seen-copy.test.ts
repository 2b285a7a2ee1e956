import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import type { NormalizedAlert } from '../../src/alerts/types.js';
import { acknowledge, type Incident } from '../../src/core/incident.js';
import { MAX_ALERT_REFS } from '../../src/core/incident-alerts.js';
import type { Store } from '../../src/engine/ports.js';
import { startDrill } from '../../src/engine/drill-start.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { firing, recordedFingerprints } from '../helpers/alerts.js';
import { makeDeps, makeRunbook, TestClock, type TestDeps } from '../helpers/engine.js';
import { dismiss } from '../helpers/incidents.js';
import { useRedisStores } from '../helpers/replicas.js';

/**
 * Intake joins an alert to the open incident as this replica last read or wrote it (seenOpenIncidentFor), in one
 * round trip: what another replica changed since is found by the write's compare-and-set, never overwritten.
 */
const redisStore = useRedisStores();
const connections: Redis[] = [];
afterEach(async () => {
  await Promise.all(connections.splice(0).map((redis) => redis.quit()));
});

/** `count` distinct firing alerts of fraud-scorer, numbered from `from`. */
function alerts(clock: TestClock, from: number, count: number): NormalizedAlert[] {
  return Array.from({ length: count }, (_, i) =>
    firing('fraud-scorer', clock.now(), { fingerprint: `fp-${from + i}`, name: `Alert${from + i}` }),
  );
}

/** Two replicas on one Redis prefix; the first's store on a connection the test watches. */
function replicas() {
  const prefix = `test:${randomUUID()}:`;
  const clock = new TestClock();
  const connection = new Redis(inject('redisUrl'));
  connections.push(connection);
  const watched: Store = createRedisStore({ redis: connection, prefix });
  const runbooks = [makeRunbook('fraud-scorer', 'drill: { dryRun: true }')];
  const here = makeDeps({ clock, runbooks, store: watched });
  const peer = makeDeps({ clock, runbooks, store: redisStore(prefix) });
  return { here, peer, connection, close: () => watched.close() };
}

async function stored(deps: TestDeps, id: string): Promise<Incident> {
  const incident = await deps.store.getIncident(id);
  if (!incident) throw new Error(`no ${id}`);
  return incident;
}

describe('an alert joining the open incident this replica last wrote', () => {
  it('costs one Redis command, with its incident’s refs kept or full', async () => {
    const { here, connection, close } = replicas();
    // The first attach also loads the script into Redis (EVALSHA, then EVAL): not counted.
    await ingestAlerts(here, alerts(here.clock, 0, 2));
    const sent = vi.spyOn(connection, 'sendCommand');

    expect((await ingestAlerts(here, alerts(here.clock, 2, 1)))[0]?.outcome).toBe('attached');
    expect(sent).toHaveBeenCalledTimes(1);

    await ingestAlerts(here, alerts(here.clock, 3, MAX_ALERT_REFS));
    sent.mockClear();
    expect((await ingestAlerts(here, alerts(here.clock, 500, 1)))[0]?.outcome).toBe('attached');
    expect(sent).toHaveBeenCalledTimes(1);
    expect(recordedFingerprints(await here.store.list('INC-1'))).toHaveLength(MAX_ALERT_REFS + 4);
    await close();
  });
});

describe('an alert joining an incident another replica changed since this one saw it', () => {
  it('keeps the other replica’s change and records the alert once', async () => {
    const { here, peer, close } = replicas();
    await ingestAlerts(here, alerts(here.clock, 0, 1));
    const acked = acknowledge(await stored(peer, 'INC-1'), 'U1', peer.clock.now()) as Incident;
    expect(await peer.store.updateIncident(acked)).toBeDefined();
    await ingestAlerts(peer, alerts(peer.clock, 1, 1));

    const results = await ingestAlerts(here, alerts(here.clock, 1, 2));

    expect(results.map((result) => result.outcome)).toEqual(['duplicate', 'attached']);
    const incident = await stored(here, 'INC-1');
    expect(incident.acknowledged?.by).toBe('U1');
    expect(recordedFingerprints(await here.store.list('INC-1'))).toEqual(['fp-0', 'fp-1', 'fp-2']);
    await close();
  });

  it('knows an alert the other replica recorded past the kept refs as a duplicate', async () => {
    const { here, peer, close } = replicas();
    await ingestAlerts(here, alerts(here.clock, 0, MAX_ALERT_REFS));
    const beyond = alerts(peer.clock, MAX_ALERT_REFS, 1);
    expect((await ingestAlerts(peer, beyond))[0]?.outcome).toBe('attached');

    expect((await ingestAlerts(here, beyond))[0]?.outcome).toBe('duplicate');
    // And one this replica itself recorded there, re-sent.
    const own = alerts(here.clock, MAX_ALERT_REFS + 1, 1);
    expect((await ingestAlerts(here, own))[0]?.outcome).toBe('attached');
    expect((await ingestAlerts(here, own))[0]?.outcome).toBe('duplicate');

    expect(recordedFingerprints(await here.store.list('INC-1'))).toHaveLength(MAX_ALERT_REFS + 2);
    expect((await stored(here, 'INC-1')).droppedAlerts).toBe(2);
    await close();
  });

  it('opens a new incident when the other replica closed the one it saw open', async () => {
    const { here, peer, close } = replicas();
    await ingestAlerts(here, alerts(here.clock, 0, 1));
    expect(await peer.store.updateIncident(dismiss(await stored(peer, 'INC-1')))).toBeDefined();

    const [result] = await ingestAlerts(here, alerts(here.clock, 1, 1));

    expect(result).toMatchObject({ outcome: 'opened', incidentId: 'INC-2' });
    expect(recordedFingerprints(await here.store.list('INC-1'))).toEqual(['fp-0']);
    expect((await peer.store.openIncidentFor('fraud-scorer'))?.id).toBe('INC-2');
    await close();
  });

  it('leaves a drill the other replica dismissed as it was: only a read decides to end a drill', async () => {
    const { here, peer, close } = replicas();
    const drill = await startDrill(here, 'fraud-scorer', { by: 'U1', auto: false });
    // Dismissed as a build before dismissals ended drills left it: no ending recorded.
    const dismissed = { ...(await stored(peer, drill.id)), phase: 'dismissed' as const };
    expect(await peer.store.updateIncident(dismissed)).toBeDefined();

    const [result] = await ingestAlerts(here, alerts(here.clock, 1, 1));

    expect(result).toMatchObject({ outcome: 'opened', incidentId: 'INC-2' });
    expect((await stored(here, drill.id)).drillEnding).toBeUndefined();
    await close();
  });
});
