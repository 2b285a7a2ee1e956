/**
 * The Vertex adapter's slow path against nock: a rollback to a version no longer deployed deploys it again
 * (deployModel, a long-running operation), never twice, and lands once the operation is done and its deployed
 * model has all of trafficSplit.
 */
import { describe, expect, it } from 'vitest';
import { RollbotError } from '../../../src/core/errors.js';
import type { EngineDeps } from '../../../src/engine/context.js';
import { withPlanData } from '../../../src/core/rollback.js';
import { waitForTarget } from '../../../src/engine/rollback-landing.js';
import { ChangeFailed, type ExecuteContext, type RollbackPlan } from '../../../src/engine/serving-port.js';
import { servingError, failOnUnexpectedRequests } from '../../helpers/serving-calls.js';
import { adapter, ENDPOINT, MODEL, onV3, PATH, read, vertex } from '../../helpers/vertex.js';

const OPERATION = `${ENDPOINT}/operations/9876543210`;
/**
 * The deployed model ID rollbot gives version 1 of MODEL: the same on every try and replica, and pinned here
 * because a replica upgraded mid-rollback must choose the one its predecessor chose.
 */
const OURS = '1938817919';
const DEDICATED = {
  machineSpec: { machineType: 'n1-standard-4' },
  minReplicaCount: 2,
  maxReplicaCount: 4,
};

const context: ExecuteContext = {
  idempotencyKey: 'INC-9:rollback:1',
  fence: 1,
  incidentId: 'INC-9',
  model: 'fraud-scorer',
  reason: 'error rate',
};

/** Version 3 (deployed model 111, on dedicated nodes) serves; version 2 (222) is deployed at 0 %; 1 is gone. */
function endpoint(extra: object[] = [], split: Record<string, number> = { '111': 100 }) {
  return {
    name: 'projects/42/locations/us-central1/endpoints/1234567890',
    deployedModels: [
      { id: '111', model: MODEL, modelVersionId: '3', dedicatedResources: DEDICATED },
      { id: '222', model: `${MODEL}@2`, dedicatedResources: DEDICATED },
      ...extra,
    ],
    trafficSplit: split,
    etag: 'etag-1',
  };
}
/** Version 1 deployed again by rollbot, with the given share. */
const ours = (percent: number) =>
  endpoint([{ id: OURS, model: MODEL, modelVersionId: '1', dedicatedResources: DEDICATED }], {
    '111': 100 - percent,
    [OURS]: percent,
  });

const expectedDeploy = {
  deployedModel: {
    id: OURS,
    model: `${MODEL}@1`,
    displayName: 'rollbot-rollback-v1',
    dedicatedResources: DEDICATED,
  },
  trafficSplit: { '0': 100 },
};

/** The registry's answer to GetModel of a model version (`…/models/{m}@{version}`) that exists. */
const registryHas = (version = '1', model = MODEL) =>
  vertex()
    .get(`/v1/${model}@${version}`)
    .reply(200, { name: model, versionId: version, displayName: 'fraud-scorer' });

async function planTo1(
  fields: Record<string, unknown> = {},
  body: unknown = endpoint(),
  model = MODEL,
): Promise<RollbackPlan> {
  read(body);
  registryHas('1', model);
  return adapter(fields).plan({ knownGood: '1', state: onV3 });
}

failOnUnexpectedRequests();

