/**
 * The one contract every Store implementation passes (DESIGN §2): store/memory in unit tests, store/redis
 * against a real redis-server. A behaviour the engine relies on belongs here, not in one backend's tests.
 */
import { afterEach, beforeEach, describe } from 'vitest';
import type { GetHarness, Harness } from './store/harness.js';
import { deadlinesContract } from './store/deadlines.js';
import { incidentListContract } from './store/incident-list.js';
import { incidentsContract } from './store/incidents.js';
import { ledgerContract } from './store/ledger.js';
import { lockContract } from './store/lock.js';
import { onceAndLifecycleContract } from './store/once.js';
import { timelineContract } from './store/timeline.js';

export type { GetHarness, Harness } from './store/harness.js';

/** Registers the store contract for one implementation; `makeHarness` is called once per test. */
export function describeStoreContract(name: string, makeHarness: () => Promise<Harness>): void {
  describe(`${name} store contract`, () => {
    let harness: Harness | undefined;
    beforeEach(async () => {
      harness = await makeHarness();
    });
    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });
    const get: GetHarness = () => {
      if (!harness) throw new Error('no harness: used outside a test');
      return harness;
    };

    incidentsContract(get);
    incidentListContract(get);
    timelineContract(get);
    lockContract(get);
    deadlinesContract(get);
    ledgerContract(get);
    onceAndLifecycleContract(get);
  });
}
