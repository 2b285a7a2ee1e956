/**
 * The http adapter's rollback request must not be sent twice when a failure leaves unknown whether the router
 * acted on it and nothing can read the layer to tell (no `status` request): a second "roll back" to a router
 * that does not honour Idempotency-Key could repeat a change that is not idempotent.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServingError } from '../../../src/core/errors.js';
import { createHttpAdapter } from '../../../src/serving/http/adapter.js';
import { httpConfig } from '../../../src/serving/http/config.js';
import { freePort } from '../../helpers/free-port.js';
import { rollbackRun as run, flipV3ToV2 as plan } from '../../helpers/serving-calls.js';

const ROUTER = 'https://router.internal';
const env = { ROUTER_TOKEN: 'tok-123456' };
const rollback = {
  method: 'POST',
  url: `${ROUTER}/models/{{model}}/rollback`,
  headers: { Authorization: 'Bearer {{env.ROUTER_TOKEN}}' },
  body: { to: '{{to}}' },
};
const status = { url: `${ROUTER}/models/{{model}}`, versionPath: 'active.version' };

function adapter(block: Record<string, unknown>) {
  const config = httpConfig.parse({ adapter: 'http', env: ['ROUTER_TOKEN'], timeout: '1s', ...block });
  return createHttpAdapter(config, { model: 'fraud-scorer', env });
}

async function failure(promise: Promise<unknown>): Promise<ServingError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ServingError)) throw new Error(`expected a ServingError, got ${String(error)}`);
  return error;
}

/** The exact rollback request rollbot sends for `plan`: method, path, body, token and idempotency key. */
function rollbackRequest() {
  return nock(ROUTER, {
    reqheaders: { authorization: 'Bearer tok-123456', 'idempotency-key': 'INC-7:rollback:1' },
  }).post('/models/fraud-scorer/rollback', { to: 'v2' });
}

