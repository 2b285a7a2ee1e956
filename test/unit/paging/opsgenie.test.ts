import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RollbotError } from '../../../src/core/errors.js';
import { createOpsgenie } from '../../../src/paging/opsgenie.js';
import type { Page } from '../../../src/paging/types.js';
import { TestClock } from '../../helpers/engine.js';

const HOST = 'https://api.opsgenie.com';
const AUTH = { reqheaders: { authorization: 'GenieKey k3y', 'content-type': 'application/json' } };

const trigger: Page = {
  action: 'trigger',
  dedupKey: 'rollbot-INC-7',
  summary: '[SEV-2] fraud-scorer: accuracy dropped (INC-7)',
  severity: 'error',
  source: 'rollbot',
  details: { incident: 'INC-7', attempt: 2 },
};

function pager(waits: number[] = [], url?: string, retryForMs?: number) {
  return createOpsgenie({
    apiKey: 'k3y',
    apiKeyEnv: 'OPSGENIE_API_KEY',
    ...(url === undefined ? {} : { url }),
    ...(retryForMs === undefined ? {} : { retryForMs }),
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
}

/** 'sent', or the error's message: a rejection's cause (nock's request) is more than the reporter prints. */
function outcome(sending: Promise<void>): Promise<string> {
  return sending.then(
    () => 'sent',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('Opsgenie Alert API', () => {
  it('creates an alert with the alias, priority and GenieKey', async () => {
    const scope = nock(HOST, AUTH)
      .post('/v2/alerts', {
        message: '[SEV-2] fraud-scorer: accuracy dropped (INC-7)',
        alias: 'rollbot-INC-7',
        description: '[SEV-2] fraud-scorer: accuracy dropped (INC-7)',
        priority: 'P2',
        source: 'rollbot',
        details: { incident: 'INC-7', attempt: '2' },
      })
      .reply(202, { result: 'Request will be processed', requestId: 'r1' });
    await pager().send(trigger);
    expect(scope.isDone()).toBe(true);
  });

  it.each([
    ['critical', 'P1'],
    ['warning', 'P3'],
    ['info', 'P5'],
  ] as const)('maps %s to %s and cuts the message to 130 characters', async (severity, priority) => {
    let seen: { message?: string; priority?: string } = {};
    nock(HOST, AUTH)
      .post('/v2/alerts', (body: typeof seen) => ((seen = body), true))
      .reply(202, {});
    await pager().send({ ...trigger, severity, summary: 'y'.repeat(300) });
    expect(seen.priority).toBe(priority);
    expect(seen.message).toHaveLength(130);
  });

  it('cuts the message between characters, never inside one, and shows it was cut', async () => {
    let seen: { message?: string } = {};
    nock(HOST, AUTH)
      .post('/v2/alerts', (body: typeof seen) => ((seen = body), true))
      .reply(202, {});
    await pager().send({ ...trigger, summary: `${'y'.repeat(128)}🔥 fire` });
    expect(seen.message).toBe(`${'y'.repeat(128)}…`);
  });

  it('acknowledges by alias', async () => {
    const scope = nock(HOST, AUTH)
      .post('/v2/alerts/rollbot-INC-7/acknowledge?identifierType=alias', { source: 'rollbot' })
      .reply(202, {});
    await pager().send({ ...trigger, action: 'acknowledge' });
    expect(scope.isDone()).toBe(true);
  });

  it('closes by alias on resolve, at a regional URL', async () => {
    const scope = nock('https://api.eu.opsgenie.com', AUTH)
      .post('/v2/alerts/rollbot-INC-7/close?identifierType=alias', { source: 'rollbot' })
      .reply(202, {});
    await pager([], 'https://api.eu.opsgenie.com/').send({ ...trigger, action: 'resolve' });
    expect(scope.isDone()).toBe(true);
  });

  it.each([
    'https://api.eu.opsgenie.com/v2',
    'https://api.eu.opsgenie.com/v2/',
    'https://api.eu.opsgenie.com/v2/alerts',
  ])('takes %s, the API base with its version or the alerts endpoint, as the API base', async (url) => {
    const scope = nock('https://api.eu.opsgenie.com', AUTH)
      .post('/v2/alerts', (body: { alias?: string }) => body.alias === 'rollbot-INC-7')
      .reply(202, {})
      .post('/v2/alerts/rollbot-INC-7/close?identifierType=alias', { source: 'rollbot' })
      .reply(202, {});
    // No retries: a request to a doubled path fails at once rather than for 5 minutes.
    expect(await outcome(pager([], url, 0).send(trigger))).toBe('sent');
    expect(await outcome(pager([], url, 0).send({ ...trigger, action: 'resolve' }))).toBe('sent');
    expect(scope.isDone()).toBe(true);
  });

  it('keeps the path of a proxy in front of the API', async () => {
    const scope = nock('https://proxy.example.com', AUTH)
      .post('/opsgenie/v2/alerts/rollbot-INC-7/acknowledge?identifierType=alias', { source: 'rollbot' })
      .reply(202, {});
    expect(
      await outcome(
        pager([], 'https://proxy.example.com/opsgenie', 0).send({ ...trigger, action: 'acknowledge' }),
      ),
    ).toBe('sent');
    expect(scope.isDone()).toBe(true);
  });

  it('sends the next request on an alias once Opsgenie has processed this one, not merely accepted it', async () => {
    // Opsgenie answers 202 and processes later, in no promised order: a create sent straight after a close of the
    // same alias (an escalation superseding its stage's page) could be processed first, be added to the alert still
    // open, and then be closed with it, ringing nobody. send() returns once the request status says processed.
    const waits: number[] = [];
    const scope = nock(HOST, AUTH)
      .post('/v2/alerts/rollbot-INC-7/close?identifierType=alias', { source: 'rollbot' })
      .reply(202, { result: 'Request will be processed', requestId: 'close-1' });
    const status = nock(HOST, { reqheaders: { authorization: 'GenieKey k3y' } })
      .get('/v2/alerts/requests/close-1')
      .reply(404, { message: 'Request not found. It might not be processed, yet.' })
      .get('/v2/alerts/requests/close-1')
      .reply(200, { data: { success: true, action: 'Close', isSuccess: true, status: 'Closed alert' } });
    await pager(waits).send({ ...trigger, action: 'resolve' });
    expect(scope.isDone() && status.isDone()).toBe(true);
    expect(waits).toEqual([500, 500]);
  });

  it('says an alert Opsgenie accepted but then failed to create was not delivered, rather than sent', async () => {
    // A 202 is only "Request will be processed": the request's status tells whether the alert was created. A create
    // that failed there (a disabled integration, say) rang nobody, and "page sent" would leave the on-call unpaged.
    const scope = nock(HOST, AUTH).post('/v2/alerts').reply(202, { requestId: 'create-1' });
    const status = nock(HOST, { reqheaders: { authorization: 'GenieKey k3y' } })
      .get('/v2/alerts/requests/create-1')
      .reply(200, {
        data: { success: true, action: 'Create', isSuccess: false, status: 'Integration is disabled' },
      });
    const accepted: string[] = [];
    const error = await pager()
      .send(trigger, undefined, (requestId) => accepted.push(requestId))
      .catch((e: unknown) => e);
    expect(scope.isDone() && status.isDone()).toBe(true);
    expect(accepted).toEqual(['create-1']);
    expect((error as RollbotError).code).toBe('UNAVAILABLE');
    expect((error as RollbotError).message).toBe(
      'Opsgenie trigger rollbot-INC-7: accepted as request create-1, then not processed: Integration is disabled',
    );
    expect((error as RollbotError).hint).toContain('OPSGENIE');
  });

  it('takes a close Opsgenie processed unsuccessfully (no open alert on the alias) as sent', async () => {
    nock(HOST, AUTH)
      .post('/v2/alerts/rollbot-INC-7/close?identifierType=alias')
      .reply(202, { requestId: 'close-3' });
    nock(HOST, { reqheaders: { authorization: 'GenieKey k3y' } })
      .get('/v2/alerts/requests/close-3')
      .reply(200, { data: { action: 'Close', isSuccess: false, status: 'Alert does not exist' } });
    expect(await outcome(pager().send({ ...trigger, action: 'resolve' }))).toBe('sent');
  });

  it('carries on after 10 s of polls when Opsgenie does not say the request was processed', async () => {
    const waits: number[] = [];
    const scope = nock(HOST, AUTH)
      .post('/v2/alerts/rollbot-INC-7/close?identifierType=alias')
      .reply(202, { requestId: 'close-2' });
    const status = nock(HOST, { reqheaders: { authorization: 'GenieKey k3y' } })
      .get('/v2/alerts/requests/close-2')
      .times(20)
      .reply(404, { message: 'Request not found. It might not be processed, yet.' });
    await pager(waits).send({ ...trigger, action: 'resolve' });
    expect(scope.isDone() && status.isDone()).toBe(true);
    expect(waits).toHaveLength(20);
    expect(waits.reduce((sum, ms) => sum + ms, 0)).toBe(10_000);
  });

  it('waits at most 10 s in all for the request status, however slowly its polls are answered', async () => {
    // A status endpoint that answers each poll only after a 10 s timeout (an Opsgenie partial outage) held the
    // incident's next page, and an escalation's delivery, for 20 polls of 10.5 s: three and a half minutes.
    const clock = new TestClock();
    const waits: number[] = [];
    const genie = createOpsgenie({
      apiKey: 'k3y',
      clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock.advance(ms);
      },
    });
    nock(HOST, AUTH)
      .post('/v2/alerts/rollbot-INC-7/close?identifierType=alias')
      .reply(202, { requestId: 'close-4' });
    let polls = 0;
    nock(HOST, { reqheaders: { authorization: 'GenieKey k3y' } })
      .get('/v2/alerts/requests/close-4')
      .times(20)
      .reply(() => {
        polls++;
        clock.advance(4_000);
        return [503, 'unavailable'];
      });
    await genie.send({ ...trigger, action: 'resolve' });
    // 0.5 s wait and 4 s answer, twice: 9 s; a third poll is begun within the 10 s (given what is left of them, or
    // at least the half second, as its timeout) and none after it.
    expect(waits).toEqual([500, 500, 500]);
    expect(polls).toBe(3);
  });

  it('retries 5xx then succeeds', async () => {
    const waits: number[] = [];
    const scope = nock(HOST, AUTH)
      .post('/v2/alerts')
      .reply(502, 'bad gateway')
      .post('/v2/alerts')
      .reply(202, {});
    await pager(waits).send(trigger);
    expect(scope.isDone()).toBe(true);
    expect(waits).toEqual([1000]);
  });

  it('does not retry a refused key', async () => {
    const scope = nock(HOST, AUTH)
      .post('/v2/alerts')
      .reply(422, { message: 'Request body is not processable.', took: 0.001 });
    const error = await pager()
      .send(trigger)
      .catch((e: unknown) => e);
    expect(scope.isDone()).toBe(true);
    expect((error as RollbotError).code).toBe('BAD_REQUEST');
    expect((error as RollbotError).message).toContain('HTTP 422: Request body is not processable.');
  });

  it("keeps the details within Opsgenie's 8,000 characters, cutting a long alert summary rather than the page", async () => {
    let seen: { details?: Record<string, string> } = {};
    nock(HOST, AUTH)
      .post('/v2/alerts', (body: typeof seen) => ((seen = body), true))
      .reply(202, {});
    // An escalation's details carry the alert's summary, which Alertmanager takes from an annotation of any length.
    const details = {
      incident: 'INC-7',
      model: 'fraud-scorer',
      stage: 'rollback',
      alert: 'z'.repeat(20_000),
    };
    await pager().send({ ...trigger, details });
    const sent = seen.details ?? {};
    const total = Object.entries(sent).reduce((sum, [key, value]) => sum + key.length + value.length, 0);
    expect(total).toBeLessThanOrEqual(8_000);
    expect(sent).toMatchObject({ incident: 'INC-7', model: 'fraud-scorer', stage: 'rollback' });
    expect(sent['alert']?.startsWith('zzz')).toBe(true);
  });
});
