import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { isRollbotError } from '../../../src/core/errors.js';
import type { ExecuteContext, RollbackPlan, ServingState } from '../../../src/engine/serving-port.js';
import { createMlflowAdapter } from '../../../src/serving/mlflow/adapter.js';
import { servingError, failOnUnexpectedRequests } from '../../helpers/serving-calls.js';

const HOST = 'https://mlflow.example.test';
const API = '/tracking/api/2.0/mlflow';
const TOKEN = 'dapi-test-token';
const config = {
  adapter: 'mlflow' as const,
  trackingUri: `${HOST}/tracking/`,
  registeredModel: 'fraud',
  alias: 'champion',
  tokenEnv: 'MLFLOW_TOKEN',
};
const context: ExecuteContext = {
  idempotencyKey: 'INC-7:rollback',
  fence: 3,
  incidentId: 'INC-7',
  model: 'fraud-scorer',
  reason: 'error rate above 5%',
};

function adapter(timeoutMs?: number) {
  return createMlflowAdapter(config, {
    model: 'fraud-scorer',
    env: { MLFLOW_TOKEN: TOKEN },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}

/** The MLflow server, expecting the bearer token on every call. */
const mlflow = () => nock(HOST, { reqheaders: { authorization: `Bearer ${TOKEN}` } });

function alias(version: string, times = 1) {
  return mlflow()
    .get(`${API}/registered-models/alias`)
    .query({ name: 'fraud', alias: 'champion' })
    .times(times)
    .reply(200, { model_version: { name: 'fraud', version, status: 'READY', aliases: ['champion'] } });
}

function modelVersion(version: string, status = 'READY') {
  return mlflow()
    .get(`${API}/model-versions/get`)
    .query({ name: 'fraud', version })
    .reply(200, { model_version: { name: 'fraud', version, status } });
}

const state = (current: string, previous?: string): ServingState => ({
  current,
  traffic: [{ version: current, percent: 100 }],
  rolloutInProgress: false,
  settled: true,
  summary: '',
  ...(previous === undefined ? {} : { previous }),
});

const plan: RollbackPlan = {
  from: '42',
  to: '41',
  regime: 'redeploy',
  etaMs: 120_000,
  actions: [],
  data: {},
};

failOnUnexpectedRequests({ allowPending: true });

describe('mlflow adapter: construction', () => {
  it('names the adapter and its target', () => {
    const built = adapter();
    expect(built.kind).toBe('mlflow');
    expect(built.target).toBe('mlflow fraud@champion');
  });

  it('refuses a tokenEnv whose variable is not set, naming it', () => {
    let error: unknown;
    try {
      createMlflowAdapter(config, { model: 'fraud-scorer', env: {} });
    } catch (caught) {
      error = caught;
    }
    expect(isRollbotError(error, 'INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toContain('MLFLOW_TOKEN');
  });

  it.each([[''], ['  '], ['\n']])('refuses a tokenEnv whose variable is set to %j, as unset', (blank) => {
    let error: unknown;
    try {
      createMlflowAdapter(config, { model: 'fraud-scorer', env: { MLFLOW_TOKEN: blank } });
    } catch (caught) {
      error = caught;
    }
    expect(isRollbotError(error, 'INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toBe('serving.tokenEnv names MLFLOW_TOKEN, which is empty');
  });

  it('sends a token read with the trailing newline a Secret made from a file gives it, without it', async () => {
    const scope = mlflow()
      .get(`${API}/registered-models/alias`)
      .query({ name: 'fraud', alias: 'champion' })
      .reply(200, { model_version: { version: '42' } });
    const built = createMlflowAdapter(config, { model: 'fraud-scorer', env: { MLFLOW_TOKEN: `${TOKEN}\n` } });
    expect(await built.onTarget({ ...plan, to: '42' })).toBe(true);
    expect(scope.isDone()).toBe(true);
  });

  it('sends no Authorization header without tokenEnv', async () => {
    const { tokenEnv: _tokenEnv, ...open } = config;
    const scope = nock(HOST, { badheaders: ['authorization'] })
      .get(`${API}/registered-models/alias`)
      .query({ name: 'fraud', alias: 'champion' })
      .reply(200, { model_version: { version: '42' } });
    const built = createMlflowAdapter(open, { model: 'fraud-scorer', env: {} });
    expect(await built.onTarget({ ...plan, to: '42' })).toBe(true);
    expect(scope.isDone()).toBe(true);
  });
});

describe('mlflow adapter: state', () => {
  it('reads the alias as 100% on its version, with <alias>_prev as the previous one', async () => {
    alias('42');
    mlflow()
      .get(`${API}/registered-models/get`)
      .query({ name: 'fraud' })
      .reply(200, {
        registered_model: {
          name: 'fraud',
          aliases: [
            { alias: 'champion', version: '42' },
            { alias: 'champion_prev', version: '40' },
          ],
        },
      });
    const read = await adapter().state();
    expect(read).toMatchObject({
      current: '42',
      previous: '40',
      traffic: [{ version: '42', percent: 100 }],
      settled: true,
      rolloutInProgress: false,
    });
    expect(read.summary).toContain('routes no traffic');
  });

  it('has no previous without a <alias>_prev alias', async () => {
    alias('42');
    mlflow()
      .get(`${API}/registered-models/get`)
      .query({ name: 'fraud' })
      .reply(200, { registered_model: { name: 'fraud' } });
    expect((await adapter().state()).previous).toBeUndefined();
  });
});

describe('mlflow adapter: plan (a dry run makes no mutating call)', () => {
  it.each([
    [{ to: '39', knownGood: '41', state: state('42', '40') }, '39', 'requested'],
    [{ knownGood: '41', state: state('42', '40') }, '41', "the ledger's last known-good"],
    [{ state: state('42', '40') }, '40', 'alias champion_prev'],
  ])('chooses the target by rule: %j → %s', async (request, to, rule) => {
    const scope = modelVersion(to);
    const planned = await adapter().plan(request);
    expect(planned).toMatchObject({ from: '42', to, regime: 'redeploy', etaMs: 120_000 });
    expect(planned.actions[0]).toBe(`chose version ${to}: ${rule}`);
    expect(planned.actions.join('\n')).toContain('takes effect only when the serving layer reloads');
    expect(scope.isDone()).toBe(true);
  });

  it('falls back to the highest READY version below the current one, across pages', async () => {
    const filter = "name='fraud'";
    mlflow()
      .get(`${API}/model-versions/search`)
      .query({ filter })
      .reply(200, {
        model_versions: [
          { version: '43', status: 'READY' },
          { version: '42', status: 'READY' },
          { version: '41', status: 'FAILED_REGISTRATION' },
        ],
        next_page_token: 'p2',
      });
    mlflow()
      .get(`${API}/model-versions/search`)
      .query({ filter, page_token: 'p2' })
      .reply(200, {
        model_versions: [
          { version: '9', status: 'READY' },
          { version: '40', status: 'READY' },
        ],
      });
    modelVersion('40');
    const planned = await adapter().plan({ state: state('42') });
    expect(planned.to).toBe('40');
    expect(planned.actions[0]).toBe('chose version 40: the highest READY version below 42');
  });

  it('refuses when there is nothing to roll back to', async () => {
    mlflow().get(`${API}/model-versions/search`).query(true).reply(200, {});
    const error = await servingError(adapter().plan({ state: state('1') }));
    expect(error.transient).toBe(false);
    expect(error.hint).toContain('POST /api/deployments');
  });

  it('refuses a version that does not exist or is not READY', async () => {
    mlflow().get(`${API}/model-versions/get`).query({ name: 'fraud', version: '7' }).reply(404, {
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Model Version (name=fraud, version=7) not found',
    });
    const missing = await servingError(adapter().plan({ to: '7', state: state('42') }));
    expect(missing).toMatchObject({ transient: false, status: 404 });
    expect(missing.hint).toContain('version 7 of fraud does not exist');
    modelVersion('8', 'PENDING_REGISTRATION');
    const pending = await servingError(adapter().plan({ to: '8', state: state('42') }));
    expect(pending.message).toContain('PENDING_REGISTRATION');
    expect((await servingError(adapter().plan({ to: 'v8', state: state('42') }))).transient).toBe(false);
  });
});

describe('mlflow adapter: execute', () => {
  it('moves the alias, reads it back and tags the version rolled back from', async () => {
    alias('42');
    const move = mlflow()
      .post(`${API}/registered-models/alias`, { name: 'fraud', alias: 'champion', version: '41' })
      .reply(200, {});
    alias('41');
    const tag = mlflow()
      .post(`${API}/model-versions/set-tag`, (body: Record<string, unknown>) => {
        return (
          body.name === 'fraud' &&
          body.version === '42' &&
          body.key === 'rollbot.rolled_back' &&
          typeof body.value === 'string' &&
          /^INC-7 \d{4}-\d\d-\d\dT/.test(body.value)
        );
      })
      .reply(200, {});
    const result = await adapter().execute(plan, context);
    expect(result.mutated).toBe(true);
    expect(result.output).toContain('moved fraud@champion from version 42 to 41');
    expect(move.isDone()).toBe(true);
    expect(tag.isDone()).toBe(true);
  });

  it('still succeeds when the tag cannot be written, and says so', async () => {
    alias('42');
    mlflow().post(`${API}/registered-models/alias`).reply(200, {});
    alias('41');
    mlflow()
      .post(`${API}/model-versions/set-tag`)
      .reply(500, { error_code: 'INTERNAL_ERROR', message: 'db down' });
    const result = await adapter().execute(plan, context);
    expect(result.mutated).toBe(true);
    expect(result.output).toContain('could not tag version 42');
  });

  it('re-executing makes no second alias write (idempotent)', async () => {
    alias('42');
    const move = mlflow().post(`${API}/registered-models/alias`).reply(200, {});
    alias('41', 2);
    mlflow().post(`${API}/model-versions/set-tag`).reply(200, {});
    const built = adapter();
    expect(await built.execute(plan, context)).toMatchObject({ mutated: true });
    expect(await built.execute(plan, context)).toMatchObject({
      mutated: false,
      output: 'fraud@champion already points at version 41',
    });
    expect(move.isDone()).toBe(true);
  });

  it('fails, not transient, when the alias does not read back as the target', async () => {
    alias('42');
    mlflow().post(`${API}/registered-models/alias`).reply(200, {});
    alias('43');
    const error = await servingError(adapter().execute(plan, context));
    expect(error.transient).toBe(false);
    expect(error.message).toContain('points at version 43 after moving it to 41');
  });
});

describe('mlflow adapter: errors', () => {
  it('a wrong model or alias is not transient and says which names to check', async () => {
    mlflow().get(`${API}/registered-models/alias`).query(true).reply(404, {
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Registered model alias champion not found.',
    });
    const error = await servingError(adapter().onTarget(plan));
    expect(error).toMatchObject({ transient: false, status: 404 });
    expect(error.message).toContain('Registered model alias champion not found.');
    expect(error.hint).toContain('serving.registeredModel "fraud" and serving.alias "champion"');
  });

  it('forbidden is not transient and points at the token', async () => {
    alias('42');
    mlflow()
      .post(`${API}/registered-models/alias`)
      .reply(403, { error_code: 'PERMISSION_DENIED', message: 'User lacks permission' });
    const error = await servingError(adapter().execute(plan, context));
    expect(error).toMatchObject({ transient: false, status: 403 });
    expect(error.hint).toContain('MLFLOW_TOKEN');
  });

  it('a refusal that quotes the token back does not put it in the message (timeline, Slack, logs)', async () => {
    // An auth proxy in front of MLflow that echoes what it refused, as the http adapter's routers may.
    mlflow()
      .get(`${API}/registered-models/alias`)
      .query(true)
      .reply(401, { message: `invalid bearer token ${TOKEN} for fraud` });
    const error = await servingError(adapter().onTarget(plan));
    expect(error).toMatchObject({ transient: false, status: 401 });
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).toBe(
      'MLflow GET alias fraud@champion: HTTP 401: invalid bearer token *** for fraud',
    );
    expect(error.hint).toContain('MLFLOW_TOKEN');
  });

  it('a conflict is transient', async () => {
    alias('42');
    mlflow()
      .post(`${API}/registered-models/alias`)
      .reply(409, { error_code: 'RESOURCE_CONFLICT', message: 'busy' });
    expect((await servingError(adapter().execute(plan, context))).transient).toBe(true);
  });

  it('5xx is transient', async () => {
    mlflow().get(`${API}/registered-models/alias`).query(true).reply(503, 'upstream unavailable');
    expect(await servingError(adapter().onTarget(plan))).toMatchObject({ transient: true, status: 503 });
  });

  it('a call with no answer in time is transient', async () => {
    // A real socket that never answers: requestJson's timeout is a socket timeout, which nock's delay does not
    // trigger.
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    nock.enableNetConnect('127.0.0.1');
    try {
      const { port } = server.address() as AddressInfo;
      const silent = createMlflowAdapter(
        { ...config, trackingUri: `http://127.0.0.1:${port}` },
        { model: 'fraud-scorer', env: { MLFLOW_TOKEN: TOKEN }, timeoutMs: 50 },
      );
      const error = await servingError(silent.onTarget(plan));
      expect(error.transient).toBe(true);
      expect(error.message).toContain('no answer within 50ms');
    } finally {
      nock.disableNetConnect();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('mlflow adapter: onTarget', () => {
  it('is true when the alias resolves to the target, false otherwise', async () => {
    alias('41');
    expect(await adapter().onTarget(plan)).toBe(true);
    alias('42');
    expect(await adapter().onTarget(plan)).toBe(false);
  });
});
