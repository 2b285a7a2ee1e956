/**
 * A 303 See Other after a POST (PUT, PATCH, DELETE) says the server processed the request and put the result at
 * Location: the rollback was accepted, and must be reported as done, never as failed (a failure would be
 * escalated as "rollback failed", and a retry would send the rollback a second time). rollbot reads the result
 * with a GET, as fetch and browsers do, but only on the same host: the request's credentials never go elsewhere.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpAdapter } from '../../../src/serving/http/adapter.js';
import { httpConfig } from '../../../src/serving/http/config.js';
import { requestJson } from '../../../src/serving/request.js';
import { rollbackRun as run, flipV3ToV2 as plan } from '../../helpers/serving-calls.js';

const ROUTER = 'https://router.internal';
const env = { ROUTER_TOKEN: 'tok-123456' };

function adapter() {
  const config = httpConfig.parse({
    adapter: 'http',
    env: ['ROUTER_TOKEN'],
    rollback: {
      url: `${ROUTER}/models/{{model}}/rollback`,
      headers: { Authorization: 'Bearer {{env.ROUTER_TOKEN}}' },
      body: { to: '{{to}}' },
    },
  });
  return createHttpAdapter(config, { model: 'fraud-scorer', env });
}

const unmatched: string[] = [];
const onNoMatch = (req: { method?: string; host?: string; path?: string }) =>
  unmatched.push(`${req.method ?? '?'} ${req.host ?? ''}${req.path ?? '?'}`);
beforeAll(() => {
  nock.disableNetConnect();
  nock.emitter.on('no match', onNoMatch);
});
beforeEach(() => {
  unmatched.length = 0;
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(() => {
  nock.emitter.removeListener('no match', onNoMatch);
  nock.enableNetConnect();
});

/** The rollback POST, once, with its token. */
const rollbackPost = () =>
  nock(ROUTER, { reqheaders: { authorization: 'Bearer tok-123456' } }).post('/models/fraud-scorer/rollback', {
    to: 'v2',
  });

describe('a 303 See Other after a rollback request', () => {
  it('is the rollback done, with the result read from Location on the same host', async () => {
    const post = rollbackPost().reply(303, '', { location: '/jobs/17?sig=abc' });
    const result = nock(ROUTER, { reqheaders: { authorization: 'Bearer tok-123456' } })
      .get('/jobs/17')
      .query({ sig: 'abc' })
      .reply(200, { state: 'done', version: 'v2' });
    const built = adapter();
    const outcome = await built.execute(plan, run);
    expect(outcome.mutated).toBe(true);
    expect(outcome.output).toBe(
      `POST ${ROUTER}/models/fraud-scorer/rollback: HTTP 303 (accepted; the result at ${ROUTER}/jobs/17: HTTP 200) (no status request: trusting the 303): {"state":"done","version":"v2"}`,
    );
    expect(post.isDone()).toBe(true);
    expect(result.isDone()).toBe(true);
    expect(await built.onTarget(plan)).toBe(true);
    expect(unmatched).toStrictEqual([]);
  });

  it('is done even when the result cannot be read, and the rollback is not sent again', async () => {
    rollbackPost().reply(303, '', { location: `${ROUTER}/jobs/17` });
    nock(ROUTER).get('/jobs/17').reply(503, 'upstream busy');
    const built = adapter();
    const outcome = await built.execute(plan, run);
    expect(outcome.mutated).toBe(true);
    expect(outcome.output).toContain(
      `HTTP 303 (accepted; the result at ${ROUTER}/jobs/17 could not be read: rollback request POST ${ROUTER}/models/fraud-scorer/rollback → GET ${ROUTER}/jobs/17: HTTP 503: upstream busy)`,
    );
    expect(unmatched).toStrictEqual([]);
  });

  it('does not follow it to another host, which would get the credentials', async () => {
    rollbackPost().reply(303, '', { location: 'https://results.example.com/jobs/17?token=secret' });
    const built = adapter();
    const outcome = await built.execute(plan, run);
    expect(outcome.mutated).toBe(true);
    expect(outcome.output).toContain(
      'HTTP 303 (accepted; the result is at https://results.example.com/jobs/17, another host, which rollbot does not send the request or its credentials to)',
    );
    expect(outcome.output).not.toContain('secret');
    expect(unmatched).toStrictEqual([]);
  });

  it('does not follow it from http to https on the same host name either (another origin)', async () => {
    nock('http://router.internal').post('/go').reply(303, '', { location: 'https://router.internal/jobs/1' });
    const response = await requestJson({
      method: 'POST',
      url: 'http://router.internal/go',
      headers: { authorization: 'Bearer tok-123456' },
      body: {},
      timeoutMs: 1_000,
      what: 'POST go',
    });
    expect(response.status).toBe(303);
    expect(response.body).toBeUndefined();
    expect(unmatched).toStrictEqual([]);
  });
});

describe('a 303 See Other after a read', () => {
  it('is still a redirect rollbot does not follow (the resource is elsewhere)', async () => {
    nock(ROUTER)
      .get('/models/fraud')
      .reply(303, '', { location: `${ROUTER}/v2/models/fraud` });
    await expect(
      requestJson({ method: 'GET', url: `${ROUTER}/models/fraud`, timeoutMs: 1_000, what: 'GET model' }),
    ).rejects.toThrow('GET model: HTTP 303: redirected to https://router.internal/v2/models/fraud');
  });
});
