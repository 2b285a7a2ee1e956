import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../../src/core/ledger.js';
import type { ExecuteContext } from '../../../src/engine/serving-port.js';
import { createKserveAdapter } from '../../../src/serving/kserve/adapter.js';
import { ISVC_PATH, K8S_SERVER, kube, standardKserve } from '../../helpers/kserve.js';

const context: ExecuteContext = {
  idempotencyKey: 'INC-1:rollback:1',
  fence: 1,
  incidentId: 'INC-1',
  model: 'fraud-scorer',
  reason: 'x',
};

const V42 = { name: 'v42', model: { modelFormat: { name: 'sklearn' }, storageUri: 's3://models/fraud/42' } };
const V41 = { name: 'v41', model: { modelFormat: { name: 'sklearn' }, storageUri: 's3://models/fraud/41' } };
const V40 = { name: 'v40', model: { modelFormat: { name: 'sklearn' }, storageUri: 's3://models/fraud/40' } };
const ledger: Deployment[] = [
  { model: 'fraud-scorer', version: 'v42', strategy: 'rolling', at: 2, by: 'ci', spec: { predictor: V42 } },
  { model: 'fraud-scorer', version: 'v41', strategy: 'rolling', at: 1, by: 'ci', spec: { predictor: V41 } },
];

