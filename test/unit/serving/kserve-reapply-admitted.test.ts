/**
 * A re-applied spec as KServe stores it. CI records the spec from its manifest; KServe's mutating webhook rewrites
 * it on the way in (default resources, automountServiceAccountToken, `sklearn:` into `model.modelFormat`), so the
 * live spec never equals the record. The adapter asks the API server what the record becomes once admitted — the
 * same JSON patch with ?dryRun=All, which changes nothing — and compares the live spec with that.
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../../src/core/ledger.js';
import type { ExecuteContext, RollbackPlan } from '../../../src/engine/serving-port.js';
import {
  admittedPredictor,
  ISVC_PATH,
  K8S_SERVER,
  manifestPredictor,
  REAPPLY_V41,
  standardKserve,
} from '../../helpers/kserve.js';

const context: ExecuteContext = {
  idempotencyKey: 'INC-1:rollback:1',
  fence: 1,
  incidentId: 'INC-1',
  model: 'fraud-scorer',
  reason: 'x',
};

const ledger: Deployment[] = [
  {
    model: 'fraud-scorer',
    version: 'v42',
    strategy: 'rolling',
    at: 2,
    by: 'ci',
    spec: { predictor: manifestPredictor(42) },
  },
  {
    model: 'fraud-scorer',
    version: 'v41',
    strategy: 'rolling',
    at: 1,
    by: 'ci',
    spec: { predictor: manifestPredictor(41) },
  },
];

/** A Standard-mode InferenceService after a promotion; `version` tells apart writes the server stamped. */
function isvc(predictor: object, generation = 7, observed = generation, resourceVersion = '1000') {
  return {
    metadata: {
      name: 'fraud-scorer',
      namespace: 'ml-prod',
      generation,
      resourceVersion,
      managedFields: [{ manager: 'rollbot', operation: 'Update', time: `2026-12-03T10:00:${generation}Z` }],
    },
    spec: { predictor, canary: [] },
    status: { observedGeneration: observed, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** The dry run of the re-apply: the object as it would be stored, with metadata the server stamps anew. */
const dryRun = () =>
  nock(K8S_SERVER)
    .patch(ISVC_PATH, REAPPLY_V41)
    .query({ dryRun: 'All' })
    .matchHeader('content-type', 'application/json-patch+json');

async function planToV41(
  live: object,
): Promise<{ kserve: ReturnType<typeof standardKserve>; plan: RollbackPlan }> {
  const kserve = standardKserve();
  nock(K8S_SERVER).get(ISVC_PATH).reply(200, live);
  const plan = await kserve.plan({ state: await kserve.state(), to: 'v41', ledger });
  expect(plan).toMatchObject({ to: 'v41', regime: 'redeploy', data: { reapply: manifestPredictor(41) } });
  return { kserve, plan };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('KServe re-apply compared with the spec as the API server admits it', () => {
  it('confirms a re-apply the webhook rewrote, and does not re-apply it twice', async () => {
    const { kserve, plan } = await planToV41(isvc(admittedPredictor(42)));

    nock(K8S_SERVER)
      .get(ISVC_PATH)
      .reply(200, isvc(admittedPredictor(42)));
    dryRun().reply(200, isvc(admittedPredictor(41), 8, 7, '1001'));
    const patch = nock(K8S_SERVER)
      .patch(ISVC_PATH, REAPPLY_V41)
      .matchHeader('content-type', 'application/json-patch+json')
      .reply(200, isvc(admittedPredictor(41), 8, 7, '1001'));
    expect(await kserve.execute(plan, context)).toMatchObject({ mutated: true });
    expect(patch.isDone()).toBe(true);

    // Not reconciled yet: not landed, and no dry run is needed to say so.
    nock(K8S_SERVER)
      .get(ISVC_PATH)
      .reply(200, isvc(admittedPredictor(41), 8, 7, '1001'));
    expect(await kserve.onTarget(plan)).toBe(false);

    // Reconciled and Ready: the live spec is what the record becomes once admittedPredictor. The dry run's answer carries
    // another generation, resourceVersion and managedFields (the server stamps them on every write): not compared.
    nock(K8S_SERVER)
      .get(ISVC_PATH)
      .reply(200, isvc(admittedPredictor(41), 8, 8, '1002'));
    dryRun().reply(200, isvc(admittedPredictor(41), 9, 8, '1003'));
    expect(await kserve.onTarget(plan)).toBe(true);

    // Executed again (a retry, a second replica): it already runs the spec, so no write is made.
    nock(K8S_SERVER)
      .get(ISVC_PATH)
      .reply(200, isvc(admittedPredictor(41), 8, 8, '1002'));
    dryRun().reply(200, isvc(admittedPredictor(41), 8, 8, '1002'));
    expect(await kserve.execute(plan, context)).toEqual({
      mutated: false,
      output: 'InferenceService ml-prod/fraud-scorer already runs the spec recorded for v41: no change made',
    });
  });

  it('never calls it landed while a spec that only adds fields to the recorded one is live', async () => {
    const { kserve, plan } = await planToV41(isvc(admittedPredictor(42)));
    // The bad build differs from v41 only by an extra flag: a subset comparison would call this a success.
    const extra = {
      ...admittedPredictor(41),
      model: { ...admittedPredictor(41).model, args: ['--unsafe-fast-path'] },
    };
    nock(K8S_SERVER).get(ISVC_PATH).reply(200, isvc(extra, 9));
    dryRun().reply(200, isvc(admittedPredictor(41), 10, 9, '1001'));
    expect(await kserve.onTarget(plan)).toBe(false);

    nock(K8S_SERVER).get(ISVC_PATH).reply(200, isvc(extra, 9));
    dryRun().reply(200, isvc(admittedPredictor(41), 10, 9, '1001'));
    const patch = nock(K8S_SERVER)
      .patch(ISVC_PATH, REAPPLY_V41)
      .reply(200, isvc(admittedPredictor(41), 10, 9, '1001'));
    expect(await kserve.execute(plan, context)).toMatchObject({ mutated: true });
    expect(patch.isDone()).toBe(true);
  });

  it('needs no dry run when the live spec is the recorded one to the letter (CI recorded it from the cluster)', async () => {
    const { kserve, plan } = await planToV41(isvc(admittedPredictor(42)));
    nock(K8S_SERVER)
      .get(ISVC_PATH)
      .reply(200, isvc(manifestPredictor(41), 9));
    expect(await kserve.onTarget(plan)).toBe(true);
  });

  it('says what is unknown, never a success, when the API server refuses the dry run', async () => {
    const { kserve, plan } = await planToV41(isvc(admittedPredictor(42)));
    const refusal = {
      kind: 'Status',
      status: 'Failure',
      message:
        'admission webhook "inferenceservice.kserve-webhook-server.defaulter" does not support dry run',
      reason: 'BadRequest',
      code: 400,
    };
    nock(K8S_SERVER)
      .get(ISVC_PATH)
      .reply(200, isvc(admittedPredictor(41), 9));
    dryRun().reply(400, refusal);
    const refused = kserve.onTarget(plan);
    await expect(refused).rejects.toMatchObject({
      transient: false,
      message:
        'cannot tell whether InferenceService ml-prod/fraud-scorer runs the predictor spec recorded for v41: ' +
        'asking the API server what that spec becomes once admitted (the same patch with ?dryRun=All) failed: ' +
        `PATCH (dry run) InferenceService ml-prod/fraud-scorer: HTTP 400: ${refusal.message}`,
    });
    await expect(refused).rejects.toHaveProperty(
      'hint',
      expect.stringContaining('kubectl get inferenceservice fraud-scorer -n ml-prod -o yaml'),
    );
  });

  it('names the RBAC rule when the dry run is forbidden: it needs patch, as the re-apply does', async () => {
    const { kserve, plan } = await planToV41(isvc(admittedPredictor(42)));
    nock(K8S_SERVER)
      .get(ISVC_PATH)
      .reply(200, isvc(admittedPredictor(41), 9));
    dryRun().reply(403, { kind: 'Status', message: 'forbidden', code: 403 });
    await expect(kserve.onTarget(plan)).rejects.toMatchObject({
      transient: false,
      hint: expect.stringContaining(
        '{apiGroups: ["serving.kserve.io"], resources: ["inferenceservices"], verbs: ["patch"]}',
      ),
    });
  });

  it('re-applies anyway when the dry run before it fails, and says it could not check first', async () => {
    const { kserve, plan } = await planToV41(isvc(admittedPredictor(42)));
    nock(K8S_SERVER)
      .get(ISVC_PATH)
      .reply(200, isvc(admittedPredictor(42)));
    dryRun().reply(400, { kind: 'Status', message: 'webhook does not support dry run', code: 400 });
    const patch = nock(K8S_SERVER)
      .patch(ISVC_PATH, REAPPLY_V41)
      .reply(200, isvc(admittedPredictor(41), 8, 7));
    const result = await kserve.execute(plan, context);
    expect(patch.isDone()).toBe(true);
    expect(result.mutated).toBe(true);
    expect(result.output).toContain('re-applied the predictor spec recorded for v41');
    expect(result.output).toContain('could not tell first whether it already ran it');
  });
});
