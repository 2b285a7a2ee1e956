/** The Vertex AI Endpoints adapter against nock: reading the endpoint, the traffic-flip plan, execute, errors. */
import { generateKeyPairSync, verify } from 'node:crypto';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import type { ExecuteContext, RollbackPlan } from '../../../src/engine/serving-port.js';
import { createVertexAdapter } from '../../../src/serving/vertex/adapter.js';
import { CLOUD_PLATFORM_SCOPE } from '../../../src/serving/vertex/google-token.js';
import { servingError, failOnUnexpectedRequests } from '../../helpers/serving-calls.js';
import { adapter, config, MODEL, onV3, PATH, read, TOKEN, vertex } from '../../helpers/vertex.js';

const context: ExecuteContext = {
  idempotencyKey: 'INC-9:rollback',
  fence: 1,
  incidentId: 'INC-9',
  model: 'fraud-scorer',
  reason: 'error rate',
};

/** An endpoint with version 3 (deployed model 111) and version 2 (222) deployed, and the given split. */
function endpoint(split: Record<string, number>, etag = 'etag-1') {
  return {
    name: 'projects/42/locations/us-central1/endpoints/1234567890',
    deployedModels: [
      { id: '111', model: MODEL, modelVersionId: '3' },
      { id: '222', model: `${MODEL}@2` },
    ],
    trafficSplit: split,
    etag,
  };
}

const flipTo2: RollbackPlan = {
  from: '3',
  to: '2',
  regime: 'traffic-flip',
  etaMs: 60_000,
  actions: [],
  data: { deployedModelId: '222' },
};

failOnUnexpectedRequests();

describe('vertex adapter: state', () => {
  it('reads versions from modelVersionId or the @version of model, and names what is deployed at 0 %', async () => {
    read(endpoint({ '111': 100 }));
    const state = await adapter().state();
    expect(state).toMatchObject({
      current: '3',
      previous: '2',
      traffic: [
        { version: '3', percent: 100 },
        { version: '2', percent: 0 },
      ],
      rolloutInProgress: false,
    });
    expect(state.summary).toBe(
      'vertex projects/ml-prod/locations/us-central1/endpoints/1234567890: version 3 (deployed model 111) at 100 %; ' +
        'deployed at 0 %: version 2 (deployed model 222), a traffic flip away',
    );
  });

  it('calls a model without a version "1", and a split across two versions a rollout', async () => {
    read({
      deployedModels: [
        { id: '7', model: MODEL },
        { id: '8', modelVersionId: '2' },
      ],
      trafficSplit: { '7': 90, '8': 10 },
    });
    const state = await adapter().state();
    expect(state.current).toBe('1');
    expect(state.rolloutInProgress).toBe(true);
    expect(state.previous).toBeUndefined();
  });

  it('says that nothing else is deployed when only the serving version is', async () => {
    read({ deployedModels: [{ id: '111', modelVersionId: '3' }], trafficSplit: { '111': 100 } });
    expect((await adapter().state()).summary).toContain(
      'nothing else deployed: a rollback needs the previous version deployed at 0 %',
    );
  });
});

