/**
 * What a serving adapter's execute asks to keep with the plan (ExecuteResult.planData: a Vertex deployModel's
 * operation) is stored with the rollback attempt, in the write that records the change: every later onTarget —
 * this process's polls, and after a SIGKILL another replica's settlement and its stand-in's looks — is given the
 * plan with it. A rollback whose execute keeps nothing writes no more than before. On both stores alike.
 */
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../src/engine/intake.js';
import type { Store } from '../../src/engine/ports.js';
import { recoverInterruptedRollbacks } from '../../src/engine/recovery.js';
import { rollback } from '../../src/engine/rollback.js';
import { firing } from '../helpers/alerts.js';
import { makeDeps, TestClock, ONCALL_ROLLBACK } from '../helpers/engine.js';
import { FakeServing } from '../helpers/fake-serving.js';
import { pollFor, replicaBackends, rollbackDiesLanding, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

const request = ONCALL_ROLLBACK;

/** What the fake layer's execute keeps with the plan, as Vertex keeps its deployModel operation. */
const KEPT = { operation: 'projects/ml-prod/locations/us-central1/operations/42' };

/** `store`, with each call's method name pushed onto `log` (the fake layer's calls, to see them in order). */
function logged(store: Store, log: string[]): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        log.push(String(name));
        return (value as (...args: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** The store calls a rollback made between its execute and its first look at the layer (lease upkeep aside). */
function writesAfterExecute(calls: readonly string[]): string[] {
  const executed = calls.indexOf('execute');
  return calls.slice(executed + 1, calls.indexOf('onTarget', executed)).filter((call) => call !== 'extend');
}

describe.each(replicaBackends(redisStore))(
  'data an execute keeps with the plan, on %s',
  (_name, storesOn) => {
    it("is in the plan each of this process's polls is given, in the stored attempt and in the outcome", async () => {
      const clock = new TestClock();
      const fake = new FakeServing();
      fake.planData = KEPT;
      fake.slowPolls = 2;
      const deps = makeDeps({ store: storesOn(clock)(), clock, fake });
      await ingestAlerts(deps, [firing('fraud-scorer', clock.now())]);
      clock.advance(MINUTE);

      const outcome = await rollback(deps, request);

      expect(outcome).toMatchObject({ outcome: 'succeeded', plan: { to: 'v41', data: KEPT } });
      expect(fake.targetPlans.map((plan) => plan.data)).toEqual([KEPT, KEPT, KEPT]);
      expect((await deps.store.getIncident('INC-1'))?.rollback).toMatchObject({
        status: 'succeeded',
        plan: { to: 'v41', data: KEPT },
      });
    });

    it('is stored in the one write that records the change; without any, that write is the timeline entry alone', async () => {
      for (const kept of [KEPT, undefined]) {
        const clock = new TestClock();
        const fake = new FakeServing();
        fake.planData = kept;
        const deps = makeDeps({ store: logged(storesOn(clock)(), fake.calls), clock, fake });
        await ingestAlerts(deps, [firing('fraud-scorer', clock.now())]);
        clock.advance(MINUTE);

        expect(await rollback(deps, request)).toMatchObject({ outcome: 'succeeded' });

        expect(writesAfterExecute(fake.calls), `kept ${JSON.stringify(kept)}`).toEqual(
          kept ? ['updateIncident'] : ['append'],
        );
        const executed = (await deps.store.list('INC-1')).filter(
          (entry) => entry.type === 'rollback.executed',
        );
        expect(executed).toMatchObject([{ text: 'change made', data: { output: 'flipped to v41' } }]);
      }
    });

    it("is in the plan another replica's settlement, and its stand-in's looks, give onTarget after a SIGKILL", async () => {
      const clock = new TestClock();
      const storeOf = storesOn(clock);
      // One serving layer: a redeploy, whose change takes minutes to land, so the settlement looks again.
      const fake = new FakeServing();
      fake.regime = 'redeploy';
      fake.planData = KEPT;
      const survivor = makeDeps({ store: storeOf(), clock, fake });
      await ingestAlerts(survivor, [firing('fraud-scorer', clock.now())]);
      clock.advance(MINUTE);

      // The opener stalls in its first wait for the change to land and dies there, its lease's upkeep cut short:
      // everything it wrote until then, the write that records the change included, stays written.
      await rollbackDiesLanding({
        store: storeOf(),
        survivor: survivor.store,
        clock,
        fake,
        request,
        downFor: 1_000,
      });
      expect(fake.mutations).toBe(1);
      fake.targetPlans.length = 0;

      // The survivor restarts: it settles the rollback by reading the layer, which does not show the change yet…
      fake.stuck = true;
      expect(await recoverInterruptedRollbacks(survivor)).toBe(1);
      // …so the settlement's stand-in reads it again, every 15 s, until it lands.
      await pollFor(survivor, MINUTE);
      fake.stuck = false;
      await pollFor(survivor, 20_000);

      expect(await survivor.store.getIncident('INC-1')).toMatchObject({ rollback: { status: 'succeeded' } });
      expect(fake.targetPlans.length).toBeGreaterThanOrEqual(3);
      for (const plan of fake.targetPlans) expect(plan).toMatchObject({ to: 'v41', data: KEPT });
      expect(fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
    });
  },
);
