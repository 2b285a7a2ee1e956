import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RollbotError } from '../../../src/core/errors.js';
import { createPagerDuty } from '../../../src/paging/pagerduty.js';
import type { Page } from '../../../src/paging/types.js';
import { TestClock } from '../../helpers/engine.js';

const HOST = 'https://events.pagerduty.com';

const trigger: Page = {
  action: 'trigger',
  dedupKey: 'rollbot-INC-7',
  summary: '[SEV-1] fraud-scorer: accuracy dropped (INC-7)',
  severity: 'critical',
  source: 'rollbot',
  details: { incident: 'INC-7', model: 'fraud-scorer' },
};

/** A pager whose waits take no time: they are recorded, and move `clock`. */
function pager(waits: number[] = [], clock = new TestClock()) {
  return createPagerDuty({
    routingKey: 'R0UTINGKEY',
    clock,
    sleep: async (ms) => {
      waits.push(ms);
      clock.advance(ms);
    },
  });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('PagerDuty Events API v2', () => {
  it('triggers with the payload', async () => {
    const seen: unknown[] = [];
    const scope = nock(HOST)
      .post('/v2/enqueue', (body: unknown) => (seen.push(body), true))
      .matchHeader('content-type', 'application/json')
      .reply(202, { status: 'success', message: 'Event processed', dedup_key: 'rollbot-INC-7' });
    await pager().send(trigger);
    expect(scope.isDone()).toBe(true);
    expect(seen).toEqual([
      {
        routing_key: 'R0UTINGKEY',
        event_action: 'trigger',
        dedup_key: 'rollbot-INC-7',
        payload: {
          summary: '[SEV-1] fraud-scorer: accuracy dropped (INC-7)',
          source: 'rollbot',
          severity: 'critical',
          custom_details: { incident: 'INC-7', model: 'fraud-scorer' },
        },
      },
    ]);
  });

  it('cuts the summary to 1024 characters', async () => {
    let summary = '';
    nock(HOST)
      .post(
        '/v2/enqueue',
        (body: { payload: { summary: string } }) => ((summary = body.payload.summary), true),
      )
      .reply(202, {});
    await pager().send({ ...trigger, summary: 'x'.repeat(2000) });
    expect(summary).toHaveLength(1024);
  });

  it('cuts the summary between characters, never inside one, and shows it was cut', async () => {
    // An emoji is two UTF-16 units: cut between them, the summary ended in half a character (sent as a lone
    // surrogate, "\ud83d"), which a strict JSON parser refuses, and the trigger with it.
    let summary = '';
    nock(HOST)
      .post(
        '/v2/enqueue',
        (body: { payload: { summary: string } }) => ((summary = body.payload.summary), true),
      )
      .reply(202, {});
    await pager().send({ ...trigger, summary: `${'x'.repeat(1022)}🔥 fire` });
    expect(summary).toBe(`${'x'.repeat(1022)}…`);
  });

  it.each(['acknowledge', 'resolve'] as const)('%s sends no payload', async (action) => {
    const scope = nock(HOST)
      .post('/v2/enqueue', {
        routing_key: 'R0UTINGKEY',
        event_action: action,
        dedup_key: 'rollbot-INC-7',
      })
      .reply(202, {});
    await pager().send({ ...trigger, action });
    expect(scope.isDone()).toBe(true);
  });

  it('retries a 429 with backoff, honouring Retry-After', async () => {
    const waits: number[] = [];
    const scope = nock(HOST)
      .post('/v2/enqueue')
      .reply(429, { status: 'throttled' }, { 'retry-after': '2' })
      .post('/v2/enqueue')
      .reply(202, {});
    await pager(waits).send(trigger);
    expect(scope.isDone()).toBe(true);
    expect(waits).toEqual([2000]);
  });

  it('keeps retrying through a three-minute 503 outage, then delivers the page once', async () => {
    const clock = new TestClock();
    const outageEnds = clock.now() + 3 * 60_000;
    const answers: number[] = [];
    nock(HOST)
      .post('/v2/enqueue')
      .times(100)
      .reply(() => {
        const status = clock.now() < outageEnds ? 503 : 202;
        answers.push(status);
        return [status, status === 503 ? 'upstream unavailable' : { status: 'success' }];
      });
    const waits: number[] = [];
    await pager(waits, clock).send(trigger);
    expect(answers.filter((status) => status === 202)).toHaveLength(1);
    expect(answers.at(-1)).toBe(202);
    // Doubling from 1 s, then every 30 s: the page goes at most 30 s after the provider is back.
    expect(waits.slice(0, 7)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(Math.max(...waits)).toBe(30_000);
  });

  it('gives up after about five minutes of 5xx with a clear error', async () => {
    const waits: number[] = [];
    nock(HOST).post('/v2/enqueue').times(100).reply(503, 'upstream unavailable');
    const error = await pager(waits)
      .send(trigger)
      .catch((e: unknown) => e);
    expect(waits.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(5 * 60_000);
    expect(error).toBeInstanceOf(RollbotError);
    expect((error as RollbotError).code).toBe('UNAVAILABLE');
    expect((error as RollbotError).message).toBe(
      'PagerDuty trigger rollbot-INC-7: HTTP 503: upstream unavailable (gave up after 14 attempts over 4m 31s)',
    );
    expect((error as RollbotError).hint).toContain('routing key');
  });

  it('honours a Retry-After only up to 30 s', async () => {
    const waits: number[] = [];
    const scope = nock(HOST)
      .post('/v2/enqueue')
      .reply(429, { status: 'throttled' }, { 'retry-after': '120' })
      .post('/v2/enqueue')
      .reply(202, {});
    await pager(waits).send(trigger);
    expect(scope.isDone()).toBe(true);
    expect(waits).toEqual([30_000]);
  });

  it('stops retrying once the signal aborts (shutdown)', async () => {
    const stop = new AbortController();
    let requests = 0;
    nock(HOST)
      .post('/v2/enqueue')
      .times(100)
      .reply(() => (requests++, [503, 'upstream unavailable']));
    const shuttingDown = createPagerDuty({
      routingKey: 'R0UTINGKEY',
      clock: new TestClock(),
      // Shutdown comes during the first backoff, which would otherwise last its full second.
      sleep: () => (stop.abort(), new Promise<void>(() => undefined)),
    });
    await expect(shuttingDown.send(trigger, stop.signal)).rejects.toThrow(
      'PagerDuty trigger rollbot-INC-7: stopped retrying after 1 attempts',
    );
    expect(requests).toBe(1);
  });

  it('retries a 408 (a proxy or the provider timing the request out): nothing was taken, and the dedup key makes a second try safe', async () => {
    const waits: number[] = [];
    const scope = nock(HOST)
      .post('/v2/enqueue')
      .reply(408, 'Request Timeout')
      .post('/v2/enqueue')
      .reply(202, { status: 'success' });
    await pager(waits).send(trigger);
    expect(scope.isDone()).toBe(true);
    expect(waits).toEqual([1000]);
  });

  it('does not retry a 400 and says what PagerDuty said, its errors included', async () => {
    const waits: number[] = [];
    // As PagerDuty answers a payload it refuses: the reason is in `errors`, the message says only "invalid".
    const scope = nock(HOST)
      .post('/v2/enqueue')
      .reply(400, {
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ["'payload.severity' is invalid (must be one of: critical, error, warning, info)"],
      });
    const error = await pager(waits)
      .send(trigger)
      .catch((e: unknown) => e);
    expect(scope.isDone()).toBe(true);
    expect(waits).toEqual([]);
    expect((error as RollbotError).code).toBe('BAD_REQUEST');
    expect((error as RollbotError).message).toBe(
      "PagerDuty trigger rollbot-INC-7: HTTP 400: Event object is invalid: 'payload.severity' is invalid (must be one of: critical, error, warning, info) (not retried)",
    );
  });

  it('refuses a 2xx other than 202', async () => {
    nock(HOST).post('/v2/enqueue').reply(200, {});
    await expect(pager().send(trigger)).rejects.toThrow('HTTP 200, expected 202');
  });

  it.each(['https://events.eu.pagerduty.com', 'https://events.eu.pagerduty.com/'])(
    'takes a url of the API base (%s), as the runbook documents it, and posts to its /v2/enqueue',
    async (url) => {
      const scope = nock('https://events.eu.pagerduty.com').post('/v2/enqueue').reply(202, {});
      // No retries: a post nock does not expect fails at once.
      await createPagerDuty({ routingKey: 'R0UTINGKEY', url, retryForMs: 0 }).send(trigger);
      expect(scope.isDone()).toBe(true);
    },
  );

  it.each([
    'https://events.eu.pagerduty.com/v2',
    'https://events.eu.pagerduty.com/v2/',
    'https://events.eu.pagerduty.com/v2/enqueue/',
  ])(
    'takes %s, the API base with its version or the endpoint with a trailing slash, as /v2/enqueue',
    async (url) => {
      const scope = nock('https://events.eu.pagerduty.com').post('/v2/enqueue').reply(202, {});
      // No retries: a post to /v2, a 404, fails at once, every page refused.
      await createPagerDuty({ routingKey: 'R0UTINGKEY', url, retryForMs: 0 }).send(trigger);
      expect(scope.isDone()).toBe(true);
    },
  );

  it('keeps the path of a proxy in front of the API', async () => {
    const scope = nock('https://proxy.example.com').post('/pagerduty/v2/enqueue').reply(202, {});
    await createPagerDuty({
      routingKey: 'R0UTINGKEY',
      url: 'https://proxy.example.com/pagerduty/v2/enqueue',
      retryForMs: 0,
    }).send(trigger);
    expect(scope.isDone()).toBe(true);
  });

  it('takes a url of the full enqueue endpoint as it is', async () => {
    const scope = nock('https://events.eu.pagerduty.com').post('/v2/enqueue').reply(202, {});
    await createPagerDuty({
      routingKey: 'R0UTINGKEY',
      url: 'https://events.eu.pagerduty.com/v2/enqueue',
    }).send(trigger);
    expect(scope.isDone()).toBe(true);
  });
});
