/**
 * A Vertex redeploy whose bot died while the deployModel operation ran: the replica that settles the rollback,
 * with a fresh adapter and the plan as stored, asks the operation and records the rollback FAILED at once, with
 * Vertex's error, escalated as a failure: not "outcome unknown", nor "not landed" at the rollback's deadline. Through rollback() and the restart
 * recovery with the real adapter against the API (nock, exact requests).
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../../src/engine/ports.js';
import { recoverInterruptedRollbacks } from '../../../src/engine/recovery.js';
import { rollback, rollbackLockName } from '../../../src/engine/rollback.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { dyingStore } from '../../helpers/dying-store.js';
import { makeDeps, TestClock } from '../../helpers/engine.js';
import { failOnUnexpectedRequests } from '../../helpers/serving-calls.js';
import { adapter, ENDPOINT, MODEL, PATH, vertex } from '../../helpers/vertex.js';

const OPERATION = `${ENDPOINT}/operations/9876543210`;
/** The deployed model ID rollbot gives version 1 of MODEL (vertex-redeploy.test.ts pins it). */
const OURS = '1938817919';
const DEDICATED = { machineSpec: { machineType: 'n1-standard-4' }, minReplicaCount: 2 };
/** Version 3 serves; version 1, the known-good, is no longer deployed: a rollback to it deploys it again. */
const ENDPOINT_ON_V3 = {
  deployedModels: [{ id: '111', model: MODEL, modelVersionId: '3', dedicatedResources: DEDICATED }],
  trafficSplit: { '111': 100 },
  etag: 'etag-1',
};

failOnUnexpectedRequests();

describe('a Vertex redeploy interrupted while its operation ran', () => {
  it("is failed and escalated at once after a restart with Vertex's error, read with the plan as stored", async () => {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    // Each replica's adapter (whatever the runbook says) is made afresh, as after a restart: nothing is carried in
    // memory between them.
    const replica = (store: Store = shared) => ({
      ...makeDeps({ store, clock }),
      serving: () => adapter(),
    });
    // Read for the state, the plan, and by execute before it deploys.
    vertex().get(PATH).times(3).reply(200, ENDPOINT_ON_V3);
    vertex().get(`/v1/${MODEL}@1`).reply(200, { name: MODEL, versionId: '1' });
    vertex()
      .post(
        `${PATH}:deployModel`,
        (body: { deployedModel?: { id?: string } }) => body.deployedModel?.id === OURS,
      )
      .reply(200, { name: OPERATION });
    vertex().get(`/v1/${OPERATION}`).reply(200, { name: OPERATION, done: false });

    // The first replica starts the deployment, sees it running, and dies in its wait for it (its next store call,
    // its lease's upkeep, never answers).
    let waiting = false;
    const dying = dyingStore(shared, 0, () => waiting);
    const first = replica(dying.store);
    first.timing = { ...first.timing, lockTtlMs: 500 };
    first.sleep = () => {
      waiting = true;
      return new Promise<void>(() => undefined);
    };
    void rollback(first, {
      model: 'fraud-scorer',
      to: '1',
      reason: 'errors',
      by: 'U0ONCALL',
      trigger: 'slack',
    });
    await dying.died;
    clock.advance(1_000);
    expect(await shared.holder(rollbackLockName('fraud-scorer'))).toBeUndefined();

    // Meanwhile the operation failed. The restarted bot settles the rollback with what the store holds.
    vertex()
      .get(`/v1/${OPERATION}`)
      .reply(200, {
        name: OPERATION,
        done: true,
        error: {
          code: 8,
          message: 'Machine type temporarily unavailable in us-central1-b',
          status: 'RESOURCE_EXHAUSTED',
        },
      });
    const restarted = replica();
    expect(await recoverInterruptedRollbacks(restarted)).toBe(1);

    // The rollback failed, and is said so as if this process had seen it: not "outcome unknown".
    const failure =
      `Vertex could not deploy version 1 on vertex ${ENDPOINT}: operation ${OPERATION} failed: ` +
      'Machine type temporarily unavailable in us-central1-b (RESOURCE_EXHAUSTED, code 8)';
    const [escalation, ...more] = restarted.notifier.ofType('escalation');
    expect(more).toEqual([]);
    expect(escalation).toMatchObject({
      about: 'rollback-failed',
      text: `rollback of fraud-scorer to 1 FAILED: ${failure}. Traffic may still be on 3; decide now.`,
    });
    expect((await shared.getIncident('INC-1'))?.rollback).toMatchObject({
      status: 'failed',
      error: failure,
      plan: { to: '1', regime: 'redeploy', data: { operation: OPERATION } },
    });
    const [failed] = (await shared.list('INC-1')).filter((entry) => entry.type === 'rollback.failed');
    expect(failed?.text).toContain(
      `rollback failed: ${failure} (traffic stays where it was; check the operation`,
    );
  });
});
