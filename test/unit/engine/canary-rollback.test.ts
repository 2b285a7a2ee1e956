/**
 * Rolling back a canary that went bad, end to end through rollback() with the real adapters against their APIs
 * (nock, shapes from the serving-rollback reference): the suspect is the version rolling out, the target is the
 * stable version the layer keeps warm, and the mark goes on the canary.
 */
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../../src/core/ledger.js';
import { rollback, type RollbackRequest } from '../../../src/engine/rollback.js';
import type { ServingAdapter, ServingState } from '../../../src/engine/serving-port.js';
import { rollbackTarget } from '../../../src/engine/rollback-target.js';
import { createArgoRolloutsAdapter } from '../../../src/serving/argo-rollouts/adapter.js';
import { createHttpAdapter } from '../../../src/serving/http/adapter.js';
import { httpConfig } from '../../../src/serving/http/config.js';
import type { KubeConnection } from '../../../src/serving/k8s/connection.js';
import { createKserveAdapter } from '../../../src/serving/kserve/adapter.js';
import { createSagemakerAdapter } from '../../../src/serving/sagemaker/adapter.js';
import { makeDeps, type TestDeps } from '../../helpers/engine.js';

const MODEL = 'fraud-scorer';
const request: RollbackRequest = {
  model: MODEL,
  reason: 'error rate 8% on the canary',
  by: 'cli:ana',
  trigger: 'cli',
};
const dryRun: RollbackRequest = { ...request, dryRun: true };

const K8S = 'https://k8s.test';
const kube = (): KubeConnection => ({ server: K8S, token: 't', tls: {} });
const k8s = () => nock(K8S, { reqheaders: { authorization: 'Bearer t' } });
const ISVC = `/apis/serving.kserve.io/v1beta1/namespaces/ml-prod/inferenceservices/${MODEL}`;

/** Engine deps whose every runbook rolls back on `adapter`. */
function depsOn(adapter: ServingAdapter): TestDeps {
  return { ...makeDeps(), serving: () => adapter };
}

