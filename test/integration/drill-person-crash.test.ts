import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dismiss } from '../../src/engine/decisions.js';
import { DRILL_SCORE, drillHistory } from '../../src/engine/drill.js';
import { startDrill } from '../../src/engine/drill-start.js';
import type { Store } from '../../src/engine/ports.js';
import { resolve } from '../../src/engine/resolve.js';
import { getRetrospective } from '../../src/engine/retro-store.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { DRY, scorecardEntries, scorecards } from '../helpers/drill-deps.js';
import { dyingStore, firstCall, incidentBecame } from '../helpers/dying-store.js';
import { makeDeps, makeRunbook, TestClock, type TestDeps } from '../helpers/engine.js';
import { pollFor, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

/** The two ways a person ends a drill, on the replica given, and what its scorecard says went wrong. */
const ways = {
  dismissed: {
    end: (deps: TestDeps) =>
      dismiss(deps, 'INC-1', {
        actor: { id: 'U0ANA', groups: [] },
        reason: 'upstream outage',
        trigger: 'slack',
      }),
    problem: 'dismissed as not a rollback by U0ANA: upstream outage',
  },
  resolved: {
    end: (deps: TestDeps) => resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'seen enough' }),
    problem: 'resolved by U0ANA before its rollback was done: seen enough',
  },
} as const;

/** Two replicas of a bot whose one runbook drills by planning only: the person's, and the survivor. */
function replicas(personStore: Store, survivorStore: Store, clock: TestClock) {
  const runbooks = [makeRunbook('fraud-scorer', DRY)];
  return {
    person: makeDeps({ store: personStore, clock, runbooks }),
    survivor: makeDeps({ store: survivorStore, clock, runbooks }),
  };
}

describe.each(['dismissed', 'resolved'] as const)(
  'a replica that dies right after a person %s a drill, before scoring it',
  (way) => {
    it('leaves the scoring to another replica, which scores it failed, once', async () => {
      const prefix = `test:${randomUUID()}:`;
      const clock = new TestClock();
      const dying = dyingStore(redisStore(prefix), 0, incidentBecame(way));
      const { person, survivor } = replicas(dying.store, redisStore(prefix), clock);
      await startDrill(survivor, 'fraud-scorer', { by: 'cli:ana', auto: false });
      clock.advance(MINUTE);

      void ways[way].end(person);
      await dying.died;
      expect(await survivor.store.getIncident('INC-1')).toMatchObject({ phase: way });
      expect(await drillHistory(survivor, 'fraud-scorer')).toEqual([]);

      await pollFor(survivor, 3 * MINUTE);
      expect(await drillHistory(survivor, 'fraud-scorer')).toMatchObject([
        { incidentId: 'INC-1', outcome: 'failed', problems: [ways[way].problem] },
      ]);
      expect(await getRetrospective(survivor, 'INC-1')).toBeDefined();
      expect(scorecards(person, survivor)).toHaveLength(1);
      expect(await scorecardEntries(survivor.store)).toBe(1);
    });
  },
);

// The memory store expires locks by the test clock, so a replica that dies holding one (the scoring's) is
// outlived in test time; Redis would make the test wait out the lock in real time.
describe('a replica that dies at any point of a person ending a drill', () => {
  async function ending(way: keyof typeof ways, dieAfter: number) {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const { person, survivor } = replicas(shared, shared, clock);
    await startDrill(survivor, 'fraud-scorer', { by: 'cli:ana', auto: false });
    clock.advance(MINUTE);
    const dying = dyingStore(shared, dieAfter, firstCall);
    person.store = dying.store;
    await Promise.race([ways[way].end(person), dying.died]);
    return { dying, shared, person, survivor };
  }

  for (const way of ['dismissed', 'resolved'] as const) {
    it(`never leaves the drill ${way} but unscored, and scores it once`, async () => {
      const calls = (await ending(way, Infinity)).dying.callsSince();
      expect(calls).toBeGreaterThan(10);

      for (let dieAfter = 0; dieAfter <= calls; dieAfter++) {
        const at = `dying after ${dieAfter} calls`;
        const { shared, person, survivor } = await ending(way, dieAfter);
        await pollFor(survivor, 3 * MINUTE);
        const drill = await shared.getIncident('INC-1');
        const history = await drillHistory(survivor, 'fraud-scorer');
        // Died before the drill's ending was written: the drill still waits for a person to decide it.
        if (drill?.phase === 'triage') expect(history, at).toEqual([]);
        else {
          expect(drill?.phase, at).toBe(way);
          expect(history, at).toMatchObject([{ outcome: 'failed', problems: [ways[way].problem] }]);
          expect(await getRetrospective(survivor, 'INC-1'), at).toBeDefined();
        }
        expect(await scorecardEntries(shared), at).toBe(history.length);
        expect(scorecards(survivor).length, at).toBeLessThanOrEqual(1);
        expect(scorecards(person, survivor).length, at).toBeGreaterThanOrEqual(history.length);
        const standIns = (await shared.pending()).filter((deadline) => deadline.kind === DRILL_SCORE);
        expect(standIns, at).toEqual([]);
      }
    });
  }
});
