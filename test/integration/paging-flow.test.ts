import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acknowledge } from '../../src/engine/decisions.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { resolve } from '../../src/engine/resolve.js';
import { RunbookSet } from '../../src/engine/runbook-set.js';
import { createPagingNotifier } from '../../src/paging/notifier.js';
import { pagingRoutes } from '../../src/paging/routes.js';
import { createLogger } from '../../src/observability/logger.js';
import { parseRunbook } from '../../src/runbooks/load.js';
import { firing } from '../helpers/alerts.js';
import { makeDeps, makeRunbook } from '../helpers/engine.js';

const PAGING = 'paging: { provider: pagerduty, routingKeyEnv: FRAUD_PD_KEY }';

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
      pagerFor: pagingRoutes(new RunbookSet([runbook]), { FRAUD_PD_KEY: 'pd-routing-key' }),
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
      ['trigger', 'rollbot-INC-1', 'pd-routing-key'],
      ['acknowledge', 'rollbot-INC-1', 'pd-routing-key'],
    ]);
    expect(actions.at(-1)).toEqual(['resolve', 'rollbot-INC-1', 'pd-routing-key']);
  });

  it('stops start-up when the runbook names a key variable that is not set', () => {
    const runbooks = new RunbookSet([makeRunbook('fraud-scorer', PAGING)]);
    expect(() => pagingRoutes(runbooks, {})).toThrow(
      'runbook fraud-scorer pages through pagerduty with the key in FRAUD_PD_KEY, which is not set',
    );
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