/** CI's records, oldest first (at 1, 2, …): a version with a share is a canary step. */
async function ledger(
  deps: TestDeps,
  records: { version: string; traffic?: number; spec?: Record<string, unknown> }[],
): Promise<void> {
  for (const [index, record] of records.entries()) {
    const deployment: Deployment = {
      model: MODEL,
      version: record.version,
      strategy: 'canary',
      at: index + 1,
      by: 'api',
      ...(record.traffic === undefined ? {} : { traffic: record.traffic }),
      ...(record.spec === undefined ? {} : { spec: record.spec }),
    };
    await deps.store.recordDeployment(deployment);
  }
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

describe('kserve knative: a canary of v42 at 10 % beside v41', () => {
  const REV = (n: number) => `${MODEL}-predictor-000${n}`;
  const adapter = () =>
    createKserveAdapter(
      { adapter: 'kserve', namespace: 'ml-prod', name: MODEL, mode: 'knative', component: 'predictor' },
      { model: MODEL, kube, timeoutMs: 2_000 },
    );
  /** Revision 42 at `canary` % (latestRevision), 41 at the rest (tag prev), as KServe writes the ksvc traffic. */
  const isvc = (canary: number, generation = 4) => ({
    metadata: { name: MODEL, namespace: 'ml-prod', generation },
    spec: { predictor: { canaryTrafficPercent: canary, sklearn: { storageUri: 'gs://models/fraud/v42' } } },
    status: {
      observedGeneration: generation,
      conditions: [{ type: 'Ready', status: 'True' }],
      components: {
        predictor: {
          latestCreatedRevision: REV(42),
          latestReadyRevision: REV(42),
          latestRolledoutRevision: REV(41),
          previousRolledoutRevision: REV(40),
          traffic: [
            { latestRevision: true, percent: canary, revisionName: REV(42), tag: 'latest' },
            { latestRevision: false, percent: 100 - canary, revisionName: REV(41), tag: 'prev' },
          ],
        },
      },
    },
  });
  const history = [{ version: REV(40) }, { version: REV(41) }, { version: REV(42), traffic: 10 }];

  it('rolls back with one command: canaryTrafficPercent 0, all traffic to v41, v42 marked rolled back', async () => {
    const deps = depsOn(adapter());
    await ledger(deps, history);
    const patched = k8s()
      .get(ISVC)
      .times(2)
      .reply(200, isvc(10))
      .patch(ISVC, { spec: { predictor: { canaryTrafficPercent: 0 } } })
      .reply(200, isvc(0, 5))
      .get(ISVC)
      .reply(200, isvc(0, 5));

    const result = await rollback(deps, request);

    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ outcome: 'succeeded' });
    expect(result.plan).toMatchObject({ from: REV(42), to: REV(41), regime: 'traffic-flip' });
    expect(patched.isDone()).toBe(true);
    const marks = await deps.store.rolledBack(MODEL);
    expect(Object.keys(marks)).toEqual([REV(42)]);
  });

  it('never re-applies the spec of the version before the stable one', async () => {
    const deps = depsOn(adapter());
    const spec = { predictor: { sklearn: { storageUri: 'gs://models/fraud/v40' } } };
    await ledger(deps, [{ version: REV(40), spec }, ...history.slice(1)]);
    k8s().get(ISVC).reply(200, isvc(10));

    const result = await rollback(deps, dryRun);

    expect(result.plan).toMatchObject({ from: REV(42), to: REV(41), regime: 'traffic-flip' });
    expect(result.plan?.data.reapply).toBeUndefined();
  });

  it('still goes where a person names, and still refuses what no flip reaches', async () => {
    const deps = depsOn(adapter());
    await ledger(deps, history);
    k8s().get(ISVC).times(2).reply(200, isvc(10));
    const named = await rollback(deps, { ...dryRun, to: REV(41) });
    expect(named.plan).toMatchObject({ from: REV(42), to: REV(41), regime: 'traffic-flip' });
    await expect(rollback(deps, { ...dryRun, to: REV(40) })).rejects.toThrow(
      `only ${REV(41)} (the previous rolled-out revision) is reachable`,
    );
  });

  it('after the abort, a further rollback (v41 is bad too) goes back past v41, as after a rollout', async () => {
    const deps = depsOn(adapter());
    const spec = { predictor: { sklearn: { storageUri: 'gs://models/fraud/v40' } } };
    await ledger(deps, [{ version: REV(40), spec }, ...history.slice(1)]);
    await deps.store.markRolledBack(MODEL, REV(42), 10, 'INC-1');
    // canaryTrafficPercent 0: KServe still lists revision 42, at 0 %, beside prev at 100 %.
    k8s().get(ISVC).reply(200, isvc(0, 5));

    const result = await rollback(deps, dryRun);

    expect(result.plan).toMatchObject({ from: REV(41), to: REV(40), regime: 'redeploy' });
    expect(result.plan?.data.reapply).toEqual(spec.predictor);
  });
});

describe('the rollback target while a rollout is in progress', () => {
  const canary: ServingState = {
    current: 'v41',
    previous: 'v41',
    traffic: [
      { version: 'v41', percent: 90 },
      { version: 'v42', percent: 10 },
    ],
    rolloutInProgress: true,
    settled: true,
    summary: '',
  };
  const record = (version: string, at: number, more: Partial<Deployment> = {}): Deployment => ({
    model: MODEL,
    version,
    strategy: 'canary',
    at,
    by: 'api',
    ...more,
  });
  const history = [record('v42', 3, { traffic: 10 }), record('v41', 2), record('v40', 1)];

  it('is the stable version the layer keeps warm; the suspect is the canary', () => {
    expect(rollbackTarget(canary, history)).toEqual({ suspect: 'v42', stable: 'v41', knownGood: 'v41' });
  });

  it("is the ledger's choice when a rollback moved traffic away from the stable version", () => {
    const marked = [
      record('v42', 3, { traffic: 10 }),
      record('v41', 2, { rolledBackAt: 2.5 }),
      record('v40', 1),
    ];
    expect(rollbackTarget(canary, marked)).toMatchObject({ suspect: 'v42', knownGood: 'v40' });
  });

  it("is the ledger's last known-good when no rollout is in progress", () => {
    const promoted: ServingState = {
      ...canary,
      current: 'v42',
      previous: 'v41',
      traffic: [{ version: 'v42', percent: 100 }],
      rolloutInProgress: false,
    };
    expect(rollbackTarget(promoted, [record('v42', 4), ...history])).toEqual({ knownGood: 'v41' });
  });
});

