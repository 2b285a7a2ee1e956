import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RollbotError } from '../../../src/core/errors.js';
import type { ExecuteContext, RollbackPlan } from '../../../src/engine/serving-port.js';
import type { KubeConnection } from '../../../src/serving/k8s/connection.js';
import { parseRunbook } from '../../../src/runbooks/parse.js';
import { formatProblem } from '../../../src/runbooks/problems.js';
import { createKserveAdapter } from '../../../src/serving/kserve/adapter.js';
import { standardKserve } from '../../helpers/kserve.js';
import { servingError } from '../../helpers/serving-calls.js';

const SERVER = 'https://k8s.test';
const PATH = '/apis/serving.kserve.io/v1beta1/namespaces/ml-prod/inferenceservices/fraud-scorer';
const kube = (): KubeConnection => ({ server: SERVER, token: 't', tls: {} });
const context: ExecuteContext = {
  idempotencyKey: 'INC-3:rollback',
  fence: 1,
  incidentId: 'INC-3',
  model: 'fraud-scorer',
  reason: 'error rate 8%',
};
const REV = (n: number) => `fraud-scorer-predictor-0000${n}`;

function knative(options: { timeoutMs?: number; component?: 'predictor' | 'transformer' } = {}) {
  const config = {
    adapter: 'kserve' as const,
    namespace: 'ml-prod',
    name: 'fraud-scorer',
    mode: 'knative' as const,
    component: options.component ?? 'predictor',
  };
  return createKserveAdapter(config, { model: 'fraud-scorer', kube, timeoutMs: options.timeoutMs ?? 2_000 });
}

interface IsvcShape {
  canaryTrafficPercent?: number;
  traffic: Record<string, unknown>[];
  generation?: number;
  observedGeneration?: number;
  ready?: string;
}

/** An InferenceService as the API returns it in Knative mode; revisions 1 (old), 2 (stable), 3 (new). */
function isvc(shape: IsvcShape) {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'fraud-scorer', namespace: 'ml-prod', generation: shape.generation ?? 4 },
    spec: {
      predictor: {
        ...(shape.canaryTrafficPercent === undefined
          ? {}
          : { canaryTrafficPercent: shape.canaryTrafficPercent }),
        sklearn: { storageUri: 'gs://models/fraud/v3' },
      },
    },
    status: {
      observedGeneration: shape.observedGeneration ?? shape.generation ?? 4,
      conditions: [{ type: 'Ready', status: shape.ready ?? 'True' }],
      components: {
        predictor: {
          latestCreatedRevision: REV(3),
          latestReadyRevision: REV(3),
          latestRolledoutRevision: REV(2),
          previousRolledoutRevision: REV(1),
          traffic: shape.traffic,
        },
      },
    },
  };
}

/** A 10 % canary of revision 3 beside stable revision 2. */
const canary = (over: Partial<IsvcShape> = {}) =>
  isvc({
    canaryTrafficPercent: 10,
    traffic: [
      { latestRevision: true, percent: 10, revisionName: REV(3), tag: 'latest' },
      { latestRevision: false, percent: 90, revisionName: REV(2), tag: 'prev' },
    ],
    ...over,
  });
/** Revision 3 promoted to 100 %: the only flip left is back to revision 1, scaled to zero. */
const promoted = isvc({ traffic: [{ latestRevision: true, percent: 100, revisionName: REV(3) }] });
/** After the flip: canaryTrafficPercent 0, revision 2 at 100 %. */
const rolledBack = (over: Partial<IsvcShape> = {}) =>
  isvc({
    canaryTrafficPercent: 0,
    traffic: [
      { latestRevision: true, percent: 0, revisionName: REV(3), tag: 'latest' },
      { latestRevision: false, percent: 100, revisionName: REV(2), tag: 'prev' },
    ],
    ...over,
  });

const api = () => nock(SERVER, { reqheaders: { authorization: 'Bearer t' } });
const MERGE = { 'content-type': 'application/merge-patch+json' };

