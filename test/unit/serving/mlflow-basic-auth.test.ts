/**
 * MLflow's built-in auth app (`mlflow server --app-name basic-auth`) takes HTTP basic auth, which MLflow's own
 * clients send from MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD. The mlflow block names those
 * variables as it names its token's (`usernameEnv`, `passwordEnv` beside `tokenEnv`): the password is masked in
 * every message as the token is, and an unset variable is refused by the adapter and warned of at start-up.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isRollbotError, ServingError } from '../../../src/core/errors.js';
import { parseRunbook } from '../../../src/runbooks/parse.js';
import { unsetVariables } from '../../../src/start-warnings.js';
import { createMlflowAdapter } from '../../../src/serving/mlflow/adapter.js';
import { mlflowConfig } from '../../../src/serving/mlflow/config.js';
import { runbookYaml } from '../../helpers/engine.js';

const HOST = 'https://mlflow.example.test';
const API = '/api/2.0/mlflow';
const USER = 'rollbot';
const PASSWORD = 'p@ss:w0rd-very-secret';
const BASIC = Buffer.from(`${USER}:${PASSWORD}`, 'utf8').toString('base64');
const block = {
  adapter: 'mlflow',
  trackingUri: HOST,
  registeredModel: 'fraud',
  usernameEnv: 'MLFLOW_TRACKING_USERNAME',
  passwordEnv: 'MLFLOW_TRACKING_PASSWORD',
};
const env = { MLFLOW_TRACKING_USERNAME: USER, MLFLOW_TRACKING_PASSWORD: PASSWORD };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function problems(input: Record<string, unknown>): string[] {
  const parsed = mlflowConfig.safeParse(input);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

function construct(values: Record<string, string>): unknown {
  try {
    createMlflowAdapter(mlflowConfig.parse(block), { model: 'fraud-scorer', env: values });
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('mlflow basic auth: the runbook block', () => {
  it('takes usernameEnv and passwordEnv', () => {
    expect(problems(block)).toStrictEqual([]);
  });

  it('refuses one without the other, naming the field to add', () => {
    const { passwordEnv: _password, ...userOnly } = block;
    expect(problems(userOnly)).toStrictEqual([
      'passwordEnv: basic auth needs both usernameEnv and passwordEnv: add passwordEnv, naming the variable that holds the password (MLflow clients use MLFLOW_TRACKING_PASSWORD)',
    ]);
    const { usernameEnv: _user, ...passwordOnly } = block;
    expect(problems(passwordOnly)).toStrictEqual([
      'usernameEnv: basic auth needs both usernameEnv and passwordEnv: add usernameEnv, naming the variable that holds the user (MLflow clients use MLFLOW_TRACKING_USERNAME)',
    ]);
  });

  it('refuses a token and a user together: MLflow takes one Authorization header', () => {
    expect(problems({ ...block, tokenEnv: 'MLFLOW_TRACKING_TOKEN' })).toStrictEqual([
      'tokenEnv: give either tokenEnv (a token, sent as Authorization: Bearer) or usernameEnv and passwordEnv (sent as Authorization: Basic), not both',
    ]);
  });

  it('says where a password written in trackingUri goes instead', () => {
    expect(problems({ ...block, trackingUri: 'https://rollbot:hunter2@mlflow.example.test' })).toContainEqual(
      expect.stringContaining('usernameEnv and passwordEnv'),
    );
  });
});

describe('mlflow basic auth: the adapter', () => {
  it('sends the user and password as Authorization: Basic', async () => {
    const scope = nock(HOST, { reqheaders: { authorization: `Basic ${BASIC}` } })
      .get(`${API}/registered-models/alias`)
      .query({ name: 'fraud', alias: 'champion' })
      .reply(200, { model_version: { version: '42' } });
    const adapter = createMlflowAdapter(mlflowConfig.parse(block), { model: 'fraud-scorer', env });
    expect(await adapter.onTarget({ to: '42', regime: 'redeploy', etaMs: 1, actions: [], data: {} })).toBe(
      true,
    );
    expect(scope.isDone()).toBe(true);
  });

  it('refuses an unset password variable, naming it and its field', () => {
    const error = construct({ MLFLOW_TRACKING_USERNAME: USER });
    expect(isRollbotError(error, 'INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toBe(
      'serving.passwordEnv names MLFLOW_TRACKING_PASSWORD, which is not set',
    );
  });

  it('refuses a user with a colon, which basic auth cannot carry', () => {
    const error = construct({ ...env, MLFLOW_TRACKING_USERNAME: 'ops:rollbot' });
    expect(isRollbotError(error, 'INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toBe(
      'the MLflow user in MLFLOW_TRACKING_USERNAME contains ":", which HTTP basic auth cannot send',
    );
  });

  it('masks the password and the encoded credentials a refusal quotes back, and names both variables', async () => {
    nock(HOST)
      .get(`${API}/registered-models/alias`)
      .query(true)
      .reply(401, { error_code: 'UNAUTHENTICATED', message: `bad credentials ${PASSWORD} (Basic ${BASIC})` });
    const adapter = createMlflowAdapter(mlflowConfig.parse(block), { model: 'fraud-scorer', env });
    const error = await adapter
      .onTarget({ to: '42', regime: 'redeploy', etaMs: 1, actions: [], data: {} })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ServingError);
    const { message, hint } = error as ServingError;
    expect(message).not.toContain(PASSWORD);
    expect(message).not.toContain(BASIC);
    expect(message).toBe('MLflow GET alias fraud@champion: HTTP 401: bad credentials *** (Basic ***)');
    expect(hint).toBe(
      'check the user in MLFLOW_TRACKING_USERNAME and the password in MLFLOW_TRACKING_PASSWORD: MLflow refused them or the user lacks permission on fraud',
    );
  });
});

describe('mlflow basic auth: start-up warnings', () => {
  it('names both variables when they are unset', () => {
    const yaml = runbookYaml('fraud-scorer').replace(
      /^serving:.*$/m,
      'serving: { adapter: mlflow, trackingUri: "https://mlflow.example.com", registeredModel: fraud, usernameEnv: MLFLOW_TRACKING_USERNAME, passwordEnv: MLFLOW_TRACKING_PASSWORD }',
    );
    const parsed = parseRunbook(yaml, 'fraud-scorer.yml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const entries = unsetVariables([parsed.runbook], {}).map(({ field, name }) => ({ field, name }));
    expect(entries).toStrictEqual([
      { field: 'serving.usernameEnv', name: 'MLFLOW_TRACKING_USERNAME' },
      { field: 'serving.passwordEnv', name: 'MLFLOW_TRACKING_PASSWORD' },
    ]);
  });
});
