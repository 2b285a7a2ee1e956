import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident.js';
import { scheduleStageTarget } from '../../src/engine/escalation.js';
import { mutateIncident } from '../../src/engine/mutate.js';
import { recoverInterruptedRollback } from '../../src/engine/recovery.js';
import { rollbackLockName } from '../../src/engine/rollback.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { dyingStore, type DeathFrom } from '../helpers/dying-store.js';
import { TestClock, type TestDeps } from '../helpers/engine.js';
import { executingRollback, makeIncident } from '../helpers/incidents.js';
import { confirmingReplicas, lapsed, pollFor, timelineTypes, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

/** INC-1, whose rollback from v42 to v41 was executing when its bot died; nobody holds its lock. */
async function interrupted(deps: TestDeps): Promise<void> {
  const incident = makeIncident({ id: 'INC-1', model: 'fraud-scorer', at: deps.clock.now() });
  await deps.store.createIfNoneOpen(incident);
  await mutateIncident(deps.store, 'INC-1', (current) => executingRollback(current, deps.clock.now()));
}

/** The write of a rollback attempt's success on an incident. */
const rollbackSucceeded: DeathFrom = (method, result) =>
  method === 'updateIncident' && (result as Incident | undefined)?.rollback?.status === 'succeeded';

describe('a replica that died right after it found an interrupted rollback had taken effect', () => {
  it('leaves what follows the success to another replica: its record, the ledger, and confirmation', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const dying = dyingStore(redisStore(prefix), 0, rollbackSucceeded);
    const { fake, first: recoverer, survivor } = confirmingReplicas(dying.store, redisStore(prefix), clock);
    // A short lease, so that the dead replica's rollback lock lapses within the test.
    recoverer.timing = { ...recoverer.timing, lockTtlMs: 500 };
    await interrupted(survivor);
    fake.current = 'v41'; // the dead bot's call had gone through

    void recoverInterruptedRollback(recoverer, 'INC-1');
    await dying.died;
    expect((await survivor.store.getIncident('INC-1'))?.rollback?.status).toBe('succeeded');
    await lapsed(survivor.store, rollbackLockName('fraud-scorer'));

    await pollFor(survivor, 10 * MINUTE);
    const types = await timelineTypes(survivor.store);
    const count = (type: string) => types.filter((seen) => seen === type).length;
    expect([count('rollback.succeeded'), count('confirm.started'), count('incident.resolved')]).toEqual([
      1, 1, 1,
    ]);
    expect(Object.keys(await survivor.store.rolledBack('fraud-scorer'))).toEqual(['v42']);
    expect(fake.calls).not.toContain('execute');
    expect(survivor.notifier.ofType('escalation')).toEqual([]);
  });
});

/** The write that settles an interrupted rollback as "outcome unknown", before the serving layer is re-read. */
const settledUnknown: DeathFrom = (method, result) =>
  method === 'updateIncident' && (result as Incident | undefined)?.rollback?.status === 'unknown';

// The memory store, so that each of the many runs below takes no real time.
describe('a replica that dies at any point of settling an interrupted rollback', () => {
  async function settling(dieAfter: number, landed = true) {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const dying = dyingStore(shared, dieAfter, settledUnknown);
    const { fake, first: recoverer, survivor } = confirmingReplicas(dying.store, shared, clock);
    await interrupted(survivor);
    // As the rollback left it: its target scheduled before it was stored executing.
    const incident = await shared.getIncident('INC-1');
    if (incident) await scheduleStageTarget(survivor, incident, 'rollback');
    if (landed) fake.current = 'v41'; // the dead bot's call had gone through
    await Promise.race([recoverInterruptedRollback(recoverer, 'INC-1'), dying.died]);
    return { dying, fake, shared, recoverer, survivor };
  }

  it('that had taken effect, leaves it to another replica: the success recorded once, confirmed, never executed', async () => {
    const calls = (await settling(Infinity)).dying.callsSince();
    expect(calls).toBeGreaterThan(3);

    for (let dieAfter = 0; dieAfter <= calls; dieAfter++) {
      const at = `dying after ${dieAfter} calls`;
      const { fake, shared, survivor } = await settling(dieAfter);
      await pollFor(survivor, 10 * MINUTE);
      expect((await shared.getIncident('INC-1'))?.rollback?.status, at).toBe('succeeded');
      const types = await timelineTypes(shared);
      const count = (type: string) => types.filter((seen) => seen === type).length;
      expect(
        [count('rollback.started'), count('rollback.succeeded'), count('incident.resolved')],
        at,
      ).toEqual([1, 1, 1]);
      // As after any success (rollback-success-crash.test.ts): a replica that died after scheduling the first
      // poll, before recording that confirmation started, leaves that entry out or in twice.
      expect(count('confirm.started'), at).toBeLessThanOrEqual(2);
      expect(Object.keys(await shared.rolledBack('fraud-scorer')), at).toEqual(['v42']);
      expect(fake.calls, at).not.toContain('execute');
    }
  });

  it('that had not, leaves it to another replica: a person is told the outcome is unknown, and it is never executed', async () => {
    const calls = (await settling(Infinity, false)).dying.callsSince();
    expect(calls).toBeGreaterThan(3);

    for (let dieAfter = 0; dieAfter <= calls; dieAfter++) {
      const at = `dying after ${dieAfter} calls`;
      const { fake, shared, recoverer, survivor } = await settling(dieAfter, false);
      // The layer is read again until the attempt's bound, its 15m rollback target, and escalated then.
      await pollFor(survivor, 20 * MINUTE);
      expect((await shared.getIncident('INC-1'))?.rollback?.status, at).toBe('unknown');
      const told = [recoverer, survivor]
        .flatMap((deps) => deps.notifier.ofType('escalation'))
        .filter((event) => event.text.includes('outcome unknown after a restart'));
      // Once, or twice when the settler died between sending it and recording it: never silence.
      expect(told.length, at).toBeGreaterThanOrEqual(1);
      expect(told.length, at).toBeLessThanOrEqual(2);
      const entries = (await shared.list('INC-1')).filter((entry) => entry.type === 'rollback.unknown');
      expect(
        entries.map((entry) => entry.text.startsWith('outcome unknown: rollbot stopped')),
        at,
      ).toEqual([true, false]);
      expect(fake.calls, at).not.toContain('execute');
    }
  });
});
