import { Writable } from 'node:stream';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acknowledge } from '../../src/engine/decisions.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { resolve } from '../../src/engine/resolve.js';
import { RunbookSet } from '../../src/engine/runbook-set.js';
import { createPagingNotifier, type SetTimer } from '../../src/paging/notifier.js';
import { pagingKeys, pagingRoutes } from '../../src/paging/routes.js';
import { createLogger } from '../../src/observability/logger.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { firing } from '../helpers/alerts.js';
import { makeDeps, makeRunbook } from '../helpers/engine.js';

const PAGING = 'paging: { provider: pagerduty, routingKeyEnv: FRAUD_PD_KEY }';
const PD = 'https://events.pagerduty.com';
/** Keys of the forms the providers take: a PagerDuty integration key is 32 characters, an Opsgenie API key a UUID. */
const PD_KEY = 'R0utingKey0f32CharactersExactly0';
const GENIE_KEY = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

interface PdEvent {
  event_action: string;
  dedup_key: string;
}

/**
 * An engine for fraud-scorer paging through PagerDuty on the test clock: each retry wait of the pager is held
 * until the test calls `wake()`, and the error log lines are kept in `errors`.
 */
function pagingOnTestTime(setTimer?: SetTimer) {
  const runbook = makeRunbook('fraud-scorer', PAGING);
  const deps = makeDeps({ runbooks: [runbook] });
  const waiting: (() => void)[] = [];
  let firstWait: () => void = () => undefined;
  const waitStarted = new Promise<void>((resolve) => (firstWait = resolve));
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      waiting.push(() => (deps.clock.advance(ms), resolve()));
      firstWait();
    });
  const errors: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      errors.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const paging = createPagingNotifier({
    inner: deps.notifier,
    pagerFor: pagingRoutes(
      new RunbookSet([runbook]),
      { FRAUD_PD_KEY: PD_KEY },
      {
        sleep,
        clock: deps.clock,
      },
    ),
    clock: deps.clock,
    logger: createLogger({ level: 'error', destination }),
    ...(setTimer ? { setTimer } : {}),
  });
  const wake = () => waiting.splice(0).forEach((resolve) => resolve());
  return { engine: { ...deps, notifier: paging }, paging, waitStarted, wake, errors };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('paging through the runbook', () => {
  it('triggers for a SEV-1, acknowledges when someone is on it, resolves with the incident — one dedup key', async () => {
    const runbook = makeRunbook('fraud-scorer', PAGING);
    const deps = makeDeps({ runbooks: [runbook] });
    const paging = createPagingNotifier({
      inner: deps.notifier,
      pagerFor: pagingRoutes(new RunbookSet([runbook]), { FRAUD_PD_KEY: PD_KEY }),
      clock: deps.clock,
      logger: createLogger({ level: 'silent' }),
    });
    const engine = { ...deps, notifier: paging };
    const sent: { event_action: string; dedup_key: string; routing_key: string }[] = [];
    nock('https://events.pagerduty.com')
      .post('/v2/enqueue', (body) => (sent.push(body), true))
      .times(3)
      .reply(202, { status: 'success' });

    await ingestAlerts(engine, [firing('fraud-scorer', deps.clock.now())]);
    await paging.idle();
    await acknowledge(engine, 'INC-1', 'U0ANA');
    await paging.idle();
    await resolve(engine, 'INC-1', { by: 'U0ANA', reason: 'fixed' });
    await paging.idle();
    const actions = sent.map((body) => [body.event_action, body.dedup_key, body.routing_key]);
    expect(actions.slice(0, 2)).toEqual([
      ['trigger', 'rollbot-INC-1', PD_KEY],
      ['acknowledge', 'rollbot-INC-1', PD_KEY],
    ]);
    expect(actions.at(-1)).toEqual(['resolve', 'rollbot-INC-1', PD_KEY]);
  });

  it('a trigger and the resolve that follows it during a PagerDuty outage reach PagerDuty in that order', async () => {
    const { engine, paging, waitStarted, wake } = pagingOnTestTime();
    let down = true;
    const accepted: string[] = [];
    nock(PD)
      .post('/v2/enqueue')
      .times(4)
      .reply((_uri, body) => {
        if (down) return [503, 'upstream unavailable'];
        const event = body as PdEvent;
        accepted.push(`${event.event_action} ${event.dedup_key}`);
        return [202, { status: 'success' }];
      });

    await ingestAlerts(engine, [firing('fraud-scorer', engine.clock.now())]);
    await waitStarted; // the trigger got a 503 and waits to retry
    down = false; // PagerDuty is back before the trigger's next attempt, when the incident is resolved
    await acknowledge(engine, 'INC-1', 'U0ANA');
    await resolve(engine, 'INC-1', { by: 'U0ANA', reason: 'fixed' });
    wake();
    await paging.idle();

    expect(accepted).toEqual(['trigger rollbot-INC-1', 'acknowledge rollbot-INC-1', 'resolve rollbot-INC-1']);
  });

  it('shutdown during a PagerDuty outage returns at its deadline and logs the page it abandons', async () => {
    let deadlinePasses: () => void = () => undefined;
    const { engine, paging, waitStarted, errors } = pagingOnTestTime((fn) => {
      deadlinePasses = fn;
      return () => undefined;
    });
    nock(PD).post('/v2/enqueue').reply(503, 'upstream unavailable');

    await ingestAlerts(engine, [firing('fraud-scorer', engine.clock.now())]);
    await waitStarted;
    const stopping = paging.idle();
    deadlinePasses();
    await stopping;

    expect(errors).toEqual([
      expect.objectContaining({
        incidentId: 'INC-1',
        action: 'trigger',
        msg: expect.stringContaining('nobody was paged: page the on-call by hand'),
      }),
    ]);
  });

  it('a routing key PagerDuty refuses fails at once, with what to check in the log', async () => {
    const { engine, paging, errors } = pagingOnTestTime();
    nock(PD).post('/v2/enqueue').reply(400, { status: 'invalid event', message: 'Invalid routing key' });

    await ingestAlerts(engine, [firing('fraud-scorer', engine.clock.now())]);
    await paging.idle();

    expect(errors).toEqual([
      expect.objectContaining({
        incidentId: 'INC-1',
        action: 'trigger',
        msg:
          'paging failed: the trigger page for INC-1 was not delivered; nobody was paged: page the on-call by ' +
          'hand (check the PagerDuty routing key in FRAUD_PD_KEY and that events.pagerduty.com is reachable)',
        err: 'PagerDuty trigger rollbot-INC-1: HTTP 400: Invalid routing key (not retried)',
      }),
    ]);
  });

  it('stops start-up when the runbook names a key variable that is not set', () => {
    const runbooks = new RunbookSet([makeRunbook('fraud-scorer', PAGING)]);
    expect(() => pagingRoutes(runbooks, {})).toThrow(
      'runbook fraud-scorer pages through pagerduty with the key in FRAUD_PD_KEY, which is not set',
    );
  });

  it('gives the logger the keys it sends, so that a message quoting one shows it masked', () => {
    const runbooks = new RunbookSet([
      makeRunbook('fraud-scorer', PAGING),
      makeRunbook('churn-predictor', 'paging: { provider: opsgenie, apiKeyEnv: CHURN_GENIE_KEY }'),
      makeRunbook('silent-model'),
    ]);
    const keys = pagingKeys(runbooks, { FRAUD_PD_KEY: 'pd-routing-key\n', CHURN_GENIE_KEY: 'genie-key-1' });
    expect(keys).toEqual(['pd-routing-key', 'genie-key-1']);
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    createLogger({ level: 'error', destination, secrets: keys }).error(
      'PagerDuty refused routing key pd-routing-key; Opsgenie refused genie-key-1',
    );
    expect(lines.join('')).toContain('PagerDuty refused routing key [redacted]; Opsgenie refused [redacted]');
  });

  it('sends a key read with the trailing newline a Secret made from a file has, without it', async () => {
    const pd = makeRunbook('fraud-scorer', PAGING);
    const genie = makeRunbook(
      'churn-predictor',
      'paging: { provider: opsgenie, apiKeyEnv: CHURN_GENIE_KEY }',
    );
    const routes = pagingRoutes(
      new RunbookSet([pd, genie]),
      { FRAUD_PD_KEY: `${PD_KEY}\n`, CHURN_GENIE_KEY: ` ${GENIE_KEY}\r\n` },
      { retryForMs: 0 },
    );
    const page = {
      action: 'trigger',
      dedupKey: 'rollbot-INC-1',
      summary: 'down',
      severity: 'critical',
      source: 'rollbot',
    } as const;
    const pdScope = nock(PD)
      .post('/v2/enqueue', (body: { routing_key: string }) => body.routing_key === PD_KEY)
      .reply(202, {});
    const genieScope = nock('https://api.opsgenie.com', {
      reqheaders: { authorization: `GenieKey ${GENIE_KEY}` },
    })
      .post('/v2/alerts')
      .reply(202, {});
    await routes('fraud-scorer')?.pager.send(page);
    await routes('churn-predictor')?.pager.send(page);
    expect(pdScope.isDone() && genieScope.isDone()).toBe(true);
  });

  it('stops start-up on a key in a form the provider refuses, which would fail every page, without quoting it', () => {
    const pd = new RunbookSet([makeRunbook('fraud-scorer', PAGING)]);
    // A PagerDuty REST API key (20 characters) where the Events API wants a 32-character integration key.
    expect(() => pagingRoutes(pd, { FRAUD_PD_KEY: 'u+AbCdEfGhIjKlMnOpQr' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        message:
          'runbook fraud-scorer pages through pagerduty with the key in FRAUD_PD_KEY, which is 20 characters long: PagerDuty refuses every routing key but a 32-character one (HTTP 400), so nobody would be paged',
        hint: `set FRAUD_PD_KEY to the Integration Key of an Events API v2 integration on the PagerDuty service (a REST API key is not one), or remove paging from ${pd.fileOf('fraud-scorer')}`,
      }),
    );
    const genie = new RunbookSet([
      makeRunbook('churn-predictor', 'paging: { provider: opsgenie, apiKeyEnv: CHURN_GENIE_KEY }'),
    ]);
    expect(() => pagingRoutes(genie, { CHURN_GENIE_KEY: 'genie-key' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        message:
          'runbook churn-predictor pages through opsgenie with the key in CHURN_GENIE_KEY, which is not an Opsgenie API key (a UUID, 8-4-4-4-12 hexadecimal digits): Opsgenie refuses it (HTTP 422, "Key format is not valid!"), so nobody would be paged',
      }),
    );
    // Nothing of the key itself in what start-up says.
    const refusal = (() => {
      try {
        pagingRoutes(genie, { CHURN_GENIE_KEY: 'genie-key' });
        return 'started';
      } catch (error) {
        return JSON.stringify([(error as Error).message, (error as { hint?: string }).hint]);
      }
    })();
    expect(refusal).toContain('CHURN_GENIE_KEY');
    expect(refusal).not.toContain('genie-key');
    expect(() => pagingRoutes(pd, { FRAUD_PD_KEY: PD_KEY })).not.toThrow();
    expect(() => pagingRoutes(genie, { CHURN_GENIE_KEY: GENIE_KEY.toUpperCase() })).not.toThrow();
  });

  it('stops start-up when the key variable holds only whitespace', () => {
    const runbooks = new RunbookSet([makeRunbook('fraud-scorer', PAGING)]);
    expect(() => pagingRoutes(runbooks, { FRAUD_PD_KEY: ' \n' })).toThrow(
      'runbook fraud-scorer pages through pagerduty with the key in FRAUD_PD_KEY, which is empty',
    );
  });

  it.each([
    ['pagerduty', 'routingKeyEnv', 'events.eu.pagerduty.com', 'https://events.eu.pagerduty.com'],
    ['opsgenie', 'apiKeyEnv', 'ftp://api.eu.opsgenie.com', 'https://api.eu.opsgenie.com'],
  ])(
    'refuses a %s paging.url that is not an http(s) URL, saying what to write',
    (provider, keyField, url, example) => {
      const bad = parseRunbook(
        `model: m\nowner: x\nchannel: C0M\nserving: { adapter: kserve, namespace: a, name: b }\npaging: { provider: ${provider}, ${keyField}: K, url: "${url}" }\n`,
        'm.yml',
      );
      const messages = bad.ok ? [] : bad.problems.map((problem) => `${problem.path}: ${problem.message}`);
      expect(messages).toEqual([expect.stringMatching(/^paging\.url: expected an http\(s\) URL/)]);
      expect(messages[0]).toContain(example);
    },
  );

  it('refuses a paging.url with credentials in it, which would sit in the runbook and be logged in hints', () => {
    const bad = parseRunbook(
      `model: m\nowner: x\nchannel: C0M\nserving: { adapter: kserve, namespace: a, name: b }\npaging: { provider: opsgenie, apiKeyEnv: K, url: "https://ops:s3cret@proxy.example.com/opsgenie" }\n`,
      'm.yml',
    );
    const messages = bad.ok ? [] : bad.problems.map((problem) => `${problem.path}: ${problem.message}`);
    expect(messages).toEqual([
      "paging.url: a URL with a user or password in it puts a secret in the runbook, and in the logs' hints: give the provider's API base without them (the key comes from the variable the runbook names)",
    ]);
    expect(messages.join('')).not.toContain('s3cret');
  });

  it('refuses a paging block with a bad time zone or a key written in', () => {
    const bad = parseRunbook(
      `model: m\nowner: x\nchannel: C0M\nserving: { adapter: kserve, namespace: a, name: b }\npaging: { provider: opsgenie, apiKeyEnv: genie-key-123, businessHours: { timezone: Mars/Olympus } }\n`,
      'm.yml',
    );
    expect(bad.ok).toBe(false);
    const messages = bad.ok ? [] : bad.problems.map((problem) => `${problem.path}: ${problem.message}`);
    expect(
      messages.some((m) => m.startsWith('paging.apiKeyEnv: expected the NAME of an environment variable')),
    ).toBe(true);
    expect(messages).toContain(
      'paging.businessHours.timezone: "Mars/Olympus" is not a time zone: write an IANA name such as Europe/Dublin, America/New_York or UTC',
    );
  });
});
