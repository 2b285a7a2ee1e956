import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ExecuteContext, RollbackPlan } from '../../../src/engine/serving-port.js';
import { createArgoRolloutsAdapter } from '../../../src/serving/argo-rollouts/adapter.js';
import type { KubeConnection } from '../../../src/serving/k8s/connection.js';
import { servingError } from '../../helpers/serving-calls.js';

const SERVER = 'https://k8s.test';
const ROLLOUT = '/apis/argoproj.io/v1alpha1/namespaces/ml-prod/rollouts/churn-predictor';
const REPLICASETS = '/apis/apps/v1/namespaces/ml-prod/replicasets';
const SELECTOR = { labelSelector: 'app=churn,tier=model' };
const config = { adapter: 'argo-rollouts' as const, namespace: 'ml-prod', name: 'churn-predictor' };
const kube = (): KubeConnection => ({ server: SERVER, token: 't', tls: {} });
const adapter = (timeoutMs = 2_000) => createArgoRolloutsAdapter(config, { model: 'churn', kube, timeoutMs });
const context: ExecuteContext = {
  idempotencyKey: 'INC-9:rollback',
  fence: 2,
  incidentId: 'INC-9',
  model: 'churn',
  reason: 'accuracy drop',
};

/** The Rollout's own pod template for an image tag: no API defaults, no hash label. */
const template = (tag: string) => ({
  metadata: { labels: { app: 'churn', tier: 'model' } },
  spec: { containers: [{ name: 'model', image: `registry/churn:${tag}` }] },
});
/** A ReplicaSet's copy of it: the hash label plus defaults the API server filled in. */
const rsTemplate = (tag: string, hash: string) => ({
  metadata: { labels: { app: 'churn', tier: 'model', 'rollouts-pod-template-hash': hash } },
  spec: {
    containers: [
      { name: 'model', image: `registry/churn:${tag}`, imagePullPolicy: 'IfNotPresent', resources: {} },
    ],
    restartPolicy: 'Always',
  },
});

function replicaSet(
  revision: number,
  hash: string,
  tag: string,
  options: { available?: number; owner?: string; history?: string } = {},
) {
  return {
    metadata: {
      name: `churn-predictor-${hash}`,
      labels: { app: 'churn', tier: 'model', 'rollouts-pod-template-hash': hash },
      annotations: {
        'rollout.argoproj.io/revision': String(revision),
        ...(options.history === undefined ? {} : { 'rollout.argoproj.io/revision-history': options.history }),
      },
      ownerReferences: [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          name: 'churn-predictor',
          uid: options.owner ?? 'uid-1',
          controller: true,
        },
      ],
    },
    spec: { template: rsTemplate(tag, hash) },
    status: { replicas: options.available ?? 0, availableReplicas: options.available ?? 0 },
  };
}

/** Revisions 5 (v5, aaa), 6 (v6, bbb) and 7 (v7, ccc), plus a ReplicaSet of another rollout. */
const history = () => ({
  items: [
    replicaSet(5, 'aaa', 'v5'),
    replicaSet(6, 'bbb', 'v6', { available: 3 }),
    replicaSet(7, 'ccc', 'v7', { available: 1 }),
    replicaSet(9, 'zzz', 'other', { owner: 'uid-other' }),
  ],
});

interface RolloutShape {
  tag?: string;
  stableRS?: string;
  currentPodHash?: string;
  phase?: string;
  abort?: boolean;
  weights?: { stable: number; canary: number } | null;
  generation?: number;
  observedGeneration?: string;
}

