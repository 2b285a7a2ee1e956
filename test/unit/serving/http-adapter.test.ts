import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServingError } from '../../../src/core/errors.js';
import type { ExecuteContext, ServingState } from '../../../src/engine/serving-port.js';
import { createHttpAdapter } from '../../../src/serving/http/adapter.js';
import { httpConfig } from '../../../src/serving/http/config.js';

const ROUTER = 'https://router.internal';
const env = { ROUTER_TOKEN: 'tok-123456', PATH: '/usr/bin' };
const run: ExecuteContext = {
  idempotencyKey: 'INC-7:rollback:1',
  fence: 4,
  incidentId: 'INC-7',
  model: 'fraud-scorer',
  reason: 'error rate 9% "above" 2%',
};

const rollback = {
  method: 'POST',
  url: `${ROUTER}/models/{{model}}/rollback`,
  headers: { Authorization: 'Bearer {{env.ROUTER_TOKEN}}', 'X-Incident': '{{incident}}' },
  body: '{"version": "{{to}}", "reason": "{{reason}}", "fence": {{fence}}}',
};
const status = {
  url: `${ROUTER}/models/{{model}}`,
  headers: { Authorization: 'Bearer {{env.ROUTER_TOKEN}}' },
  versionPath: 'active.version',
  previousPath: 'previous.version',
};

function adapter(block: Record<string, unknown>) {
  const config = httpConfig.parse({ adapter: 'http', env: ['ROUTER_TOKEN'], timeout: '1s', ...block });
  return createHttpAdapter(config, { model: 'fraud-scorer', env });
}

const onV3: ServingState = {
  current: 'v3',
  previous: 'v2',
  traffic: [{ version: 'v3', percent: 100 }],
  rolloutInProgress: false,
  settled: true,
  summary: '',
};