describe('vertex adapter: plan', () => {
  it("plans a traffic flip onto the ledger's known-good when it is still deployed, without changing anything", async () => {
    read(endpoint({ '111': 100 }));
    const plan = await adapter().plan({ knownGood: '2', state: onV3 });
    expect(plan).toMatchObject({
      from: '3',
      to: '2',
      regime: 'traffic-flip',
      data: { deployedModelId: '222' },
    });
    expect(plan.actions[0]).toBe(
      "chose version 2: the ledger's last known-good; deployed as 222, now at 0 %",
    );
    expect(plan.actions[1]).toContain('?updateMask=traffic_split {"trafficSplit": {"222": 100}}');
  });

  it('refuses a version no longer deployed when no machine resources show to deploy it on, saying how by hand', async () => {
    read(endpoint({ '111': 100 }));
    // The command it hands over deploys version 1: the registry is asked first that it exists.
    vertex().get(`/v1/${MODEL}@1`).reply(200, { name: MODEL, versionId: '1' });
    const error = await servingError(adapter().plan({ knownGood: '1', state: onV3 }));
    expect(error.transient).toBe(false);
    expect(error.message).toBe(
      'version 1 is no longer deployed on vertex endpoint 1234567890: deployed are version 3 (deployed model 111) at 100 %, version 2 (deployed model 222) at 0 %; ' +
        'rollbot deploys it again on the machine resources of the deployed model taking traffic, and deployed model 111 shows none',
    );
    expect(error.hint).toContain(
      'gcloud ai endpoints deploy-model 1234567890 --project=ml-prod --region=us-central1 --model=555@1',
    );
    expect(error.hint).toContain('--traffic-split=0=0,111=100');
    expect(error.hint).toContain('keep the previous version deployed at 0 % until each release is confirmed');
  });

  it('falls back to the only other version deployed at 0 % when the ledger knows none', async () => {
    read(endpoint({ '111': 100 }));
    const plan = await adapter().plan({ state: { ...onV3, previous: '2' } });
    expect(plan.actions[0]).toContain('the only other version deployed, at 0 %');
  });

  it('refuses with the ways to name a target when there is none', async () => {
    const error = await servingError(adapter().plan({ state: { ...onV3, traffic: [] } }));
    expect(error.message).toContain('no version to roll back to');
    expect(error.hint).toContain('keep the previous version deployed on the endpoint at 0 % traffic');
  });

  it('asks for the deployed model ID when a version is deployed twice, and takes one', async () => {
    const twice = {
      deployedModels: [
        { id: '111', modelVersionId: '3' },
        { id: '222', modelVersionId: '2' },
        { id: '333', modelVersionId: '2' },
      ],
      trafficSplit: { '111': 100 },
    };
    read(twice);
    const error = await servingError(adapter().plan({ to: '2', state: onV3 }));
    expect(error.hint).toContain('name the deployed model ID as the rollback target instead');
    read(twice);
    expect((await adapter().plan({ to: '333', state: onV3 })).data).toEqual({ deployedModelId: '333' });
  });
});

describe('vertex adapter: execute', () => {
  it('re-reads, then PATCHes all traffic to the target with the etag just read', async () => {
    read(endpoint({ '111': 100 }, 'etag-fresh'));
    vertex()
      .patch(PATH, { trafficSplit: { '222': 100 }, etag: 'etag-fresh' })
      .query({ updateMask: 'traffic_split' })
      .reply(200, endpoint({ '222': 100 }, 'etag-2'));
    const result = await adapter().execute(flipTo2, context);
    expect(result).toEqual({
      mutated: true,
      output:
        'PATCH projects/ml-prod/locations/us-central1/endpoints/1234567890 trafficSplit accepted: version 2 (deployed model 222) 100 %, was version 3 (deployed model 111) at 100 %',
    });
  });

  it('makes no call when the target already has all traffic', async () => {
    read(endpoint({ '222': 100 }));
    expect(await adapter().execute(flipTo2, context)).toEqual({
      mutated: false,
      output:
        'vertex projects/ml-prod/locations/us-central1/endpoints/1234567890: version 2 (deployed model 222) at 100 % already',
    });
  });

  it.each([
    [409, { error: { code: 409, message: 'Endpoint was modified concurrently', status: 'ABORTED' } }],
    [
      400,
      { error: { code: 400, message: 'etag mismatch: the resource changed', status: 'FAILED_PRECONDITION' } },
    ],
  ])('re-reads and sends again once after a lost etag race (HTTP %i)', async (status, body) => {
    read(endpoint({ '111': 100 }, 'etag-1'));
    vertex()
      .patch(PATH, { trafficSplit: { '222': 100 }, etag: 'etag-1' })
      .query(true)
      .reply(status, body);
    read(endpoint({ '111': 50, '222': 50 }, 'etag-2'));
    vertex()
      .patch(PATH, { trafficSplit: { '222': 100 }, etag: 'etag-2' })
      .query(true)
      .reply(200, endpoint({ '222': 100 }));
    expect((await adapter().execute(flipTo2, context)).mutated).toBe(true);
  });

  it('stops after the second lost race, leaving it to be retried', async () => {
    const conflict = { error: { code: 409, message: 'modified concurrently', status: 'ABORTED' } };
    read(endpoint({ '111': 100 }));
    vertex().patch(PATH).query(true).reply(409, conflict);
    read(endpoint({ '111': 100 }));
    vertex().patch(PATH).query(true).reply(409, conflict);
    const error = await servingError(adapter().execute(flipTo2, context));
    expect(error.transient).toBe(true);
    expect(error.hint).toContain('rollbot re-reads it and retries');
  });

  it('refuses when the target was undeployed since the plan', async () => {
    read({ deployedModels: [{ id: '111', modelVersionId: '3' }], trafficSplit: { '111': 100 } });
    const error = await servingError(adapter().execute(flipTo2, context));
    expect(error.message).toContain('version 2 (deployed model 222) is no longer deployed on vertex');
    expect(error.transient).toBe(false);
  });
});