describe('vertex redeploy: plan', () => {
  it("plans deploying the ledger's known-good again on the serving model's machine resources, changing nothing", async () => {
    const plan = await planTo1();
    expect(plan).toEqual({
      from: '3',
      to: '1',
      regime: 'redeploy',
      etaMs: 15 * 60_000,
      actions: [
        `chose version 1: the ledger's last known-good; it is no longer deployed on the endpoint, so it is deployed again from the registry, where ${MODEL}@1 exists (provisions nodes: minutes)`,
        `POST ${ENDPOINT}:deployModel {"deployedModel": {"id": "${OURS}", "model": "${MODEL}@1", "dedicatedResources": n1-standard-4, 2–4 replicas copied from deployed model 111}, "trafficSplit": {"0": 100}}: all traffic to it once it is up; version 3 (deployed model 111) stays deployed, at 0 %`,
        `poll the operation until done, then check that deployed model ${OURS} has 100 % of trafficSplit`,
      ],
      data: {
        deployedModelId: OURS,
        model: `${MODEL}@1`,
        displayName: 'rollbot-rollback-v1',
        resources: { dedicatedResources: DEDICATED },
      },
    });
    expect(OURS).toMatch(/^[1-9]\d{9}$/);
  });

  it('copies automaticResources as the GET shows them', async () => {
    const automatic = { minReplicaCount: 1, maxReplicaCount: 3 };
    const plan = await planTo1(
      {},
      {
        deployedModels: [{ id: '111', model: `${MODEL}@3`, automaticResources: automatic }],
        trafficSplit: { '111': 100 },
      },
    );
    expect(plan.data.resources).toEqual({ automaticResources: automatic });
  });

  it('deploys it as the same service account as the serving deployed model', async () => {
    const account = 'scorer@ml-prod.iam.gserviceaccount.com';
    const plan = await planTo1(
      {},
      {
        deployedModels: [
          { id: '111', model: `${MODEL}@3`, dedicatedResources: DEDICATED, serviceAccount: account },
        ],
        trafficSplit: { '111': 100 },
      },
    );
    expect(plan.actions[1]).toContain(`"serviceAccount": "${account}" copied from deployed model 111`);
    read(endpoint());
    vertex()
      .post(`${PATH}:deployModel`, {
        ...expectedDeploy,
        deployedModel: { ...expectedDeploy.deployedModel, serviceAccount: account },
      })
      .reply(200, { name: OPERATION });
    expect((await adapter().execute(plan, context)).mutated).toBe(true);
  });

  it('takes the registry model from serving.model when the runbook names one', async () => {
    const plan = await planTo1(
      { model: '777' },
      endpoint(),
      'projects/ml-prod/locations/us-central1/models/777',
    );
    expect(plan.data.model).toBe('projects/ml-prod/locations/us-central1/models/777@1');
  });

  it('refuses, asking for serving.model, when the deployed models are versions of different models', async () => {
    read({
      deployedModels: [
        { id: '111', model: `${MODEL}@3`, dedicatedResources: DEDICATED },
        { id: '222', model: 'projects/ml-prod/locations/us-central1/models/666@2' },
      ],
      trafficSplit: { '111': 100 },
    });
    const error = await servingError(adapter().plan({ knownGood: '1', state: onV3 }));
    expect(error.transient).toBe(false);
    expect(error.message).toBe(
      `cannot deploy version 1 again on vertex endpoint 1234567890: the deployed models are versions of different registry models (${MODEL}, projects/ml-prod/locations/us-central1/models/666)`,
    );
    expect(error.hint).toContain('add serving.model: "<model id>" to the runbook');
  });

  it('refuses, asking for serving.model, when nothing is deployed to say which model', async () => {
    read({});
    const error = await servingError(adapter().plan({ to: '1', state: onV3 }));
    expect(error.message).toContain('no deployed model says which registry model it is a version of');
    expect(error.hint).toContain('add serving.model');
  });

  it('refuses a version the registry does not have (a mistyped --to) before anything is deployed', async () => {
    read(endpoint());
    vertex()
      .get(`/v1/${MODEL}@13`)
      .reply(404, { error: { code: 404, message: `Model ${MODEL}@13 is not found.`, status: 'NOT_FOUND' } });
    const error = await servingError(adapter().plan({ to: '13', state: onV3 }));
    expect(error.transient).toBe(false);
    expect(error.message).toBe(
      `version 13 of registry model ${MODEL} does not exist, so rollbot cannot deploy it again on vertex endpoint 1234567890 ` +
        `(Vertex GET ${MODEL}@13: HTTP 404: Model ${MODEL}@13 is not found.)`,
    );
    expect(error.hint).toBe(
      'check the rollback target (a typo in --to, or a version the ledger recorded that was deleted from the registry): ' +
        'gcloud ai models list-version 555 --project=ml-prod --region=us-central1 lists the versions that exist; roll back to one of them',
    );
  });

  it('refuses a registry alias as the target, naming the version it stands for', async () => {
    read(endpoint());
    vertex()
      .get(`/v1/${MODEL}@champion`)
      .reply(200, { name: MODEL, versionId: '1', displayName: 'fraud-scorer' });
    const error = await servingError(adapter().plan({ to: 'champion', state: onV3 }));
    expect(error.transient).toBe(false);
    expect(error.message).toBe(
      `"champion" names version 1 of registry model ${MODEL} (an alias): the endpoint reports its deployed models by version ID`,
    );
    expect(error.hint).toBe('roll back to 1 instead (--to 1)');
  });

  it("refuses the ledger's known-good when it was deleted from the registry, naming serving.model when it is the runbook's", async () => {
    read(endpoint());
    const model = 'projects/ml-prod/locations/us-central1/models/777';
    vertex()
      .get(`/v1/${model}@1`)
      .reply(404, { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } });
    const error = await servingError(adapter({ model: '777' }).plan({ knownGood: '1', state: onV3 }));
    expect(error.message).toContain(`version 1 of registry model ${model} does not exist`);
    expect(error.hint).toContain('gcloud ai models list-version 777 --project=ml-prod --region=us-central1');
    expect(error.hint).toContain('or serving.model, the registry model it is a version of');
  });

  it.each([
    [403, 'Permission denied on resource', false, 'aiplatform.models.get'],
    [503, 'The service is currently unavailable.', true, 'rollbot retries within the rollback target'],
  ])(
    'a GetModel of the version answered HTTP %i says what to check, transient only for a Vertex failure',
    async (status, message, transient, hint) => {
      read(endpoint());
      vertex()
        .get(`/v1/${MODEL}@1`)
        .reply(status, { error: { code: status, message, status: 'X' } });
      const error = await servingError(adapter().plan({ knownGood: '1', state: onV3 }));
      expect(error.transient).toBe(transient);
      expect(error.message).toContain(message);
      expect(error.hint).toContain(hint);
    },
  );

  it('sends a version that is not a path segment escaped, so it reads that version and nothing else', async () => {
    read(endpoint());
    vertex()
      .get(`/v1/${MODEL}@2%2F..%2F..%3Fx`)
      .reply(404, { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } });
    const error = await servingError(adapter().plan({ to: '2/../..?x', state: onV3 }));
    expect(error.message).toContain('version 2/../..?x of registry model');
  });

  it('refuses with the gcloud command when no deployed model takes traffic to copy resources from', async () => {
    read(endpoint([], {}));
    registryHas();
    const error = await servingError(adapter().plan({ to: '1', state: onV3 }));
    expect(error.message).toContain(
      'rollbot deploys it again on the machine resources of the deployed model taking traffic, and none takes any',
    );
    expect(error.hint).toContain('gcloud ai endpoints deploy-model 1234567890 --project=ml-prod');
  });

  it('refuses with the gcloud command when the serving deployed model shows no machine resources', async () => {
    read({ deployedModels: [{ id: '111', model: `${MODEL}@3` }], trafficSplit: { '111': 100 } });
    registryHas();
    const error = await servingError(adapter().plan({ to: '1', state: onV3 }));
    expect(error.message).toContain('deployed model 111 shows none');
  });
});