/** A Standard-mode InferenceService after a promotion: no canary, one predictor. */
function isvc(predictor: object, generation = 7, observed = generation) {
  return {
    metadata: { name: 'fraud-scorer', namespace: 'ml-prod', generation },
    spec: { predictor, canary: [] },
    status: { observedGeneration: observed, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('KServe after a promotion: re-applying the recorded spec', () => {
  it('plans a redeploy of the spec CI recorded for the known-good version', async () => {
    nock(K8S_SERVER).get(ISVC_PATH).reply(200, isvc(V42));
    const kserve = standardKserve();
    const state = await kserve.state();
    const plan = await kserve.plan({ state, knownGood: 'v41', ledger });
    expect(plan).toMatchObject({ to: 'v41', regime: 'redeploy', data: { reapply: V41 } });
    expect(plan.actions[0]).toContain('replace /spec/predictor with the spec recorded for v41');
  });

  it('sends exactly the JSON patch, makes no second call when it already runs, and confirms at the new generation', async () => {
    const kserve = standardKserve();
    nock(K8S_SERVER).get(ISVC_PATH).reply(200, isvc(V42));
    const plan = await kserve.plan({ state: await kserve.state(), to: 'v41', ledger });

    nock(K8S_SERVER).get(ISVC_PATH).reply(200, isvc(V42));
    const patch = nock(K8S_SERVER)
      .patch(ISVC_PATH, [
        { op: 'replace', path: '/spec/predictor', value: V41 },
        { op: 'add', path: '/spec/canary', value: [] },
      ])
      .matchHeader('content-type', 'application/json-patch+json')
      .reply(200, isvc(V41, 8, 7));
    expect(await kserve.execute(plan, context)).toMatchObject({ mutated: true });
    expect(patch.isDone()).toBe(true);

    nock(K8S_SERVER)
      .get(ISVC_PATH)
      .reply(200, isvc(V41, 8, 7));
    expect(await kserve.onTarget(plan)).toBe(false);
    nock(K8S_SERVER)
      .get(ISVC_PATH)
      .reply(200, isvc(V41, 8, 8));
    expect(await kserve.onTarget(plan)).toBe(true);

    nock(K8S_SERVER)
      .get(ISVC_PATH)
      .reply(200, isvc(V41, 8, 8));
    expect(await kserve.execute(plan, context)).toMatchObject({ mutated: false });
  });

  it('puts all the traffic on the re-applied spec, even when it was recorded at a canary step', async () => {
    // Knative mode after a promotion; v40's spec was recorded as its 10 % canary went out.
    const recorded = { ...V40, canaryTrafficPercent: 10 };
    const history: Deployment[] = [
      ...ledger,
      {
        model: 'fraud-scorer',
        version: 'v40',
        strategy: 'canary',
        at: 0,
        by: 'ci',
        spec: { predictor: recorded },
      },
    ];
    const promoted = (predictor: object, generation: number, observed = generation) => ({
      ...isvc(predictor, generation, observed),
      spec: { predictor },
      status: {
        ...isvc(predictor, generation, observed).status,
        components: {
          predictor: {
            previousRolledoutRevision: 'fraud-scorer-predictor-00002',
            traffic: [{ revisionName: 'fraud-scorer-predictor-00003', latestRevision: true, percent: 100 }],
          },
        },
      },
    });
    const kserve = createKserveAdapter(
      {
        adapter: 'kserve',
        namespace: 'ml-prod',
        name: 'fraud-scorer',
        mode: 'knative',
        component: 'predictor',
      },
      { model: 'fraud-scorer', kube },
    );
    nock(K8S_SERVER).get(ISVC_PATH).reply(200, promoted(V42, 7));
    const plan = await kserve.plan({ state: await kserve.state(), to: 'v40', ledger: history });
    expect(plan).toMatchObject({ to: 'v40', regime: 'redeploy' });

    // Sent as recorded, the 10 % would leave 90 % of the traffic on v42 while Ready said the rollback landed.
    nock(K8S_SERVER).get(ISVC_PATH).reply(200, promoted(V42, 7));
    const patch = nock(K8S_SERVER)
      .patch(ISVC_PATH, [{ op: 'replace', path: '/spec/predictor', value: V40 }])
      .reply(200, promoted(V40, 8, 7));
    expect(await kserve.execute(plan, context)).toMatchObject({ mutated: true });
    expect(patch.isDone()).toBe(true);
    nock(K8S_SERVER)
      .get(ISVC_PATH)
      .reply(200, promoted(V40, 8, 8));
    expect(await kserve.onTarget(plan)).toBe(true);
  });

  it('in Standard mode takes the canary out of spec.canary too: re-applied beside it, it kept its share', async () => {
    // v42 stable with v43 as a 20 % canary; v41 is only reachable by re-applying its recorded spec.
    const V43 = { trafficPercent: 20, predictor: { ...V42, name: 'v43' } };
    const withCanary = (predictor: object, generation: number, observed = generation) => ({
      ...isvc(predictor, generation, observed),
      spec: { predictor, canary: [V43] },
    });
    const kserve = standardKserve();
    nock(K8S_SERVER).get(ISVC_PATH).reply(200, withCanary(V42, 7));
    const plan = await kserve.plan({ state: await kserve.state(), to: 'v41', ledger });
    expect(plan).toMatchObject({ to: 'v41', regime: 'redeploy', data: { reapply: V41 } });
    expect(plan.actions[0]).toContain('set /spec/canary to []');

    nock(K8S_SERVER).get(ISVC_PATH).reply(200, withCanary(V42, 7));
    const patch = nock(K8S_SERVER)
      .patch(ISVC_PATH, [
        { op: 'replace', path: '/spec/predictor', value: V41 },
        { op: 'add', path: '/spec/canary', value: [] },
      ])
      .matchHeader('content-type', 'application/json-patch+json')
      .reply(200, isvc(V41, 8, 7));
    expect(await kserve.execute(plan, context)).toMatchObject({ mutated: true });
    expect(patch.isDone()).toBe(true);

    // Ready at a generation that runs v41's spec but still sends 20 % to v43: not rolled back, and not skipped.
    nock(K8S_SERVER).get(ISVC_PATH).reply(200, withCanary(V41, 9));
    expect(await kserve.onTarget(plan)).toBe(false);
    nock(K8S_SERVER).get(ISVC_PATH).reply(200, withCanary(V41, 9));
    nock(K8S_SERVER)
      .patch(ISVC_PATH)
      .reply(200, isvc(V41, 10, 9));
    expect(await kserve.execute(plan, context)).toMatchObject({ mutated: true });
    nock(K8S_SERVER).get(ISVC_PATH).reply(200, isvc(V41, 10));
    expect(await kserve.onTarget(plan)).toBe(true);
  });

  it('still refuses, with the fix, when no spec was recorded', async () => {
    nock(K8S_SERVER).get(ISVC_PATH).reply(200, isvc(V42));
    const kserve = standardKserve();
    const state = await kserve.state();
    await expect(kserve.plan({ state, to: 'v40', ledger })).rejects.toThrow('has no canary in spec.canary');
  });
});