/** Revision 7 canarying at 10 % over stable revision 6, unless told otherwise. */
function rollout(shape: RolloutShape = {}) {
  const stableRS = shape.stableRS ?? 'bbb';
  const currentPodHash = shape.currentPodHash ?? 'ccc';
  const weights = shape.weights === undefined ? { stable: 90, canary: 10 } : shape.weights;
  return {
    metadata: {
      name: 'churn-predictor',
      namespace: 'ml-prod',
      uid: 'uid-1',
      generation: shape.generation ?? 12,
    },
    spec: {
      selector: { matchLabels: { app: 'churn', tier: 'model' } },
      template: template(shape.tag ?? 'v7'),
    },
    status: {
      stableRS,
      currentPodHash,
      phase: shape.phase ?? 'Paused',
      observedGeneration: shape.observedGeneration ?? String(shape.generation ?? 12),
      ...(shape.abort === undefined ? {} : { abort: shape.abort }),
      canary:
        weights === null
          ? {}
          : {
              weights: {
                canary: { weight: weights.canary, podTemplateHash: currentPodHash },
                stable: { weight: weights.stable, podTemplateHash: stableRS },
              },
            },
    },
  };
}
const promoted = () => rollout({ stableRS: 'ccc', weights: { stable: 100, canary: 0 }, phase: 'Healthy' });

const api = () => nock(SERVER, { reqheaders: { authorization: 'Bearer t' } });
/** GET the rollout and LIST its ReplicaSets, as state() and plan() do. */
const reads = (body: object, replicaSets: object = history()) =>
  api().get(ROLLOUT).reply(200, body).get(REPLICASETS).query(SELECTOR).reply(200, replicaSets);

