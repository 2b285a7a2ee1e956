import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RollbotError } from '../../../src/core/errors.js';
import { createPagerDuty } from '../../../src/paging/pagerduty.js';
import type { Page } from '../../../src/paging/types.js';

const HOST = 'https://events.pagerduty.com';

const trigger: Page = {
  action: 'trigger',
  dedupKey: 'rollbot-INC-7',
  summary: '[SEV-1] fraud-scorer: accuracy dropped (INC-7)',
  severity: 'critical',
  source: 'rollbot',
  details: { incident: 'INC-7', model: 'fraud-scorer' },
};

function pager(waits: number[] = []) {
  return createPagerDuty({
    routingKey: 'R0UTINGKEY',
    sleep: async (ms) => {
      waits.push(ms);
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

  it('gives up after bounded retries of 5xx with a clear error', async () => {
    const waits: number[] = [];
    const scope = nock(HOST).post('/v2/enqueue').times(4).reply(503, 'upstream unavailable');
    const error = await pager(waits)
      .send(trigger)
      .catch((e: unknown) => e);
    expect(scope.isDone()).toBe(true);
    expect(waits).toEqual([1000, 2000, 4000]);
    expect(error).toBeInstanceOf(RollbotError);
    expect((error as RollbotError).code).toBe('UNAVAILABLE');
    expect((error as RollbotError).message).toBe(
      'PagerDuty trigger rollbot-INC-7: HTTP 503: upstream unavailable (gave up after 4 attempts)',
    );
    expect((error as RollbotError).hint).toContain('routing key');
  });

  it('does not retry a 400 and says what PagerDuty said', async () => {
    const waits: number[] = [];
    const scope = nock(HOST)
      .post('/v2/enqueue')
      .reply(400, { status: 'invalid event', message: 'Event object is invalid', errors: ['bad'] });
    const error = await pager(waits)
      .send(trigger)
      .catch((e: unknown) => e);
    expect(scope.isDone()).toBe(true);
    expect(waits).toEqual([]);
    expect((error as RollbotError).code).toBe('BAD_REQUEST');
    expect((error as RollbotError).message).toBe(
      'PagerDuty trigger rollbot-INC-7: HTTP 400: Event object is invalid (not retried)',
    );
  });

  it('refuses a 2xx other than 202', async () => {
    nock(HOST).post('/v2/enqueue').reply(200, {});
    await expect(pager().send(trigger)).rejects.toThrow('HTTP 200, expected 202');
  });
});
