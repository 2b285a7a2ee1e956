import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident.js';
import { mutateIncident } from '../../src/engine/mutate.js';
import { recoverInterruptedRollback } from '../../src/engine/recovery.js';
import { rollbackLockName } from '../../src/engine/rollback.js';
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