describe('kserve standard: canary fraud-v42 at 20 % beside stable fraud-v41', () => {
  const adapter = () =>
    createKserveAdapter(
      { adapter: 'kserve', namespace: 'ml-prod', name: MODEL, mode: 'standard', component: 'predictor' },
      { model: MODEL, kube, timeoutMs: 2_000 },
    );
  const isvc = {
    metadata: { name: MODEL, namespace: 'ml-prod', generation: 7 },
    spec: {
      predictor: { name: 'fraud-v41', model: { storageUri: 'gs://models/fraud/v41' } },
      canary: [
        {
          trafficPercent: 20,
          predictor: { name: 'fraud-v42', model: { storageUri: 'gs://models/fraud/v42' } },
        },
      ],
    },
    status: {
      observedGeneration: 7,
      conditions: [{ type: 'Ready', status: 'True' }],
      canaryStatuses: [{ name: 'fraud-v42', ready: true, trafficPercent: 20 }],
    },
  };

  it('plans the flip back to the stable predictor, not the version before it', async () => {
    const deps = depsOn(adapter());
    const spec = { predictor: { name: 'fraud-v40', model: { storageUri: 'gs://models/fraud/v40' } } };
    await ledger(deps, [
      { version: 'fraud-v40', spec },
      { version: 'fraud-v41' },
      { version: 'fraud-v42', traffic: 20 },
    ]);
    k8s().get(ISVC).reply(200, isvc);

    const result = await rollback(deps, dryRun);

    expect(result.plan).toMatchObject({ from: 'fraud-v42', to: 'fraud-v41', regime: 'traffic-flip' });
    expect(result.plan?.data.reapply).toBeUndefined();
    expect(result.plan?.actions[0]).toBe(
      'a rollout is in progress: rolling back aborts it, all traffic from fraud-v42 (rolling out) to fraud-v41 (stable)',
    );
  });
});

