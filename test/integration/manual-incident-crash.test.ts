import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pollDeadlines } from '../../src/engine/poller.js';
import { rollback, type RollbackRequest } from '../../src/engine/rollback.js';
import type { Store } from '../../src/engine/ports.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { dyingStore } from '../helpers/dying-store.js';
import { makeDeps, metricValue, TestClock, type TestDeps } from '../helpers/engine.js';
import { pollFor, timelineTypes, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

/** A rollback asked for while fraud-scorer has no incident open: it opens a manual incident. */
const request: RollbackRequest = {
  model: 'fraud-scorer',
  reason: 'p99 doubled after v42',
  by: 'cli:ana',
  trigger: 'cli',
};

/** How often the incident was announced: to the people (across the replicas given), on its timeline. */
async function announced(store: Store, ...replicas: TestDeps[]) {
  const types = await timelineTypes(store);
  return {
    told: replicas.flatMap((deps) => deps.notifier.ofType('incident.opened')).length,
    recorded: types.filter((type) => type === 'incident.opened').length,
  };
}

describe('a manual incident whose replica died as it opened it', () => {
  it('is announced once by another replica, and its rollback keeps its clock', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const dying = dyingStore(redisStore(prefix), 0);
    const opener = makeDeps({ store: dying.store, clock });
    const survivor = makeDeps({ store: redisStore(prefix), clock });

    // The opener dies (SIGKILL) the moment its incident is stored, its rollback executing.
    void rollback(opener, request);
    await dying.died;
    expect(await survivor.store.getIncident('INC-1')).toMatchObject({
      phase: 'rollback',
      rollback: { status: 'executing' },
    });

    // Short of the 5-minute rollback target, at which recovery settles the rollback the opener left.
    await pollFor(survivor, 4 * MINUTE);
    expect(await announced(survivor.store, opener, survivor)).toEqual({ told: 1, recorded: 1 });
    const [entry] = await survivor.store.list('INC-1');
    expect(entry).toMatchObject({
      type: 'incident.opened',
      actor: 'cli:ana',
      text: 'manual incident opened for fraud-scorer by cli:ana via cli: p99 doubled after v42',
    });
    expect(await metricValue(survivor.metrics, 'rollbot_incidents_total', { drill: 'false' })).toBe(1);
    expect((await survivor.store.pending()).map((deadline) => deadline.id)).toEqual([
      'INC-1:rollback',
      'INC-1:confirm',
    ]);
  });
});

describe('a manual incident opened without a crash', () => {
  it('is announced once, however many replicas poll afterwards', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const replicas = [
      makeDeps({ store: redisStore(prefix), clock }),
      makeDeps({ store: redisStore(prefix), clock }),
    ];
    expect(await rollback(replicas[0]!, request)).toMatchObject({
      outcome: 'succeeded',
      incidentId: 'INC-1',
    });

    for (let step = 0; step < 30; step++) {
      clock.advance(10_000);
      await Promise.all(replicas.map((deps) => pollDeadlines(deps)));
    }
    expect(await announced(replicas[0]!.store, ...replicas)).toEqual({ told: 1, recorded: 1 });
    expect((await timelineTypes(replicas[0]!.store)).slice(0, 2)).toEqual([
      'incident.opened',
      'rollback.started',
    ]);
    expect((await replicas[0]!.store.pending()).map((deadline) => deadline.id)).not.toContain(
      'INC-1:opening',
    );
  });
});

// The memory store expires locks by the test clock, so a replica that dies holding one (the opening's, the
// rollback's) is outlived in test time; Redis would make the test wait out the lock in real time.
describe('a replica that dies at any point of opening a manual incident', () => {
  async function opening(dieAfter: number) {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const dying = dyingStore(shared, dieAfter);
    const opener = makeDeps({ store: dying.store, clock });
    const survivor = makeDeps({ store: shared, clock });
    await Promise.race([rollback(opener, request), dying.died]);
    return { dying, shared, opener, survivor };
  }

  it('leaves another replica to announce it: on the timeline once, and its rollback settled', async () => {
    const calls = (await opening(Infinity)).dying.callsSince();
    expect(calls).toBeGreaterThan(3);

    for (let dieAfter = 0; dieAfter <= calls; dieAfter++) {
      const at = `dying after ${dieAfter} calls`;
      const { shared, opener, survivor } = await opening(dieAfter);
      await pollFor(survivor, 8 * MINUTE);
      expect(await shared.listIncidents({}), at).toHaveLength(1);
      const { recorded } = await announced(shared);
      expect(recorded, at).toBe(1);
      // What the dead replica handed its notifier may have gone out or died with it: the survivor announces
      // at most once, and one of them did.
      expect((await announced(shared, survivor)).told, at).toBeLessThanOrEqual(1);
      expect((await announced(shared, opener, survivor)).told, at).toBeGreaterThanOrEqual(1);
      expect((await shared.getIncident('INC-1'))?.rollback?.status, at).not.toBe('executing');
    }
  });
});
