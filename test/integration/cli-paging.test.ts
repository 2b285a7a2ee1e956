import { Redis } from 'ioredis';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { firing } from '../helpers/alerts.js';
import { runbookDir } from '../helpers/bot-process.js';
import { TestClock, makeDeps, makeRunbook, runbookYaml, type TestDeps } from '../helpers/engine.js';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';

const PAGING =
  'rollback: { approvers: [U0ANA] }\npaging: { provider: pagerduty, routingKeyEnv: FRAUD_PD_KEY }';
/** A PagerDuty integration key's form: 32 characters. */
const PD_KEY = 'R0utingKey0f32CharactersExactly0';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (text: string) => out.push(text), err: (text: string) => err.push(text) }, out, err };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('a CLI command run in-process, on Redis, for a model that pages', () => {
  let redis: RedisProcess;
  let dir: string;
  let deps: TestDeps;

  beforeAll(async () => {
    redis = await startRedis();
    dir = await runbookDir({ 'fraud-scorer.yml': runbookYaml('fraud-scorer', PAGING) });
  });
  afterAll(() => redis.stop());

  // The CLI opens its own store on REDIS_URL: this one, on the same keys, seeds the incident the bot opened.
  beforeEach(async () => {
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
    const clock = new TestClock(Date.now());
    deps = makeDeps({
      runbooks: [makeRunbook('fraud-scorer', PAGING)],
      clock,
      store: createRedisStore({ redis: redis.url }),
    });
    await ingestAlerts(deps, [firing('fraud-scorer', clock.now())]);
  });
  afterEach(() => deps.store.close());

  it('resolves the incident’s page before it exits, even while PagerDuty is being retried', async () => {
    // The command's process exits once it returns: a resolve still on its way (here, after a 503 and a 1 s backoff)
    // was dropped with it, and the alert rang on for an incident nobody had left open.
    const resolved = nock('https://events.pagerduty.com')
      .post('/v2/enqueue', (body: { event_action?: string }) => body.event_action === 'resolve')
      .reply(503, 'unavailable')
      .post(
        '/v2/enqueue',
        (body: { event_action?: string; dedup_key?: string; routing_key?: string }) =>
          body.event_action === 'resolve' &&
          body.dedup_key === 'rollbot-INC-1' &&
          body.routing_key === PD_KEY,
      )
      .reply(202, { status: 'success' });
    const { io, out } = capture();
    const env = { REDIS_URL: redis.url, RUNBOOKS_DIR: dir, USER: 'ana', FRAUD_PD_KEY: PD_KEY };
    const args = ['dismiss', 'INC-1', '--reason', 'upstream outage', '--as', 'U0ANA'];
    expect(await runCli(args, env, io)).toBe(0);
    expect(out).toEqual(['INC-1 dismissed: not a rollback, decided by U0ANA']);
    expect(resolved.isDone()).toBe(true);
  });
});