async function failure(promise: Promise<unknown>): Promise<ServingError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ServingError)) throw new Error(`expected a ServingError, got ${String(error)}`);
  return error;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('http adapter', () => {
  it('sends the templated rollback request with the idempotency key and the secret from env', async () => {
    const scope = nock(ROUTER, {
      reqheaders: {
        authorization: 'Bearer tok-123456',
        'idempotency-key': 'INC-7:rollback:1',
        'x-incident': 'INC-7',
        'content-type': 'application/json',
      },
    })
      .post('/models/fraud-scorer/rollback', {
        version: 'v2',
        reason: 'error rate 9% "above" 2%',
        fence: 4,
      })
      .reply(202, { accepted: true, token: 'tok-123456' });
    const http = adapter({ rollback });
    expect(http.kind).toBe('http');
    expect(http.target).toBe('http router.internal');

    const plan = await http.plan({ state: onV3 });
    const result = await http.execute(plan, run);

    expect(scope.isDone()).toBe(true);
    expect(result.mutated).toBe(true);
    expect(result.output).toContain('HTTP 202');
    expect(result.output).toContain('no status request: trusting the 2xx');
    // An echoed secret does not reach the timeline.
    expect(result.output).not.toContain('tok-123456');
    expect(await http.onTarget(plan)).toBe(true);
    expect((await http.state()).summary).toContain('trusting the 2xx');
  });

  it('plans from the requested version, then known-good, then the previous one, and shows the request masked', async () => {
    const http = adapter({ rollback, status });
    expect((await http.plan({ to: 'v1', knownGood: 'v2', state: onV3 })).to).toBe('v1');
    expect((await http.plan({ knownGood: 'v0', state: onV3 })).to).toBe('v0');
    const plan = await http.plan({ state: onV3 });
    expect(plan).toMatchObject({ from: 'v3', to: 'v2', regime: 'traffic-flip', etaMs: 30_000 });
    const text = plan.actions.join('\n');
    expect(text).toContain('POST https://router.internal/models/fraud-scorer/rollback');
    expect(text).toContain('authorization: Bearer ***');
    expect(text).toContain('idempotency-key: {{idempotencyKey}}');
    expect(text).toContain('"reason": "{{reason}}"');
    expect(text).not.toContain('tok-123456');

    const { previous: _previous, ...withoutPrevious } = onV3;
    const none = await failure(http.plan({ state: withoutPrevious }));
    expect(none.transient).toBe(false);
    expect(none.message).toContain('no version to roll back to');
  });

  it('makes no call on a dry run (plan only)', async () => {
    const scope = nock(ROUTER).post('/models/fraud-scorer/rollback').reply(200);
    const plan = await adapter({ rollback }).plan({ to: 'v2', state: onV3 });
    expect(plan.to).toBe('v2');
    expect(scope.isDone()).toBe(false);
  });

  it('reads the state from the status request', async () => {
    nock(ROUTER, { reqheaders: { authorization: 'Bearer tok-123456' } })
      .get('/models/fraud-scorer')
      .reply(200, { active: { version: 'v3' }, previous: { version: 'v2' } });
    const state = await adapter({ rollback, status }).state();
    expect(state).toMatchObject({
      current: 'v3',
      previous: 'v2',
      traffic: [{ version: 'v3', percent: 100 }],
      settled: true,
    });
  });

  it('says so when there is no status request', async () => {
    const blind = adapter({ rollback });
    expect(blind.readsState).toBe(false);
    expect(adapter({ rollback, status }).readsState).toBe(true);
    const state = await blind.state();
    expect(state).toEqual({
      traffic: [],
      rolloutInProgress: false,
      settled: true,
      summary: 'no status request configured',
    });
  });

  it('sends nothing when the status request already shows the target', async () => {
    nock(ROUTER)
      .get('/models/fraud-scorer')
      .reply(200, { active: { version: 'v2' } });
    const post = nock(ROUTER).post('/models/fraud-scorer/rollback').reply(200);
    const http = adapter({ rollback, status });
    const result = await http.execute(
      { from: 'v3', to: 'v2', regime: 'traffic-flip', etaMs: 1, actions: [], data: {} },
      run,
    );
    expect(result.mutated).toBe(false);
    expect(post.isDone()).toBe(false);
  });

  it('rolls back when the status request shows another version, with {{from}} from the status', async () => {
    nock(ROUTER)
      .get('/models/fraud-scorer')
      .reply(200, { active: { version: 'v3' }, previous: { version: 'v2' } });
    const post = nock(ROUTER, { reqheaders: { 'idempotency-key': 'INC-7:rollback:1' } })
      .post('/models/fraud-scorer/rollback', { to: 'v2', from: 'v3' })
      .reply(200);
    nock(ROUTER)
      .get('/models/fraud-scorer')
      .reply(200, { active: { version: 'v3' } });
    const http = adapter({ rollback: { ...rollback, body: { to: '{{to}}', from: '{{from}}' } }, status });
    const plan = await http.plan({ state: await http.state() });
    const result = await http.execute(plan, run);
    expect(result.mutated).toBe(true);
    expect(post.isDone()).toBe(true);
    expect(result.output).not.toContain('trusting');
  });

  it('is on target once the status request shows the target', async () => {
    nock(ROUTER)
      .get('/models/fraud-scorer')
      .reply(200, { active: { version: 'v3' } });
    nock(ROUTER)
      .get('/models/fraud-scorer')
      .reply(200, { active: { version: 2 } });
    const http = adapter({ rollback, status });
    const plan = await http.plan({ to: '2', state: onV3 });
    expect(await http.onTarget(plan)).toBe(false);
    expect(await http.onTarget(plan)).toBe(true);
  });

  it('reports a status response without the version path, pointing at versionPath', async () => {
    nock(ROUTER).get('/models/fraud-scorer').reply(200, { live: 'v3' });
    const error = await failure(adapter({ rollback, status }).state());
    expect(error.transient).toBe(false);
    expect(error.message).toContain('active.version');
    expect(error.hint).toContain('versionPath');
  });

  it('fails a 4xx at once, with a hint', async () => {
    nock(ROUTER).post('/models/fraud-scorer/rollback').reply(403, { message: 'forbidden' });
    const http = adapter({ rollback });
    const error = await failure(http.execute(await http.plan({ state: onV3 }), run));
    expect(error).toMatchObject({ transient: false, status: 403 });
    expect(error.message).toContain(
      'rollback request POST https://router.internal/models/fraud-scorer/rollback',
    );
    expect(error.hint).toContain('permissions');
    expect(await http.onTarget(await http.plan({ state: onV3 }))).toBe(false);
  });

  it('keeps a secret the router echoes in an error answer out of the error (timeline, Slack, logs)', async () => {
    nock(ROUTER)
      .post('/models/fraud-scorer/rollback')
      .reply(401, { message: 'bad credentials: Bearer tok-123456 expired' });
    nock(ROUTER)
      .get('/models/fraud-scorer')
      .reply(200, { active: { version: { id: 'v3' } }, echo: 'tok-123456' });
    const http = adapter({ rollback });
    const refused = await failure(http.execute(await http.plan({ state: onV3 }), run));
    expect(refused).toMatchObject({ transient: false, status: 401 });
    expect(refused.message).toBe(
      'rollback request POST https://router.internal/models/fraud-scorer/rollback: HTTP 401: bad credentials: Bearer *** expired',
    );
    const unreadable = await failure(adapter({ rollback, status }).state());
    expect(unreadable.hint).toContain('"echo":"***"');
    expect(JSON.stringify([refused, unreadable, refused.hint, unreadable.hint])).not.toContain('tok-123456');
  });

  // Without a status request, a 5xx that may follow the work is final: http-adapter-once.test.ts.
  it.each([409, 500, 503])('marks HTTP %i as transient when a status request is read first', async (code) => {
    nock(ROUTER)
      .get('/models/fraud-scorer')
      .reply(200, { active: { version: 'v3' } });
    nock(ROUTER).post('/models/fraud-scorer/rollback').reply(code, { message: 'busy' });
    const http = adapter({ rollback, status });
    const error = await failure(http.execute(await http.plan({ state: onV3 }), run));
    expect(error).toMatchObject({ transient: true, status: code });
  });

  it('bounds the whole request by the timeout, not each pause: a server trickling its answer times out', async () => {
    // A byte every few milliseconds keeps the socket busy, so only a deadline on the whole request ends it; the
    // trickle stops by itself well after the timeout, so unbounded code succeeds late instead of timing out.
    const trickling = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      let left = 400;
      const timer = setInterval(() => {
        left -= 1;
        if (left > 0 && !response.destroyed) {
          response.write(' ');
          return;
        }
        clearInterval(timer);
        if (!response.destroyed) response.end('{}');
      }, 10);
      response.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => trickling.listen(0, '127.0.0.1', resolve));
    const { port } = trickling.address() as AddressInfo;
    nock.enableNetConnect('127.0.0.1');
    try {
      const http = adapter({ rollback: { url: `http://127.0.0.1:${port}/rollback` }, timeout: '300ms' });
      const error = await failure(http.execute(await http.plan({ state: onV3 }), run));
      // Final, not retried: there is no status request, and the router had the request (timeouts and their
      // retries: http-adapter-once.test.ts).
      expect(error.transient).toBe(false);
      expect(error.message).toContain(
        'rollback request POST http://127.0.0.1:' +
          port +
          '/rollback: no answer within 300ms; its effect is unknown',
      );
    } finally {
      nock.disableNetConnect();
      trickling.closeAllConnections();
      await new Promise((resolve) => trickling.close(resolve));
    }
  });

  it('refuses a version that would break the request line or a header', async () => {
    const http = adapter({ rollback: { ...rollback, headers: { 'X-Version': '{{to}}' } } });
    const error = await failure(http.plan({ to: 'v2\r\nX-Admin: 1', state: onV3 }));
    expect(error.transient).toBe(false);
    expect(error.message).toContain('X-Version');
  });

  it('keeps a hostile version inside its URL segment', async () => {
    const scope = nock(ROUTER).post('/models/fraud-scorer/to/..%2Fadmin%3Fx%3D1').reply(200);
    const http = adapter({ rollback: { url: `${ROUTER}/models/{{model}}/to/{{to}}` } });
    await http.execute({ to: '../admin?x=1', regime: 'traffic-flip', etaMs: 1, actions: [], data: {} }, run);
    expect(scope.isDone()).toBe(true);
  });

  it.each(['..', '.'])(
    'refuses the version %j, which the URL would resolve away and so reach another path',
    async (to) => {
      // /models/fraud-scorer/versions/../activate is /models/fraud-scorer/activate once parsed.
      const scope = nock(ROUTER).post(/.*/).reply(200);
      const http = adapter({ rollback: { url: `${ROUTER}/models/{{model}}/versions/{{to}}/activate` } });
      const refused = await failure(http.plan({ to, state: onV3 }));
      expect(refused).toMatchObject({ transient: false });
      expect(refused.message).toContain(`"${to}"`);
      const plan = { to, regime: 'traffic-flip' as const, etaMs: 1, actions: [], data: {} };
      expect((await failure(http.execute(plan, run))).transient).toBe(false);
      expect(scope.isDone()).toBe(false);
    },
  );
});