const deployModel = () => vertex().post(`${PATH}:deployModel`, expectedDeploy);
const operation = (body: object) =>
  vertex()
    .get(`/v1/${OPERATION}`)
    .reply(200, { name: OPERATION, ...body });

describe('vertex redeploy: execute', () => {
  it('re-reads, then POSTs deployModel with all traffic to the new deployed model, and keeps the operation with the plan', async () => {
    const plan = await planTo1();
    const planned = structuredClone(plan);
    read(endpoint());
    deployModel().reply(200, { name: OPERATION, metadata: { genericMetadata: {} } });
    const result = await adapter().execute(plan, context);
    expect(result).toEqual({
      mutated: true,
      output: `POST ${ENDPOINT}:deployModel accepted: deploying ${MODEL}@1 as deployed model ${OURS}, all traffic to it once up (operation ${OPERATION}); was version 3 (deployed model 111) at 100 %`,
      planData: { operation: OPERATION },
    });
    // Kept by the engine with the stored plan (ExecuteResult.planData), not in the plan object, which nothing stores.
    expect(plan).toEqual(planned);
  });

  it('a retry after an answer lost on the way (a 504) finds the deployment under way and does not deploy again', async () => {
    const plan = await planTo1();
    const live = adapter();
    read(endpoint());
    deployModel().reply(504, 'upstream request timeout');
    const lost = await servingError(live.execute(plan, context));
    // The engine retries this (transient), and it must read before it sends again (effect unknown).
    expect(lost.transient).toBe(true);
    expect(lost.effectUnknown).toBe(true);
    // The retry: the endpoint does not list it yet; Vertex refuses the same deployed model ID a second time.
    read(endpoint());
    deployModel().reply(409, {
      error: { code: 409, message: `DeployedModel with ID ${OURS} already exists`, status: 'ALREADY_EXISTS' },
    });
    read(endpoint());
    expect(await live.execute(plan, context)).toEqual({
      mutated: false,
      output: `vertex ${ENDPOINT}: version 1 is already being deployed as deployed model ${OURS} (an earlier deployModel whose answer was lost): waiting for it`,
    });
    // Without the operation's name, landing is read from the endpoint alone.
    read(ours(100));
    expect(await live.onTarget(plan)).toBe(true);
  });

  it('a 409 that is not ALREADY_EXISTS (another operation on the endpoint) is retried, not taken as under way', async () => {
    const plan = await planTo1();
    read(endpoint());
    deployModel().reply(409, {
      error: {
        code: 409,
        message: 'The Endpoint has an ongoing operation: undeployModel. Please retry later.',
        status: 'ABORTED',
      },
    });
    const error = await servingError(adapter().execute(plan, context));
    // Sending again is safe: the deployed model ID makes a second deployModel of it refused as already existing.
    expect(error.transient).toBe(true);
    expect(error.message).toContain('The Endpoint has an ongoing operation');
  });

  it('makes no call when its deployed model already has all traffic (an earlier try landed)', async () => {
    const plan = await planTo1();
    read(ours(100));
    expect(await adapter().execute(plan, context)).toEqual({
      mutated: false,
      output: `vertex ${ENDPOINT}: version 1 (deployed model ${OURS}) at 100 % already`,
    });
  });

  it('flips traffic onto the version when it is deployed since the plan, instead of deploying it twice', async () => {
    const plan = await planTo1();
    read(endpoint([{ id: '333', model: `${MODEL}@1` }]));
    vertex()
      .patch(PATH, { trafficSplit: { '333': 100 }, etag: 'etag-1' })
      .query({ updateMask: 'traffic_split' })
      .reply(200, endpoint([{ id: '333', model: `${MODEL}@1` }], { '333': 100 }));
    const result = await adapter().execute(plan, context);
    expect(result.mutated).toBe(true);
    expect(result.output).toContain('version 1 (deployed model 333) 100 %');
  });

  it('refuses when its deployed model ID serves another version, rather than flip onto it', async () => {
    const plan = await planTo1();
    read(endpoint([{ id: OURS, model: `${MODEL}@7` }]));
    const error = await servingError(adapter().execute(plan, context));
    expect(error.message).toContain(`deployed model ${OURS} on vertex ${ENDPOINT} serves version 7, not 1`);
    expect(error.transient).toBe(false);
  });

  it('refuses when the version was deployed twice since the plan, rather than deploy a third copy', async () => {
    const plan = await planTo1();
    read(
      endpoint([
        { id: '333', model: `${MODEL}@1` },
        { id: '444', model: `${MODEL}@1` },
      ]),
    );
    const error = await servingError(adapter().execute(plan, context));
    expect(error.message).toContain('version 1 is deployed more than once');
    expect(error.hint).toContain('naming the deployed model ID as the target');
  });

  it('a quota refusal (429) changes nothing, is retried, and says which quota to look at', async () => {
    const plan = await planTo1();
    read(endpoint());
    deployModel().reply(429, {
      error: {
        code: 429,
        message:
          'The following quota metrics exceed quota limits: aiplatform.googleapis.com/custom_model_serving_cpus',
        status: 'RESOURCE_EXHAUSTED',
      },
    });
    const error = await servingError(adapter().execute(plan, context));
    expect(error.transient).toBe(true);
    expect(error.effectUnknown).toBe(false);
    expect(error.message).toContain('custom_model_serving_cpus');
    expect(error.hint).toContain('Vertex AI refused the deployment for a quota of project ml-prod');
    expect(plan.data.operation).toBeUndefined();
  });

  it.each([
    [
      404,
      'Model projects/ml-prod/locations/us-central1/models/555@1 not found',
      'check that the version exists',
    ],
    [403, 'Permission denied', 'aiplatform.endpoints.deploy'],
  ])('a deployModel refused with HTTP %i is final, with what to check', async (status, message, hint) => {
    const plan = await planTo1();
    read(endpoint());
    deployModel().reply(status, { error: { code: status, message, status: 'X' } });
    const error = await servingError(adapter().execute(plan, context));
    expect(error.transient).toBe(false);
    expect(error.hint).toContain(hint);
  });
});

