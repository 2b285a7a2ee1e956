/**
 * A CLI command run in-process, with Slack configured as the bot's, posts what it caused before its process exits:
 * Slack messages only queue (a rollback must never wait for Slack), and a queue still sending when the command
 * returned was dropped with the process — the channel never heard that INC-1 was dismissed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { capture, useSeededRedis } from '../helpers/cli.js';
import { SIGNING_SECRET } from '../helpers/slack.js';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.js';

const RUNBOOK = 'rollback: { approvers: [U0ANA] }';

describe('a CLI command run in-process with Slack configured', () => {
  // The CLI opens its own store on REDIS_URL, in which the bot opened INC-1.
  const seeded = useSeededRedis(RUNBOOK);
  let slack: SlackStandIn;

  beforeAll(async () => {
    slack = await startSlackStandIn();
  });
  afterAll(() => slack.close());

  it('has posted the dismissal in the channel when it returns, even while Slack is being retried', async () => {
    // Slack's first answer is a 503: the post waits out a backoff, past the moment the command has its answer.
    let failed = false;
    slack.setFault((method) => {
      if (method !== 'chat.postMessage' || failed) return undefined;
      failed = true;
      return { status: 503 };
    });
    const env = {
      REDIS_URL: seeded.redis.url,
      RUNBOOKS_DIR: seeded.dir,
      USER: 'ana',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
    };
    const { io, out } = capture();
    const args = ['dismiss', 'INC-1', '--reason', 'upstream outage', '--as', 'U0ANA'];
    expect(await runCli(args, env, io)).toBe(0);
    expect(out).toEqual(['INC-1 dismissed: not a rollback, decided by U0ANA']);
    expect(slack.refused.map((call) => call.method)).toEqual(['chat.postMessage']);
    expect(slack.calls.filter((call) => call.method === 'chat.postMessage').length).toBeGreaterThan(0);
  });
});
