/**
 * A rollback through the http adapter whose request failed in a way that leaves its effect unknown: the engine
 * sends it exactly once when nothing can read the layer, and retries only through a status read when something
 * can ("never do a rollback twice").
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rollback, type RollbackRequest } from '../../../src/engine/rollback.js';
import { createHttpAdapter } from '../../../src/serving/http/adapter.js';
import { httpConfig } from '../../../src/serving/http/config.js';
import { makeDeps, recordDeployments, type TestDeps } from '../../helpers/engine.js';

const ROUTER = 'https://router.internal';
const request: RollbackRequest = {
  model: 'fraud-scorer',
  reason: 'p99 doubled after v42',
  by: 'cli:ana',
  trigger: 'cli',
};

/** Deps whose serving layer is the http adapter; CI recorded v41, then v42 (the bad one). */
async function httpDeps(block: Record<string, unknown>): Promise<TestDeps> {
  const deps = makeDeps();
  const config = httpConfig.parse({
    adapter: 'http',
    env: ['ROUTER_TOKEN'],
    rollback: {
      url: `${ROUTER}/models/{{model}}/rollback`,
      headers: { Authorization: 'Bearer {{env.ROUTER_TOKEN}}' },
      body: { to: '{{to}}' },
    },
    ...block,
  });
  const adapter = createHttpAdapter(config, { model: 'fraud-scorer', env: { ROUTER_TOKEN: 'tok-123456' } });
  deps.serving = () => adapter;
  await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
  return deps;
}

/** The exact rollback request of the first attempt of INC-1. */
function rollbackRequest() {
  return nock(ROUTER, {
    reqheaders: { authorization: 'Bearer tok-123456', 'idempotency-key': 'INC-1:rollback:1' },
  }).post('/models/fraud-scorer/rollback', { to: 'v41' });
}

async function types(deps: TestDeps) {
  return (await deps.store.list('INC-1')).map((entry) => entry.type);
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('an http rollback request that got a 502', () => {
  it('without a status request, is sent exactly once and the rollback fails at once saying what to do', async () => {
    const deps = await httpDeps({});
    const first = rollbackRequest().reply(502, { message: 'bad gateway: upstream Bearer tok-123456 reset' });
    const again = rollbackRequest().reply(200);

    const result = await rollback(deps, request);

    expect(first.isDone()).toBe(true);
    expect(again.isDone()).toBe(false);
    expect(result.outcome).toBe('failed');
    expect(result.error?.message).toBe(
      'rollback request POST https://router.internal/models/fraud-scorer/rollback: HTTP 502: bad gateway: upstream Bearer *** reset; its effect is unknown (it may have changed the serving layer), so rollbot does not send it again',
    );
    expect(result.error?.hint).toBe(
      'check what the serving layer serves before rolling back again; add a status request to the serving block so that rollbot can read the layer before retrying; make the router honour the Idempotency-Key header (a retry sends the same key), in case its status lags',
    );
    const timeline = await types(deps);
    expect(timeline).toContain('rollback.failed');
    expect(timeline).not.toContain('rollback.retry');
    expect(JSON.stringify(await deps.store.list('INC-1'))).not.toContain('tok-123456');
  });

  it('with a status request, is retried through a status read that finds it landed, and sends nothing more', async () => {
    const deps = await httpDeps({
      status: { url: `${ROUTER}/models/{{model}}`, versionPath: 'active.version' },
    });
    const onV42 = nock(ROUTER)
      .get('/models/fraud-scorer')
      .times(2)
      .reply(200, { active: { version: 'v42' } });
    const first = rollbackRequest().reply(502, { message: 'bad gateway' });
    // The router did act: the retry's read, and the wait for traffic, see v41.
    const onV41 = nock(ROUTER)
      .get('/models/fraud-scorer')
      .times(2)
      .reply(200, { active: { version: 'v41' } });
    const again = rollbackRequest().reply(200);

    const result = await rollback(deps, request);

    expect(result.outcome).toBe('succeeded');
    expect([onV42.isDone(), first.isDone(), onV41.isDone()]).toEqual([true, true, true]);
    expect(again.isDone()).toBe(false);
    expect(result.steps.map((step) => step.text)).toContain(
      'the serving layer already matched the plan; nothing changed: already on v41 per the status request: nothing sent',
    );
    expect(await types(deps)).toContain('rollback.retry');
  });
});
