/**
 * A CLI command run in-process, with Slack configured as the bot's, posts what it caused before its process exits:
 * Slack messages only queue (a rollback must never wait for Slack), and a queue still sending when the command
 * returned was dropped with the process — the channel never heard that INC-1 was dismissed.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { firing } from '../helpers/alerts.js';
import { runbookDir } from '../helpers/bot-process.js';
import { TestClock, makeDeps, makeRunbook, runbookYaml, type TestDeps } from '../helpers/engine.js';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { SIGNING_SECRET } from '../helpers/slack.js';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.js';

const RUNBOOK = 'rollback: { approvers: [U0ANA] }';

describe('a CLI command run in-process with Slack configured', () => {
  let redis: RedisProcess;
  let slack: SlackStandIn;
  let dir: string;
  let deps: TestDeps;

  beforeAll(async () => {
    [redis, slack] = await Promise.all([startRedis(), startSlackStandIn()]);
    dir = await runbookDir({ 'fraud-scorer.yml': runbookYaml('fraud-scorer', RUNBOOK) });
  });
  afterAll(() => Promise.all([redis.stop(), slack.close()]));

  // The CLI opens its own store on REDIS_URL: this one, on the same keys, seeds the incident the bot opened.
  beforeEach(async () => {
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
    const clock = new TestClock(Date.now());
    deps = makeDeps({
      runbooks: [makeRunbook('fraud-scorer', RUNBOOK)],
      clock,
      store: createRedisStore({ redis: redis.url }),
    });
    await ingestAlerts(deps, [firing('fraud-scorer', clock.now())]);
  });
  afterEach(() => deps.store.close());

  it('has posted the dismissal in the channel when it returns, even while Slack is being retried', async () => {
    // Slack's first answer is a 503: the post waits out a backoff, past the moment the command has its answer.
    let failed = false;
    slack.setFault((method) => {
      if (method !== 'chat.postMessage' || failed) return undefined;
      failed = true;
      return { status: 503 };
    });
    const env = {
      REDIS_URL: redis.url,
      RUNBOOKS_DIR: dir,
      USER: 'ana',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
    };
    const out: string[] = [];
    const io = { out: (text: string) => out.push(text), err: () => undefined };
    const args = ['dismiss', 'INC-1', '--reason', 'upstream outage', '--as', 'U0ANA'];
    expect(await runCli(args, env, io)).toBe(0);
    expect(out).toEqual(['INC-1 dismissed: not a rollback, decided by U0ANA']);
    expect(slack.refused.map((call) => call.method)).toEqual(['chat.postMessage']);
    expect(slack.calls.filter((call) => call.method === 'chat.postMessage').length).toBeGreaterThan(0);
  });
});