describe('vertex adapter: errors', () => {
  it.each([
    [401, false, 'Google refused the access token of the service account rollbot@ml-prod'],
    [
      403,
      false,
      'allow the service account rollbot@ml-prod aiplatform.endpoints.get and aiplatform.endpoints.update on project ml-prod',
    ],
    [
      404,
      false,
      'check serving.project, serving.location and serving.endpoint (gcloud ai endpoints list --project=ml-prod --region=us-central1',
    ],
    [429, true, 'throttled by Vertex AI'],
    [503, true, 'Vertex AI failed: rollbot retries'],
  ])('HTTP %i: transient %s, with a hint that says what to check', async (status, transient, hint) => {
    vertex()
      .get(PATH)
      .reply(status, { error: { code: status, message: `refused ${TOKEN}`, status: 'X' } });
    const error = await servingError(adapter().state());
    expect(error.transient).toBe(transient);
    expect(error.status).toBe(status);
    expect(error.hint).toContain(hint);
    // A proxy that quotes the token back does not get it into the timeline or Slack.
    expect(error.message).not.toContain(TOKEN);
  });

  it('says a PATCH that failed with a 5xx may have landed, for the engine to read before retrying', async () => {
    read(endpoint({ '111': 100 }));
    vertex().patch(PATH).query(true).reply(502, 'bad gateway');
    const error = await servingError(adapter().execute(flipTo2, context));
    expect(error.effectUnknown).toBe(true);
    expect(error.transient).toBe(true);
  });
});

describe('vertex adapter: onTarget', () => {
  it('is true once the target deployed model has 100 % of trafficSplit', async () => {
    read(endpoint({ '111': 10, '222': 90 }));
    expect(await adapter().onTarget(flipTo2)).toBe(false);
    read(endpoint({ '222': 100 }));
    expect(await adapter().onTarget(flipTo2)).toBe(true);
  });
});

describe('vertex adapter: end to end with a service account key file', () => {
  it('gets a token with a signed JWT once, and sends it on every Vertex call', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = JSON.stringify({
      type: 'service_account',
      client_email: 'rollbot@ml-prod.iam.gserviceaccount.com',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    const keyPath = '/secrets/key.json';
    nock('https://oauth2.googleapis.com')
      .post('/token', (body: Record<string, string>) => {
        const [header = '', claims = '', signature = ''] = (body.assertion ?? '').split('.');
        const signed = verify(
          'sha256',
          Buffer.from(`${header}.${claims}`),
          publicKey,
          Buffer.from(signature, 'base64url'),
        );
        const decoded = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<
          string,
          unknown
        >;
        return (
          signed &&
          decoded.iss === 'rollbot@ml-prod.iam.gserviceaccount.com' &&
          decoded.scope === CLOUD_PLATFORM_SCOPE
        );
      })
      .once()
      .reply(200, { access_token: TOKEN, expires_in: 3599 });
    const live = createVertexAdapter(config, {
      model: 'fraud-scorer',
      env: { GOOGLE_APPLICATION_CREDENTIALS: keyPath },
      readFile: (path) => {
        if (path !== keyPath) throw new Error(`ENOENT: ${path}`);
        return key;
      },
      timeoutMs: 2000,
    });
    // state, plan and execute each read the endpoint; then the PATCH, then onTarget's read.
    read(endpoint({ '111': 100 }));
    read(endpoint({ '111': 100 }));
    read(endpoint({ '111': 100 }));
    vertex()
      .patch(PATH)
      .query({ updateMask: 'traffic_split' })
      .reply(200, endpoint({ '222': 100 }));
    read(endpoint({ '222': 100 }));
    const plan = await live.plan({ knownGood: '2', state: await live.state() });
    expect((await live.execute(plan, context)).mutated).toBe(true);
    expect(await live.onTarget(plan)).toBe(true);
  });
});
