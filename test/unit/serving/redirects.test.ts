/**
 * A serving layer that answers with a redirect (an http:// tracking URI sent to https://, a moved router path):
 * rollbot does not follow it (a redirected POST may come back as a GET, and credentials would go to wherever it
 * points), so the error says where it points and which setting to change, not "HTTP 301: no reason given".
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServingError } from '../../../src/core/errors.js';
import { createHttpAdapter } from '../../../src/serving/http/adapter.js';
import { httpConfig } from '../../../src/serving/http/config.js';
import { createMlflowAdapter } from '../../../src/serving/mlflow/adapter.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

async function failure(promise: Promise<unknown>): Promise<ServingError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ServingError)) throw new Error(`expected a ServingError, got ${String(error)}`);
  return error;
}

describe('a redirect from a serving layer', () => {
  it('names where it points and the setting to change (MLflow over http redirected to https)', async () => {
    nock('http://mlflow.internal')
      .get('/api/2.0/mlflow/registered-models/alias')
      .query(true)
      .reply(301, '<html>Moved</html>', {
        location: 'https://mlflow.internal/api/2.0/mlflow/registered-models/alias?name=fraud&alias=champion',
      })
      .get('/api/2.0/mlflow/registered-models/get')
      .query(true)
      .reply(301, '', {
        location: 'https://mlflow.internal/api/2.0/mlflow/registered-models/get?name=fraud',
      });
    const adapter = createMlflowAdapter(
      {
        adapter: 'mlflow',
        trackingUri: 'http://mlflow.internal',
        registeredModel: 'fraud',
        alias: 'champion',
      },
      { model: 'fraud', env: {} },
    );
    const error = await failure(adapter.state());
    expect(error.message).toBe(
      'MLflow GET alias fraud@champion: HTTP 301: redirected to https://mlflow.internal/api/2.0/mlflow/registered-models/alias',
    );
    expect(error.transient).toBe(false);
    expect(error.hint).toBe(
      'rollbot does not follow redirects: set the URL in the runbook serving block to where it points (https://mlflow.internal/…)',
    );
  });

  it('says so for a rollback request too, and the request is not taken as done', async () => {
    nock('https://router.internal')
      .post('/models/fraud/rollback')
      .reply(308, '', { location: 'https://router-v2.internal/models/fraud/rollback' });
    const config = httpConfig.parse({
      adapter: 'http',
      rollback: { url: 'https://router.internal/models/{{model}}/rollback', body: { version: '{{to}}' } },
    });
    const adapter = createHttpAdapter(config, { model: 'fraud', env: {} });
    const plan = { to: 'v2', from: 'v3', regime: 'traffic-flip' as const, etaMs: 1, actions: [], data: {} };
    const error = await failure(
      adapter.execute(plan, {
        idempotencyKey: 'k',
        fence: 1,
        incidentId: 'INC-1',
        model: 'fraud',
        reason: 'r',
      }),
    );
    expect(error.message).toContain(
      'HTTP 308: redirected to https://router-v2.internal/models/fraud/rollback',
    );
    expect(error.hint).toContain('rollbot does not follow redirects');
    expect(await adapter.onTarget(plan)).toBe(false);
  });
});