describe('sagemaker production variants: challenger canary at 10 % beside champion', () => {
  const REGION = 'eu-west-1';
  const HOST = `https://api.sagemaker.${REGION}.amazonaws.com`;
  const ENDPOINT = 'fraud-prod';
  const client = () =>
    new SageMakerClient({
      region: REGION,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
  const aws = (operation: string, body: nock.DataMatcherMap) =>
    nock(HOST, {
      reqheaders: { 'x-amz-target': `SageMaker.${operation}`, 'content-type': 'application/x-amz-json-1.1' },
    }).post('/', body);
  const described = (status: string, weights: Record<string, number>, config = 'fraud-prod-cfg-3') => ({
    EndpointName: ENDPOINT,
    EndpointArn: `arn:aws:sagemaker:${REGION}:1:endpoint/${ENDPOINT}`,
    EndpointStatus: status,
    EndpointConfigName: config,
    ProductionVariants: Object.entries(weights).map(([name, weight]) => ({
      VariantName: name,
      CurrentWeight: weight,
      DesiredWeight: weight,
    })),
  });
  const JSON_11 = { 'content-type': 'application/x-amz-json-1.1' };

  it('moves the weight off the challenger and marks the challenger, not champion, rolled back', async () => {
    const adapter = createSagemakerAdapter(
      { adapter: 'sagemaker', endpoint: ENDPOINT, region: REGION, stableVariant: 'champion' },
      { model: MODEL, client: client() },
    );
    const deps = depsOn(adapter);
    await ledger(deps, [{ version: 'champion' }, { version: 'challenger', traffic: 10 }]);
    aws('DescribeEndpoint', { EndpointName: ENDPOINT })
      .times(2)
      .reply(200, described('InService', { champion: 9, challenger: 1 }), JSON_11);
    const flipped = aws('UpdateEndpointWeightsAndCapacities', {
      EndpointName: ENDPOINT,
      DesiredWeightsAndCapacities: [
        { VariantName: 'champion', DesiredWeight: 1 },
        { VariantName: 'challenger', DesiredWeight: 0 },
      ],
    }).reply(200, { EndpointArn: `arn:aws:sagemaker:${REGION}:1:endpoint/${ENDPOINT}` }, JSON_11);
    aws('DescribeEndpoint', { EndpointName: ENDPOINT }).reply(
      200,
      described('InService', { champion: 1, challenger: 0 }),
      JSON_11,
    );

    const result = await rollback(deps, request);

    expect(result).toMatchObject({ outcome: 'succeeded' });
    expect(result.plan).toMatchObject({ from: 'challenger', to: 'champion', regime: 'traffic-flip' });
    expect(flipped.isDone()).toBe(true);
    expect(Object.keys(await deps.store.rolledBack(MODEL))).toEqual(['challenger']);
  });

  it('a single-config endpoint mid-update rolls back to the config it is leaving, not the one it is deploying', async () => {
    const adapter = createSagemakerAdapter(
      { adapter: 'sagemaker', endpoint: ENDPOINT, region: REGION },
      { model: MODEL, client: client() },
    );
    const deps = depsOn(adapter);
    // CI recorded cfg-4 as it started the blue/green update; cfg-3 still has the traffic.
    await ledger(deps, [
      { version: 'fraud-prod-cfg-2' },
      { version: 'fraud-prod-cfg-3' },
      { version: 'fraud-prod-cfg-4' },
    ]);
    aws('DescribeEndpoint', { EndpointName: ENDPOINT }).reply(
      200,
      {
        ...described('Updating', { AllTraffic: 1 }),
        PendingDeploymentSummary: { EndpointConfigName: 'fraud-prod-cfg-4' },
      },
      JSON_11,
    );
    aws('DescribeEndpointConfig', { EndpointConfigName: 'fraud-prod-cfg-3' }).reply(
      200,
      { EndpointConfigName: 'fraud-prod-cfg-3' },
      JSON_11,
    );

    const result = await rollback(deps, dryRun);

    expect(result.plan).toMatchObject({ from: 'fraud-prod-cfg-4', to: 'fraud-prod-cfg-3' });
  });

  it('plans the same for real as in a dry run: back to the config it is leaving, never onto the one deploying', async () => {
    const adapter = createSagemakerAdapter(
      { adapter: 'sagemaker', endpoint: ENDPOINT, region: REGION },
      { model: MODEL, client: client() },
    );
    const deps = depsOn(adapter);
    await ledger(deps, [
      { version: 'fraud-prod-cfg-2' },
      { version: 'fraud-prod-cfg-3' },
      { version: 'fraud-prod-cfg-4' },
    ]);
    aws('DescribeEndpoint', { EndpointName: ENDPOINT })
      .times(2)
      .reply(
        200,
        {
          ...described('Updating', { AllTraffic: 1 }),
          PendingDeploymentSummary: { EndpointConfigName: 'fraud-prod-cfg-4' },
        },
        JSON_11,
      );
    aws('DescribeEndpointConfig', { EndpointConfigName: 'fraud-prod-cfg-3' }).reply(
      200,
      { EndpointConfigName: 'fraud-prod-cfg-3' },
      JSON_11,
    );
    // Whether SageMaker takes the update mid-deployment is not the point: the plan is (what was asked for).
    aws('UpdateEndpoint', { EndpointName: ENDPOINT, EndpointConfigName: 'fraud-prod-cfg-3' }).reply(
      400,
      { __type: 'ValidationException', message: 'Cannot update in-progress endpoint' },
      JSON_11,
    );

    // Unlike a dry run, a real rollback first notes in the ledger what the layer serves (cfg-3, observed).
    const result = await rollback(deps, request);

    expect(result.plan).toMatchObject({ from: 'fraud-prod-cfg-4', to: 'fraud-prod-cfg-3' });
  });
});

describe('argo rollouts: revision 7 canarying at 10 % over stable revision 6', () => {
  const ROLLOUT = `/apis/argoproj.io/v1alpha1/namespaces/ml-prod/rollouts/${MODEL}`;
  const REPLICASETS = '/apis/apps/v1/namespaces/ml-prod/replicasets';
  const template = (tag: string, hash?: string) => ({
    metadata: {
      labels: { app: 'fraud', ...(hash === undefined ? {} : { 'rollouts-pod-template-hash': hash }) },
    },
    spec: { containers: [{ name: 'model', image: `registry/fraud:${tag}` }] },
  });
  const replicaSet = (revision: number, hash: string, available: number) => ({
    metadata: {
      name: `${MODEL}-${hash}`,
      labels: { app: 'fraud', 'rollouts-pod-template-hash': hash },
      annotations: { 'rollout.argoproj.io/revision': String(revision) },
      ownerReferences: [
        { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: MODEL, uid: 'uid-1', controller: true },
      ],
    },
    spec: { template: template(`v${revision}`, hash) },
    status: { replicas: available, availableReplicas: available },
  });
  const rollout = {
    metadata: { name: MODEL, namespace: 'ml-prod', uid: 'uid-1', generation: 12 },
    spec: { selector: { matchLabels: { app: 'fraud' } }, template: template('v7') },
    status: {
      stableRS: 'bbb',
      currentPodHash: 'ccc',
      phase: 'Paused',
      observedGeneration: '12',
      canary: {
        weights: {
          canary: { weight: 10, podTemplateHash: 'ccc' },
          stable: { weight: 90, podTemplateHash: 'bbb' },
        },
      },
    },
  };
  const replicaSets = { items: [replicaSet(5, 'aaa', 0), replicaSet(6, 'bbb', 3), replicaSet(7, 'ccc', 1)] };

  it('plans the abort back to the stable revision', async () => {
    const adapter = createArgoRolloutsAdapter(
      { adapter: 'argo-rollouts', namespace: 'ml-prod', name: MODEL },
      { model: MODEL, kube, timeoutMs: 2_000 },
    );
    const deps = depsOn(adapter);
    await ledger(deps, [{ version: '5' }, { version: '6' }, { version: '7', traffic: 10 }]);
    k8s()
      .get(ROLLOUT)
      .times(2)
      .reply(200, rollout)
      .get(REPLICASETS)
      .query({ labelSelector: 'app=fraud' })
      .times(2)
      .reply(200, replicaSets);

    const result = await rollback(deps, dryRun);

    expect(result.plan).toMatchObject({ from: '7', to: '6', regime: 'traffic-flip' });
  });
});

describe('http adapter with a status request, during a canary of v42', () => {
  const ROUTER = 'https://router.test';
  it('rolls back from the version the status reports to the one before it', async () => {
    const config = httpConfig.parse({
      adapter: 'http',
      rollback: { url: `${ROUTER}/models/{{model}}/rollback`, body: '{"version": "{{to}}"}' },
      status: {
        url: `${ROUTER}/models/{{model}}`,
        versionPath: 'active.version',
        previousPath: 'previous.version',
      },
    });
    const deps = depsOn(createHttpAdapter(config, { model: MODEL, env: {} }));
    await ledger(deps, [{ version: 'v40' }, { version: 'v41' }, { version: 'v42', traffic: 10 }]);
    nock(ROUTER)
      .get(`/models/${MODEL}`)
      .reply(200, { active: { version: 'v42' }, previous: { version: 'v41' } });

    const result = await rollback(deps, dryRun);

    expect(result.plan).toMatchObject({ from: 'v42', to: 'v41' });
  });
});
