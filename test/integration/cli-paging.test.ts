import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { capture, useSeededRedis } from '../helpers/cli.js';

const PAGING =
  'rollback: { approvers: [U0ANA] }\npaging: { provider: pagerduty, routingKeyEnv: FRAUD_PD_KEY }';
/** A PagerDuty integration key's form: 32 characters. */
const PD_KEY = 'R0utingKey0f32CharactersExactly0';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('a CLI command run in-process, on Redis, for a model that pages', () => {
  // The CLI opens its own store on REDIS_URL, in which the bot opened INC-1.
  const seeded = useSeededRedis(PAGING);

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
    const env = { REDIS_URL: seeded.redis.url, RUNBOOKS_DIR: seeded.dir, USER: 'ana', FRAUD_PD_KEY: PD_KEY };
    const args = ['dismiss', 'INC-1', '--reason', 'upstream outage', '--as', 'U0ANA'];
    expect(await runCli(args, env, io)).toBe(0);
    expect(out).toEqual(['INC-1 dismissed: not a rollback, decided by U0ANA']);
    expect(resolved.isDone()).toBe(true);
  });
});