describe('http runbook block', () => {
  const parse = (block: Record<string, unknown>) =>
    httpConfig
      .safeParse({ adapter: 'http', ...block })
      .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('refuses a literal secret, a header rollbot sets itself and unknown or unlisted placeholders', () => {
    expect(
      parse({
        rollback: {
          url: `${ROUTER}/{{modle}}`,
          headers: { Authorization: 'Bearer abc', 'Idempotency-Key': 'x', 'X-T': '{{env.TOKEN}}' },
          body: { from: '{{from}}' },
        },
      }),
    ).toEqual([
      'rollback.url: unknown placeholder {{modle}} (did you mean {{model}}?)',
      'rollback.headers.Authorization: looks like a secret written in the runbook: write {{env.NAME}} instead and list NAME in env',
      'rollback.headers.Idempotency-Key: rollbot sets Idempotency-Key itself (one key per decision): remove it',
      'rollback.headers.X-T: {{env.TOKEN}} uses TOKEN, which is not in env: add it to env (secrets come only from there)',
      'rollback.body.from: {{from}} has no value here: use only {{model}}, {{to}}, {{incident}}, {{reason}}, {{idempotencyKey}}, {{fence}}, {{env.NAME}} (NAME listed in env)',
    ]);
  });

  it('lets the status request use only {{model}} and env', () => {
    expect(
      parse({ rollback: { url: ROUTER }, status: { url: `${ROUTER}/{{to}}`, versionPath: 'v' } }),
    ).toEqual([
      'status.url: {{to}} has no value here: use only {{model}}, {{env.NAME}} (NAME listed in env)',
    ]);
  });
});