describe('vertex redeploy: onTarget', () => {
  /**
   * deployModel started; `plan` as the engine stores it with what execute kept (a fresh object, read back from
   * JSON), and `live` a fresh adapter: what a replica that settles the rollback after a restart has, and no more.
   */
  async function started(): Promise<{ plan: RollbackPlan; live: ReturnType<typeof adapter> }> {
    const planned = await planTo1();
    read(endpoint());
    deployModel().reply(200, { name: OPERATION });
    // Whatever execute does to the object it is given is not stored: only what it returns is.
    const { planData } = await adapter().execute(structuredClone(planned), context);
    const stored = withPlanData(planned, planData ?? {});
    return { plan: JSON.parse(JSON.stringify(stored)) as RollbackPlan, live: adapter() };
  }

  it('is false while the operation runs, without reading the endpoint; true once done with all traffic', async () => {
    const { plan, live } = await started();
    operation({ done: false });
    expect(await live.onTarget(plan)).toBe(false);
    operation({ done: true, response: { deployedModel: { id: OURS } } });
    read(ours(100));
    expect(await live.onTarget(plan)).toBe(true);
  });

  it('is false when the operation is done but trafficSplit does not give its deployed model everything', async () => {
    const { plan, live } = await started();
    operation({ done: true });
    read(ours(40));
    expect(await live.onTarget(plan)).toBe(false);
  });

  it("says an operation's error at once, naming the operation and what Vertex said, as the change's failure", async () => {
    const { plan, live } = await started();
    operation({
      done: true,
      error: {
        code: 8,
        message: 'Machine type temporarily unavailable in us-central1-b',
        status: 'RESOURCE_EXHAUSTED',
      },
    });
    const error = await servingError(live.onTarget(plan));
    // Vertex's word that the deployment failed: a verdict, for a replica settling the rollback after a restart too.
    expect(error).toBeInstanceOf(ChangeFailed);
    expect(error.transient).toBe(false);
    expect(error.message).toBe(
      `Vertex could not deploy version 1 on vertex ${ENDPOINT}: operation ${OPERATION} failed: Machine type temporarily unavailable in us-central1-b (RESOURCE_EXHAUSTED, code 8)`,
    );
    expect(error.hint).toContain(
      'gcloud ai operations describe 9876543210 --project=ml-prod --region=us-central1',
    );
  });

  it('an operation that could not be read is no verdict: the deployment may still be under way', async () => {
    const { plan, live } = await started();
    vertex()
      .get(`/v1/${OPERATION}`)
      .reply(403, { error: { code: 403, message: 'Permission denied', status: 'PERMISSION_DENIED' } });
    const error = await servingError(live.onTarget(plan));
    expect(error.status).toBe(403);
    expect(error).not.toBeInstanceOf(ChangeFailed);
  });

  it('an operation never done within the attempt ends it as not landed, after deploying once', async () => {
    const { plan, live } = await started();
    let now = 0;
    const pollMs = 60_000;
    const deps = {
      clock: { now: () => now },
      timing: { pollMs },
      sleep: (ms: number) => {
        now += ms;
        return Promise.resolve();
      },
    } as unknown as EngineDeps;
    // The attempt's bound for a redeploy is twice its ETA: 30 one-minute polls, each finding it still running.
    const deadline = 2 * plan.etaMs;
    vertex().get(`/v1/${OPERATION}`).times(30).reply(200, { name: OPERATION, done: false });
    const error: unknown = await waitForTarget(
      deps,
      {
        adapter: live,
        scope: { model: 'fraud-scorer', serving: {} as never, executes: true },
        plan,
        retry: { deadline, now: () => now, sleep: deps.sleep, baseMs: 1000 },
        startedAt: 0,
      },
      () => undefined,
    ).then(
      () => expect.unreachable('expected the wait to give up'),
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(RollbotError);
    expect((error as RollbotError).message).toBe(
      'traffic did not reach 1 within 30m of this attempt (the plan expected 15m)',
    );
  });
});
