import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident.js';
import { pollDeadlines } from '../../src/engine/poller.js';
import type { Store } from '../../src/engine/ports.js';
import { rollback, rollbackLockName, type RollbackRequest } from '../../src/engine/rollback.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { dyingStore, type DeathFrom } from '../helpers/dying-store.js';
import { TestClock, type TestDeps } from '../helpers/engine.js';
import { confirmingReplicas, lapsed, pollFor, timelineTypes, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

/** The on-call rolls fraud-scorer back from the CLI: no incident is open, so a manual one is. */
const request: RollbackRequest = {
  model: 'fraud-scorer',
  reason: 'p99 doubled after v42',
  by: 'cli:ana',
  trigger: 'cli',
};

/** The write of a rollback attempt's success on an incident. */
const rollbackSucceeded: DeathFrom = (method, result) =>
  method === 'updateIncident' && (result as Incident | undefined)?.rollback?.status === 'succeeded';

/** How often each entry that follows a rollback's success is on the timeline. */
async function followUp(store: Store) {
  const types = await timelineTypes(store);
  const count = (type: string) => types.filter((seen) => seen === type).length;
  return {
    succeeded: count('rollback.succeeded'),
    confirmStarted: count('confirm.started'),
    resolved: count('incident.resolved'),
  };
}

/** The "rolled back to" notices the replicas given sent. */
function rolledBackNotices(...replicas: TestDeps[]): string[] {
  return replicas.flatMap((deps) =>
    deps.notifier.events.flatMap((event) =>
      event.type === 'incident.updated' && event.text.startsWith('rolled back to') ? [event.text] : [],
    ),
  );
}

describe('a replica that died right after it recorded that its rollback succeeded', () => {
  it('leaves what follows the success to another replica: its record, the ledger, and confirmation', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const dying = dyingStore(redisStore(prefix), 0, rollbackSucceeded);
    const { first: roller, survivor } = confirmingReplicas(dying.store, redisStore(prefix), clock);
    // A short lease, so that the dead replica's rollback lock lapses within the test.
    roller.timing = { ...roller.timing, lockTtlMs: 500 };

    void rollback(roller, request);
    await dying.died;
    expect(await survivor.store.getIncident('INC-1')).toMatchObject({
      phase: 'confirm',
      rollback: { status: 'succeeded' },
    });
    await lapsed(survivor.store, rollbackLockName('fraud-scorer'));

    await pollFor(survivor, 10 * MINUTE);
    expect(await followUp(survivor.store)).toEqual({ succeeded: 1, confirmStarted: 1, resolved: 1 });
    expect(await survivor.store.getIncident('INC-1')).toMatchObject({
      phase: 'resolved',
      confirmation: { verdict: 'PASS' },
    });
    expect(Object.keys(await survivor.store.rolledBack('fraud-scorer'))).toEqual(['v42']);
    expect(rolledBackNotices(roller, survivor)).toHaveLength(1);
    expect(survivor.notifier.ofType('escalation')).toEqual([]);
  });
});

describe('a rollback that succeeds without a crash', () => {
  it('is followed once by its record, the ledger mark and confirmation, however many replicas poll', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const {
      fake,
      first: roller,
      survivor,
    } = confirmingReplicas(redisStore(prefix), redisStore(prefix), clock);
    expect(await rollback(roller, request)).toMatchObject({ outcome: 'succeeded', incidentId: 'INC-1' });

    for (let step = 0; step < 60; step++) {
      clock.advance(10_000);
      await Promise.all([roller, survivor].map((deps) => pollDeadlines(deps)));
    }
    expect(fake.mutations).toBe(1);
    expect(await followUp(roller.store)).toEqual({ succeeded: 1, confirmStarted: 1, resolved: 1 });
    expect(Object.keys(await roller.store.rolledBack('fraud-scorer'))).toEqual(['v42']);
    expect(rolledBackNotices(roller, survivor)).toHaveLength(1);
    expect((await roller.store.pending()).map((deadline) => deadline.kind)).not.toContain('rollback-success');
  });
});

// The memory store expires locks by the test clock, so a replica that dies holding one is outlived in test time.
describe('a replica that dies at any point after its rollback got there', () => {
  async function succeeding(dieAfter: number) {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const dying = dyingStore(shared, dieAfter, rollbackSucceeded);
    const { first: roller, survivor } = confirmingReplicas(dying.store, shared, clock);
    await Promise.race([rollback(roller, request), dying.died]);
    return { dying, shared, roller, survivor };
  }

  it('never leaves the incident without its record, its ledger mark or its confirmation', async () => {
    const calls = (await succeeding(Infinity)).dying.callsSince();
    expect(calls).toBeGreaterThan(5);

    for (let dieAfter = 0; dieAfter <= calls; dieAfter++) {
      const at = `dying after ${dieAfter} calls`;
      const { shared, roller, survivor } = await succeeding(dieAfter);
      await pollFor(survivor, 10 * MINUTE);
      const entries = await followUp(shared);
      expect(entries.succeeded, at).toBe(1);
      // Confirmed, once: a replica that died after scheduling the first poll, before recording that confirmation
      // started, leaves that entry out (the poll confirms before the stand-in comes) or in twice (it comes first).
      expect(entries.resolved, at).toBe(1);
      expect(entries.confirmStarted, at).toBeLessThanOrEqual(2);
      expect(Object.keys(await shared.rolledBack('fraud-scorer')), at).toEqual(['v42']);
      expect(rolledBackNotices(roller, survivor).length, at).toBeGreaterThanOrEqual(1);
      expect(survivor.notifier.ofType('escalation'), at).toEqual([]);
    }
  });
});