function expectUnknownEffect(error: ServingError) {
  expect(error.transient).toBe(false);
  expect(error.message).toContain(
    'its effect is unknown (it may have changed the serving layer), so rollbot does not send it again',
  );
  expect(error.hint).toContain('check what the serving layer serves before rolling back again');
  expect(error.hint).toContain('add a status request to the serving block');
  expect(error.hint).toContain('Idempotency-Key');
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('http adapter: an ambiguous failure of the rollback request without a status request', () => {
  it.each([500, 502, 504])(
    'is final after HTTP %i, which the router may have sent after acting',
    async (code) => {
      const post = rollbackRequest().reply(code, { message: 'upstream reset' });
      const error = await failure(adapter({ rollback }).execute(plan, run));
      expect(post.isDone()).toBe(true);
      expectUnknownEffect(error);
      expect(error.status).toBe(code);
      expect(error.message).toBe(
        `rollback request POST ${ROUTER}/models/fraud-scorer/rollback: HTTP ${code}: upstream reset; its effect is unknown (it may have changed the serving layer), so rollbot does not send it again`,
      );
    },
  );

  it('is final after a 503 without Retry-After (a proxy whose upstream reset mid-request says 503 too)', async () => {
    rollbackRequest().reply(503, 'upstream connect error or disconnect/reset before headers');
    expectUnknownEffect(await failure(adapter({ rollback }).execute(plan, run)));
  });

  it.each([
    ['429', 429, {}],
    ['429 with Retry-After', 429, { 'retry-after': '2' }],
    ['503 with Retry-After', 503, { 'retry-after': '2' }],
    ['409', 409, {}],
    ['408', 408, {}],
  ])(
    'stays transient after HTTP %s, which says the request was not processed',
    async (_name, code, headers) => {
      rollbackRequest().reply(code, { message: 'not now' }, headers);
      const error = await failure(adapter({ rollback }).execute(plan, run));
      expect(error).toMatchObject({ transient: true, status: code });
      expect(error.message).not.toContain('effect is unknown');
    },
  );

  it('is final after HTTP 501, which no retry mends: the router does not support the request', async () => {
    rollbackRequest().reply(501, { message: 'POST not implemented' });
    const error = await failure(adapter({ rollback }).execute(plan, run));
    expect(error).toMatchObject({ transient: false, status: 501 });
    expect(error.message).not.toContain('effect is unknown');
  });

  it('keeps a secret the router echoes in a 5xx out of the final error', async () => {
    rollbackRequest().reply(500, { message: 'crashed handling Bearer tok-123456' });
    const error = await failure(adapter({ rollback }).execute(plan, run));
    expectUnknownEffect(error);
    expect(error.message).toContain('crashed handling Bearer ***');
    expect(JSON.stringify([error.message, error.hint])).not.toContain('tok-123456');
  });

  it('is final after a timeout once the router had the request, which it received exactly once', async () => {
    const router = await localRouter(() => undefined);
    try {
      const http = adapter({ rollback: { ...rollback, url: `${router.url}/rollback` } });
      const error = await failure(http.execute(plan, run));
      expectUnknownEffect(error);
      expect(error.message).toContain('no answer within 1000ms');
      expect(error.hint).toContain('raise timeout');
      expect(router.received).toEqual(['POST /rollback {"to":"v2"}']);
      expect(await http.onTarget(plan)).toBe(false);
    } finally {
      await router.close();
    }
  });

  it('is final after the connection was reset once the request was sent', async () => {
    const router = await localRouter((req) => req.socket.destroy());
    try {
      const error = await failure(
        adapter({ rollback: { ...rollback, url: `${router.url}/rollback` } }).execute(plan, run),
      );
      expectUnknownEffect(error);
      expect(router.received).toHaveLength(1);
    } finally {
      await router.close();
    }
  });

  it('stays transient when the connection was refused: the request never left rollbot', async () => {
    const port = await freePort();
    nock.enableNetConnect('127.0.0.1');
    try {
      const error = await failure(
        adapter({ rollback: { ...rollback, url: `http://127.0.0.1:${port}/rollback` } }).execute(plan, run),
      );
      expect(error.transient).toBe(true);
      expect(error.message).toContain('ECONNREFUSED');
      expect(error.message).not.toContain('effect is unknown');
    } finally {
      nock.disableNetConnect();
    }
  });
});

describe('http adapter: the same failures with a status request', () => {
  it.each([500, 502])(
    'retries HTTP %i: the retry re-reads the layer and sends nothing once it landed',
    async (code) => {
      nock(ROUTER)
        .get('/models/fraud-scorer')
        .reply(200, { active: { version: 'v3' } });
      const post = rollbackRequest().reply(code, { message: 'gateway gave up' });
      nock(ROUTER)
        .get('/models/fraud-scorer')
        .reply(200, { active: { version: 'v2' } });
      const second = rollbackRequest().reply(200);
      const http = adapter({ rollback, status });

      const error = await failure(http.execute(plan, run));
      expect(error).toMatchObject({ transient: true, status: code });
      expect(error.message).not.toContain('effect is unknown');
      // The engine's retry: the first request did land, so this one reads the layer and sends nothing.
      const retried = await http.execute(plan, run);
      expect(retried).toEqual({
        mutated: false,
        output: 'already on v2 per the status request: nothing sent',
      });
      expect(post.isDone()).toBe(true);
      expect(second.isDone()).toBe(false);
    },
  );

  it('retries a timeout, and the retry sends again only while the layer still shows the old version', async () => {
    let version = 'v3';
    const router = await localRouter((req, res) => {
      if (req.method === 'GET') res.end(JSON.stringify({ active: { version } }));
      // The first rollback request hangs; a second one is answered.
      else if (req.method === 'POST' && router.received.filter((r) => r.startsWith('POST')).length > 1) {
        version = 'v2';
        res.end('{}');
      }
    });
    try {
      const http = adapter({
        rollback: { ...rollback, url: `${router.url}/rollback` },
        status: { ...status, url: `${router.url}/status` },
      });
      const error = await failure(http.execute(plan, run));
      expect(error.transient).toBe(true);
      expect(error.message).toContain('no answer within 1000ms');
      expect((await http.execute(plan, run)).mutated).toBe(true);
      expect(router.received).toEqual([
        'GET /status ',
        'POST /rollback {"to":"v2"}',
        'GET /status ',
        'POST /rollback {"to":"v2"}',
      ]);
    } finally {
      await router.close();
    }
  });
});

interface LocalRouter {
  url: string;
  /** `METHOD path body` of each request, as the router received it. */
  received: string[];
  close(): Promise<void>;
}

/** A real router on 127.0.0.1 (nock cannot time out or reset a request it has received, nock/nock#2919). */
async function localRouter(
  answer: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<LocalRouter> {
  const received: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push(`${req.method ?? ''} ${req.url ?? ''} ${body}`);
      answer(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  nock.enableNetConnect('127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    async close() {
      nock.disableNetConnect();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