/** Runs `test` against a local HTTP server that accepts requests and never answers. */
async function withSilentServer(test: (server: string) => Promise<void>): Promise<void> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  nock.enableNetConnect('127.0.0.1');
  try {
    await test(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    nock.disableNetConnect();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function planFor(
  body: object,
  request: { to?: string; knownGood?: string } = {},
): Promise<RollbackPlan> {
  api().get(PATH).reply(200, body);
  const adapter = knative();
  return adapter.plan({ ...request, state: await adapter.state() });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

describe('kserve knative: state', () => {
  it('reads a canary: traffic per revision, the warm prev revision, in progress, settled', async () => {
    api().get(PATH).reply(200, canary());
    const state = await knative().state();
    expect(state).toMatchObject({
      current: REV(2),
      traffic: [
        { version: REV(3), percent: 10 },
        { version: REV(2), percent: 90 },
      ],
      previous: REV(2),
      rolloutInProgress: true,
      settled: true,
    });
    expect(state.summary).toContain('canary in progress');
  });

  it('after a promotion: previousRolledoutRevision is the previous, nothing in progress', async () => {
    api().get(PATH).reply(200, promoted);
    expect(await knative().state()).toMatchObject({
      current: REV(3),
      previous: REV(1),
      rolloutInProgress: false,
    });
  });

  it('resolves a latestRevision target without a name to latestReadyRevision; unsettled at an old generation', async () => {
    api()
      .get(PATH)
      .reply(
        200,
        isvc({ traffic: [{ latestRevision: true, percent: 100 }], generation: 5, observedGeneration: 4 }),
      );
    expect(await knative().state()).toMatchObject({ current: REV(3), settled: false });
  });
});

describe('kserve knative: plan (dry run makes no mutating call)', () => {
  it('plans a traffic flip to the warm revision during a canary', async () => {
    const plan = await planFor(canary());
    expect(plan).toMatchObject({ from: REV(3), to: REV(2), regime: 'traffic-flip', etaMs: 30_000 });
    expect(plan.actions[0]).toBe(
      'PATCH InferenceService ml-prod/fraud-scorer (application/merge-patch+json) {"spec":{"predictor":{"canaryTrafficPercent":0}}}',
    );
    expect(nock.isDone()).toBe(true);
  });

  it('plans a redeploy (cold start) after a promotion, to the ledger known-good when it matches', async () => {
    const plan = await planFor(promoted, { knownGood: REV(1) });
    expect(plan).toMatchObject({ from: REV(3), to: REV(1), regime: 'redeploy', etaMs: 300_000 });
  });

  it('refuses a revision a flip cannot reach, saying how to go further back', async () => {
    const error = await servingError(planFor(canary(), { to: REV(1) }));
    expect(error.transient).toBe(false);
    expect(error.message).toContain(`only ${REV(2)} (the previous rolled-out revision) is reachable`);
    expect(error.hint).toContain('re-apply the older InferenceService spec');
  });

  it('refuses when KServe remembers no previous revision', async () => {
    const first = isvc({ traffic: [{ latestRevision: true, percent: 100, revisionName: REV(1) }] });
    const components = first.status.components.predictor as Record<string, unknown>;
    delete components.previousRolledoutRevision;
    const error = await servingError(planFor(first));
    expect(error.message).toContain('no previous rolled-out revision');
  });
});

describe('kserve knative: execute', () => {
  it('re-reads, then merge-patches canaryTrafficPercent to 0', async () => {
    const plan = await planFor(canary());
    const scope = api()
      .get(PATH)
      .reply(200, canary())
      .patch(PATH, { spec: { predictor: { canaryTrafficPercent: 0 } } })
      .matchHeader('content-type', MERGE['content-type'])
      .reply(200, rolledBack());
    expect(await knative().execute(plan, context)).toMatchObject({ mutated: true });
    expect(scope.isDone()).toBe(true);
  });

  it('patches the configured component', async () => {
    const transformer = {
      ...canary(),
      spec: { predictor: {}, transformer: { canaryTrafficPercent: 10 } },
      status: { ...canary().status, components: { transformer: canary().status.components.predictor } },
    };
    api().get(PATH).reply(200, transformer);
    const adapter = knative({ component: 'transformer' });
    const plan = await adapter.plan({ state: await adapter.state() });
    const scope = api()
      .get(PATH)
      .reply(200, transformer)
      .patch(PATH, { spec: { transformer: { canaryTrafficPercent: 0 } } })
      .reply(200, {});
    expect((await adapter.execute(plan, context)).mutated).toBe(true);
    expect(scope.isDone()).toBe(true);
  });

  it('makes no call when canaryTrafficPercent is already 0 (idempotent re-execution)', async () => {
    const plan = await planFor(canary());
    const scope = api().get(PATH).reply(200, rolledBack());
    expect(await knative().execute(plan, context)).toMatchObject({ mutated: false });
    expect(scope.isDone()).toBe(true);
  });

  it('refuses when the InferenceService moved on since the plan', async () => {
    const plan = await planFor(canary());
    api().get(PATH).reply(200, promoted);
    const error = await servingError(knative().execute(plan, context));
    expect(error.transient).toBe(false);
    expect(error.message).toContain('changed since the rollback was planned');
  });
});

describe('kserve: errors', () => {
  it('404 (wrong name): not transient, says to check the runbook', async () => {
    api().get(PATH).reply(404, { kind: 'Status', message: 'inferenceservices "fraud-scorer" not found' });
    const error = await servingError(knative().state());
    expect(error).toMatchObject({ transient: false, status: 404 });
    expect(error.message).toBe(
      'GET InferenceService ml-prod/fraud-scorer: HTTP 404: inferenceservices "fraud-scorer" not found',
    );
    expect(error.hint).toContain('check the namespace and name in the runbook serving block');
  });

  it('403 on the patch: not transient, names the RBAC rule to add', async () => {
    const plan = await planFor(canary());
    api().get(PATH).reply(200, canary()).patch(PATH).reply(403, { message: 'forbidden' });
    const error = await servingError(knative().execute(plan, context));
    expect(error).toMatchObject({ transient: false, status: 403 });
    expect(error.message).toContain('PATCH InferenceService ml-prod/fraud-scorer: HTTP 403');
    expect(error.hint).toContain('may not patch inferenceservices in ml-prod');
    expect(error.hint).toContain('kubectl auth can-i patch inferenceservices.serving.kserve.io -n ml-prod');
  });

  it('409 conflict and 5xx: transient', async () => {
    const plan = await planFor(canary());
    api().get(PATH).reply(200, canary()).patch(PATH).reply(409, { message: 'the object has been modified' });
    expect((await servingError(knative().execute(plan, context))).transient).toBe(true);
    api().get(PATH).reply(503, 'unavailable');
    expect(await servingError(knative().state())).toMatchObject({ transient: true, status: 503 });
  });

  it('no answer within timeoutMs: transient', async () => {
    // A real socket that never answers: requestJson's timeout is a socket timeout, which nock 14's delay()
    // does not trip (the delayed reply simply arrives late).
    await withSilentServer(async (server) => {
      const adapter = createKserveAdapter(
        {
          adapter: 'kserve',
          namespace: 'ml-prod',
          name: 'fraud-scorer',
          mode: 'knative',
          component: 'predictor',
        },
        { model: 'fraud-scorer', kube: () => ({ server, tls: {} }), timeoutMs: 50 },
      );
      const error = await servingError(adapter.state());
      expect(error.transient).toBe(true);
      expect(error.message).toBe('GET InferenceService ml-prod/fraud-scorer: no answer within 50ms');
    });
  });

  it('missing credentials: not transient, with the loader hint', async () => {
    const config = { adapter: 'kserve' as const, namespace: 'ml-prod', name: 'fraud-scorer' };
    const adapter = createKserveAdapter(
      { ...config, mode: 'knative', component: 'predictor' },
      {
        model: 'fraud-scorer',
        kube: () => {
          throw new RollbotError('INVALID_CONFIG', 'no Kubernetes credentials', { hint: 'set KUBECONFIG' });
        },
      },
    );
    const error = await servingError(adapter.state());
    expect(error).toMatchObject({
      transient: false,
      message: 'GET InferenceService ml-prod/fraud-scorer: no Kubernetes credentials',
      hint: 'set KUBECONFIG',
    });
  });
});

describe('kserve knative: onTarget', () => {
  const plan = {
    to: REV(2),
    regime: 'traffic-flip',
    etaMs: 0,
    actions: [],
    data: { mode: 'knative', component: 'predictor' },
  } as const;
  const onTarget = async (body: object) => {
    api().get(PATH).reply(200, body);
    return knative().onTarget({ ...plan, actions: [] });
  };

  it('true when the planned revision has 100 %, Ready, generation observed', async () => {
    expect(await onTarget(rolledBack())).toBe(true);
  });
  it('false while the canary still has traffic', async () => {
    expect(await onTarget(canary())).toBe(false);
  });
  it('false before the controller observed the patch, or while not Ready', async () => {
    expect(await onTarget(rolledBack({ generation: 5, observedGeneration: 4 }))).toBe(false);
    expect(await onTarget(rolledBack({ ready: 'False' }))).toBe(false);
  });
});

describe('kserve: config', () => {
  it('refuses a Standard-mode block for a component other than the predictor when the runbook loads', () => {
    // Not when the adapter is built, which is at the first rollback through it.
    const text =
      'model: x\nowner: "@ml"\nchannel: C0TEST0001\n' +
      'serving: { adapter: kserve, namespace: ml-prod, name: x, mode: standard, component: transformer }\n';
    const result = parseRunbook(text, 'x.yml');
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      'x.yml:4: serving.component: mode standard splits only the predictor (spec.canary): remove component, or use mode: knative',
    ]);
  });
});

describe('kserve standard: spec.canary', () => {
  const standard = () => standardKserve(2_000);
  /** Stable predictor `fraud-v2`, optionally with canary `fraud-v3` at `percent`. */
  const raw = (canaryPercent: number | undefined, over: { generation?: number; observed?: number } = {}) => ({
    metadata: { name: 'fraud-scorer', namespace: 'ml-prod', generation: over.generation ?? 7 },
    spec: {
      predictor: { name: 'fraud-v2', model: { storageUri: 'gs://models/fraud/v2' } },
      canary:
        canaryPercent === undefined
          ? []
          : [
              {
                trafficPercent: canaryPercent,
                predictor: { name: 'fraud-v3', model: { storageUri: 'gs://v3' } },
              },
            ],
    },
    status: {
      observedGeneration: over.observed ?? over.generation ?? 7,
      conditions: [{ type: 'Ready', status: 'True' }],
      ...(canaryPercent === undefined
        ? {}
        : { canaryStatuses: [{ name: 'fraud-v3', ready: true, trafficPercent: canaryPercent }] }),
    },
  });
  const planStandard = async (body: object, to?: string) => {
    api().get(PATH).reply(200, body);
    const adapter = standard();
    return adapter.plan({ ...(to === undefined ? {} : { to }), state: await adapter.state() });
  };

  it('reads the stable predictor and the canaries', async () => {
    api().get(PATH).reply(200, raw(20));
    expect(await standard().state()).toMatchObject({
      current: 'fraud-v2',
      traffic: [
        { version: 'fraud-v2', percent: 80 },
        { version: 'fraud-v3', percent: 20 },
      ],
      previous: 'fraud-v2',
      rolloutInProgress: true,
      settled: true,
    });
  });

  it('plans a flip to the stable predictor and merge-patches spec.canary to []', async () => {
    const plan = await planStandard(raw(20));
    expect(plan).toMatchObject({ from: 'fraud-v3', to: 'fraud-v2', regime: 'traffic-flip' });
    const scope = api()
      .get(PATH)
      .reply(200, raw(20))
      .patch(PATH, { spec: { canary: [] } })
      .matchHeader('content-type', MERGE['content-type'])
      .reply(200, raw(undefined, { generation: 8, observed: 7 }));
    expect(await standard().execute(plan, context)).toMatchObject({ mutated: true });
    expect(scope.isDone()).toBe(true);
  });

  it('makes no call when spec.canary is already empty', async () => {
    const plan = await planStandard(raw(20));
    const scope = api().get(PATH).reply(200, raw(undefined));
    expect(await standard().execute(plan, context)).toMatchObject({ mutated: false });
    expect(scope.isDone()).toBe(true);
  });

  it('refuses a target other than the stable predictor, and a rollback with no canary', async () => {
    expect((await servingError(planStandard(raw(20), 'fraud-v1'))).message).toContain(
      'only the stable predictor fraud-v2 is reachable',
    );
    const error = await servingError(planStandard(raw(undefined)));
    expect(error.message).toContain('no canary in spec.canary');
    expect(error.hint).toContain('re-applying the previous InferenceService spec');
  });

  it('onTarget: no canary traffic and Ready at the new generation', async () => {
    const plan = { to: 'fraud-v2', regime: 'traffic-flip' as const, etaMs: 0, actions: [], data: {} };
    api()
      .get(PATH)
      .reply(200, raw(undefined, { generation: 8 }));
    expect(await standard().onTarget(plan)).toBe(true);
    api()
      .get(PATH)
      .reply(200, raw(undefined, { generation: 8, observed: 7 }));
    expect(await standard().onTarget(plan)).toBe(false);
    api().get(PATH).reply(200, raw(20));
    expect(await standard().onTarget(plan)).toBe(false);
  });

  it('a Standard-mode canary read with mode knative (the default) is refused, naming the fix, and not patched', async () => {
    // Knative mode would find no revisions and offer only to re-apply the predictor spec, which leaves the
    // canary its HTTPRoute share: the rollback would move no traffic and fail after twice its ETA.
    api().get(PATH).reply(200, raw(20));
    const refusal = await servingError(knative().state());
    expect(refusal).toMatchObject({ transient: false });
    expect(refusal.message).toBe(
      'kserve ml-prod/fraud-scorer: spec.canary is set, which only KServe Standard mode has, but the runbook serving block says mode: knative (the default)',
    );
    expect(refusal.hint).toBe('set mode: standard in the serving block: a rollback then empties spec.canary');
    const plan = { to: 'fraud-v2', regime: 'redeploy' as const, etaMs: 0, actions: [], data: {} };
    const patch = api().patch(PATH).reply(200, {});
    api().get(PATH).reply(200, raw(20));
    const refused = await servingError(
      knative().execute({ ...plan, data: { mode: 'knative', component: 'predictor' } }, context),
    );
    expect(refused.message).toContain('spec.canary is set');
    expect(patch.isDone()).toBe(false);
  });

  it('onTarget: false while spec.canary still gives a canary a share, whatever status.canaryStatuses says yet', async () => {
    const plan = { to: 'fraud-v2', regime: 'traffic-flip' as const, etaMs: 0, actions: [], data: {} };
    // Ready at the observed generation 8, whose spec (a canary re-applied over the rollback) sends 20 % to
    // fraud-v3 through the HTTPRoute, while the status KServe wrote lists no canary traffic.
    const reapplied = raw(20, { generation: 8 });
    api()
      .get(PATH)
      .reply(200, { ...reapplied, status: { ...reapplied.status, canaryStatuses: [] } });
    expect(await standard().onTarget(plan)).toBe(false);
    // A dark canary (trafficPercent 0: the reference's rollback that keeps its pods) takes no traffic.
    api()
      .get(PATH)
      .reply(200, raw(0, { generation: 8 }));
    expect(await standard().onTarget(plan)).toBe(true);
  });
});
