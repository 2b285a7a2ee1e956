/**
 * What a request that fails in a way that is not one of rollbot's refusals is answered: a fault of the bot (an
 * unexpected exception) is 500 INTERNAL, not "unavailable"; a store that does not answer is 503 UNAVAILABLE with
 * Retry-After, so that a caller tries again once it is back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../../src/store/redis/store.js';
import { freePort } from '../../helpers/free-port.js';
import { makeDeps, type TestDeps } from '../../helpers/engine.js';
import { apiFetch, json, serveApp } from '../../helpers/http.js';

let deps: TestDeps;
let server: Awaited<ReturnType<typeof serveApp>>;

afterEach(async () => {
  await server.close();
  await deps.store.close();
});

describe('a request that fails unexpectedly', () => {
  it('is answered 500 INTERNAL, saying nothing of the cause, which goes to the log', async () => {
    deps = makeDeps();
    deps.store.listIncidentHeads = () =>
      Promise.reject(new TypeError("Cannot read properties of undefined (reading 'xoxb-secret')"));
    server = await serveApp(deps);
    const response = await apiFetch(`${server.url}/api/incidents`);
    expect(response.status).toBe(500);
    expect(response.headers.get('retry-after')).toBeNull();
    const body = await json(response);
    expect(body).toEqual({
      error: {
        code: 'INTERNAL',
        message: 'internal error; the request was not completed',
        hint: 'retry; if it persists, the bot log has the cause',
      },
    });
    expect(JSON.stringify(body)).not.toContain('xoxb-secret');
  });
});

describe('a request while the store does not answer', () => {
  it('is answered 503 UNAVAILABLE with Retry-After, naming the store', async () => {
    // A real Redis client whose server is gone: nothing listens on the port, and it does not retry.
    const store = createRedisStore({
      redis: `redis://127.0.0.1:${await freePort()}`,
      connection: { retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 1_000 },
    });
    deps = makeDeps({ store });
    server = await serveApp(deps);
    const response = await apiFetch(`${server.url}/api/incidents`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    const { error } = await json(response);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/^the store did not answer \(.+\); the request was not completed$/);
    expect(error.hint).toBe('retry in a moment; GET /readyz says when the store answers again');
  });
});