async function planFor(
  body: object,
  request: { to?: string; knownGood?: string } = {},
): Promise<RollbackPlan> {
  reads(body);
  reads(body);
  const argo = adapter();
  return argo.plan({ ...request, state: await argo.state() });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

describe('argo-rollouts: state', () => {
  it('reads revisions from its own ReplicaSets and traffic from the canary weights', async () => {
    reads(rollout());
    const state = await adapter().state();
    expect(state).toStrictEqual({
      current: '7',
      traffic: [
        { version: '6', percent: 90 },
        { version: '7', percent: 10 },
      ],
      previous: '6',
      rolloutInProgress: true,
      settled: false,
      summary:
        'argo-rollouts ml-prod/churn-predictor: revision 7 rolling out over stable 6; 90% 6, 10% 7; phase Paused',
    });
  });

  it('after a promotion the previous is the second-highest revision of this rollout (not another rollout’s)', async () => {
    reads(promoted());
    expect(await adapter().state()).toMatchObject({
      current: '7',
      previous: '6',
      rolloutInProgress: false,
      settled: true,
    });
  });

  it('without a traffic router, splits traffic by available pods', async () => {
    reads(rollout({ weights: null }));
    expect((await adapter().state()).traffic).toStrictEqual([
      { version: '7', percent: 25 },
      { version: '6', percent: 75 },
    ]);
  });
});

describe('argo-rollouts: plan (dry run makes no mutating call)', () => {
  it('plans an abort (traffic flip) back to the stable revision during a rollout', async () => {
    const plan = await planFor(rollout());
    expect(plan).toMatchObject({
      from: '7',
      to: '6',
      regime: 'traffic-flip',
      etaMs: 30_000,
      data: { action: 'abort', podTemplateHash: 'bbb' },
    });
    expect(plan.actions[0]).toBe(
      'PATCH Rollout ml-prod/churn-predictor/status (application/merge-patch+json) {"status":{"abort":true}}',
    );
    expect(plan.actions[1]).toBe(
      'PATCH Rollout ml-prod/churn-predictor (application/json-patch+json) replace /spec/template with the pod template of revision 6, so that the abort sticks',
    );
    expect(nock.isDone()).toBe(true);
  });

  it('plans an undo to an explicit revision after a promotion, or to an older one during a rollout', async () => {
    expect(await planFor(promoted())).toMatchObject({
      to: '6',
      regime: 'redeploy',
      etaMs: 300_000,
      data: { action: 'undo', podTemplateHash: 'bbb' },
    });
    expect(await planFor(rollout(), { knownGood: '5' })).toMatchObject({
      to: '5',
      regime: 'redeploy',
      data: { action: 'undo', podTemplateHash: 'aaa' },
    });
  });

  it('refuses a revision that is not in the history, or the current one', async () => {
    const missing = await servingError(planFor(rollout(), { to: '3' }));
    expect(missing.message).toBe('argo-rollouts ml-prod/churn-predictor has no revision 3: it has 7, 6, 5');
    expect(missing.transient).toBe(false);
    expect((await servingError(planFor(promoted(), { to: '7' }))).message).toContain('already on revision 7');
  });
});

describe('argo-rollouts: execute abort', () => {
  /** Puts stable revision 6's template back: the undo that makes the abort stick. */
  const restoreStable = [
    {
      op: 'replace',
      path: '/spec/template',
      value: { ...rsTemplate('v6', 'bbb'), metadata: { labels: { app: 'churn', tier: 'model' } } },
    },
  ];
  const aborted = () => rollout({ abort: true, phase: 'Degraded', weights: { stable: 100, canary: 0 } });
  /** After `scope`: the re-read, and the JSON patch of the stable template, to be answered by the caller. */
  const restore = (scope: nock.Scope): nock.Interceptor =>
    scope
      .get(ROLLOUT)
      .reply(200, aborted())
      .get(REPLICASETS)
      .query(SELECTOR)
      .reply(200, history())
      .patch(ROLLOUT, restoreStable)
      .matchHeader('content-type', 'application/json-patch+json');
  /** A rollout aborted at once, then the template patch, to be answered by the caller. */
  const abortThenRestore = () =>
    restore(api().get(ROLLOUT).reply(200, rollout()).patch(`${ROLLOUT}/status`).reply(200, aborted()));

  it('merge-patches status.abort on the status subresource, then puts the stable template back', async () => {
    const plan = await planFor(rollout());
    const scope = restore(
      api()
        .get(ROLLOUT)
        .reply(200, rollout())
        .patch(`${ROLLOUT}/status`, { status: { abort: true } })
        .matchHeader('content-type', 'application/merge-patch+json')
        .reply(200, aborted()),
    ).reply(200, rollout({ tag: 'v6' }));
    const result = await adapter().execute(plan, context);
    expect(result).toEqual({
      mutated: true,
      output:
        'aborted Rollout ml-prod/churn-predictor: stable revision 6 takes the traffic back; ' +
        'restored the pod template of revision 6 on Rollout ml-prod/churn-predictor',
    });
    expect(scope.isDone()).toBe(true);
  });

  it('falls back to the main resource when there is no status subresource (404)', async () => {
    const plan = await planFor(rollout());
    const scope = restore(
      api()
        .get(ROLLOUT)
        .reply(200, rollout())
        .patch(`${ROLLOUT}/status`)
        .reply(404, { message: 'the server could not find the requested resource' })
        .patch(ROLLOUT, { status: { abort: true } })
        .matchHeader('content-type', 'application/merge-patch+json')
        .reply(200, aborted()),
    ).reply(200, rollout({ tag: 'v6' }));
    expect((await adapter().execute(plan, context)).mutated).toBe(true);
    expect(scope.isDone()).toBe(true);
  });

  it('re-executed after the abort, only puts the template back', async () => {
    const plan = await planFor(rollout());
    const scope = restore(api().get(ROLLOUT).reply(200, aborted())).reply(200, rollout({ tag: 'v6' }));
    const result = await adapter().execute(plan, context);
    expect(result.mutated).toBe(true);
    expect(result.output).toContain(
      'already aborted: no change made; restored the pod template of revision 6',
    );
    expect(scope.isDone()).toBe(true);
  });

  it('makes no change once the rollout runs the stable revision alone', async () => {
    const plan = await planFor(rollout());
    const settled = rollout({ stableRS: 'bbb', currentPodHash: 'bbb', phase: 'Healthy', tag: 'v6' });
    const scope = api()
      .get(ROLLOUT)
      .reply(200, settled)
      .get(ROLLOUT)
      .reply(200, settled)
      .get(REPLICASETS)
      .query(SELECTOR)
      .reply(200, history());
    expect(await adapter().execute(plan, context)).toMatchObject({ mutated: false });
    expect(scope.isDone()).toBe(true);
  });

  it('keeps the abort when the template may not be put back, and says what to run', async () => {
    const plan = await planFor(rollout());
    abortThenRestore().reply(403, { message: 'forbidden' });
    const result = await adapter().execute(plan, context);
    expect(result.mutated).toBe(true);
    expect(result.output).toContain('stable revision 6 takes the traffic back');
    expect(result.output).toContain(
      'to make the rollback stick, run kubectl argo rollouts undo churn-predictor -n ml-prod --to-revision=6',
    );
  });

  it('a transient failure putting the template back fails the attempt, to be retried', async () => {
    const plan = await planFor(rollout());
    abortThenRestore().reply(500, 'etcdserver: leader changed');
    expect(await servingError(adapter().execute(plan, context))).toMatchObject({
      transient: true,
      status: 500,
    });
  });

  it('403: not transient, names the RBAC verb and resource', async () => {
    const plan = await planFor(rollout());
    api().get(ROLLOUT).reply(200, rollout()).patch(`${ROLLOUT}/status`).reply(403, { message: 'forbidden' });
    const error = await servingError(adapter().execute(plan, context));
    expect(error).toMatchObject({ transient: false, status: 403 });
    expect(error.message).toBe('PATCH Rollout ml-prod/churn-predictor status: HTTP 403: forbidden');
    expect(error.hint).toContain('rollbot may not patch rollouts/status in ml-prod');
    expect(error.hint).toContain(
      'kubectl auth can-i patch rollouts.argoproj.io --subresource=status -n ml-prod',
    );
  });
});

describe('argo-rollouts: execute undo', () => {
  const expectedPatch = [
    {
      op: 'replace',
      path: '/spec/template',
      value: { ...rsTemplate('v6', 'bbb'), metadata: { labels: { app: 'churn', tier: 'model' } } },
    },
  ];

  it('JSON-patches spec.template with the target ReplicaSet’s template minus the hash label', async () => {
    const plan = await planFor(promoted());
    const scope = reads(promoted())
      .patch(ROLLOUT, expectedPatch)
      .matchHeader('content-type', 'application/json-patch+json')
      .reply(200, rollout({ tag: 'v6' }));
    expect(await adapter().execute(plan, context)).toMatchObject({ mutated: true });
    expect(scope.isDone()).toBe(true);
  });

  it('makes no call once the template matches, even though the reused ReplicaSet was renumbered', async () => {
    const plan = await planFor(promoted());
    // After the undo the controller gives the reused ReplicaSet revision 8 and keeps 6 in its history.
    const after = {
      items: [
        replicaSet(5, 'aaa', 'v5'),
        replicaSet(8, 'bbb', 'v6', { available: 3, history: '6' }),
        replicaSet(7, 'ccc', 'v7'),
      ],
    };
    const settled = rollout({ stableRS: 'bbb', currentPodHash: 'bbb', phase: 'Healthy' });
    const scope = reads({ ...settled, spec: { ...settled.spec, template: expectedPatch[0]?.value } }, after);
    expect(await adapter().execute(plan, context)).toMatchObject({ mutated: false });
    expect(scope.isDone()).toBe(true);
    // The same when the template was re-applied from Git without the API defaults the ReplicaSet carries.
    const fromGit = reads({ ...settled, spec: { ...settled.spec, template: template('v6') } }, after);
    expect(await adapter().execute(plan, context)).toMatchObject({ mutated: false });
    expect(fromGit.isDone()).toBe(true);
  });

  it('409 conflict and 5xx: transient', async () => {
    const plan = await planFor(promoted());
    reads(promoted()).patch(ROLLOUT).reply(409, { message: 'the object has been modified' });
    expect(await servingError(adapter().execute(plan, context))).toMatchObject({
      transient: true,
      status: 409,
    });
    api()
      .get(ROLLOUT)
      .reply(200, promoted())
      .get(REPLICASETS)
      .query(SELECTOR)
      .reply(500, 'etcdserver: leader changed');
    const error = await servingError(adapter().execute(plan, context));
    expect(error).toMatchObject({ transient: true, status: 500 });
    expect(error.message).toContain('LIST ReplicaSets of Rollout ml-prod/churn-predictor: HTTP 500');
  });
});

describe('argo-rollouts: errors', () => {
  it('404 (wrong name): not transient, says to check the runbook', async () => {
    api()
      .get(ROLLOUT)
      .reply(404, { kind: 'Status', message: 'rollouts.argoproj.io "churn-predictor" not found' });
    const error = await servingError(adapter().state());
    expect(error).toMatchObject({ transient: false, status: 404 });
    expect(error.hint).toContain('Rollout ml-prod/churn-predictor not found: check the namespace and name');
  });

  it('no answer within timeoutMs: transient', async () => {
    // A real socket that never answers: nock 14's delay() does not trip requestJson's socket timeout.
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    nock.enableNetConnect('127.0.0.1');
    try {
      const silent = createArgoRolloutsAdapter(config, {
        model: 'churn',
        kube: () => ({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tls: {} }),
        timeoutMs: 50,
      });
      const error = await servingError(silent.state());
      expect(error).toMatchObject({
        transient: true,
        message: 'GET Rollout ml-prod/churn-predictor: no answer within 50ms',
      });
    } finally {
      nock.disableNetConnect();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('argo-rollouts: onTarget', () => {
  const abortPlan: RollbackPlan = {
    to: '6',
    regime: 'traffic-flip',
    etaMs: 0,
    actions: [],
    data: { action: 'abort', podTemplateHash: 'bbb' },
  };
  const undoPlan: RollbackPlan = {
    ...abortPlan,
    regime: 'redeploy',
    data: { action: 'undo', podTemplateHash: 'bbb' },
  };

  it('abort: true once its template is back and the stable revision runs alone', async () => {
    api()
      .get(ROLLOUT)
      .reply(200, rollout({ stableRS: 'bbb', currentPodHash: 'bbb', phase: 'Healthy', tag: 'v6' }));
    expect(await adapter().onTarget(abortPlan)).toBe(true);
  });

  it('abort: true once aborted with the canary weight at 0 (Degraded is expected)', async () => {
    reads(rollout({ abort: true, phase: 'Degraded', weights: { stable: 100, canary: 0 } }));
    expect(await adapter().onTarget(abortPlan)).toBe(true);
    reads(rollout({ abort: true, phase: 'Degraded' }));
    expect(await adapter().onTarget(abortPlan)).toBe(false);
  });

  it('undo: true when the target hash is stable and current and the rollout Healthy at its generation', async () => {
    api()
      .get(ROLLOUT)
      .reply(200, rollout({ stableRS: 'bbb', currentPodHash: 'bbb', phase: 'Healthy', tag: 'v6' }));
    expect(await adapter().onTarget(undoPlan)).toBe(true);
    api()
      .get(ROLLOUT)
      .reply(200, rollout({ stableRS: 'ccc', currentPodHash: 'bbb', phase: 'Progressing' }));
    expect(await adapter().onTarget(undoPlan)).toBe(false);
    const unobserved = {
      stableRS: 'bbb',
      currentPodHash: 'bbb',
      phase: 'Healthy',
      generation: 13,
      observedGeneration: '12',
    };
    api().get(ROLLOUT).reply(200, rollout(unobserved));
    expect(await adapter().onTarget(undoPlan)).toBe(false);
  });
});
