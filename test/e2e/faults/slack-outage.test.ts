/**
 * Faults (issue 8 §3): the Slack Web API fails — first 5xx, then 429 with Retry-After — while an incident is
 * opened, acknowledged from Slack and rolled back. Slack still delivers presses while its Web API fails: the press is
 * acted on. The rollback does not wait for Slack; the messages are delivered once Slack is back, each once, with the
 * Retry-After honoured.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACTIONS } from '../../../src/slack/ids.js';
import { eventually, runbookDir, type BotProcess } from '../../helpers/bot-process.js';
import { buttonPress, sendSigned } from '../../helpers/slack.js';
import { startSlackStandIn, type SlackFault, type SlackStandIn } from '../../helpers/slack-standin.js';
import { entries, incident, metricSum, postAlert, requestRollback } from '../cluster/api.js';
import { BotFleet, botEnv } from '../cluster/bots.js';
import { startFakeServing, type FakeServing, type ServedModel } from '../cluster/fake-serving.js';
import { runbookFiles, uniqueModel } from '../cluster/runbooks.js';
import { incidentPosts, waitForThreadReply } from '../cluster/slack-messages.js';

const MODEL = uniqueModel('ads');
const CHANNEL = 'C0SLACKDOWN';
// The issue asks for a minute of outage; 15 s exercises the same paths (5xx backoff, then 429 pauses) and
// keeps the suite short: 5 s of 503, then 10 s of 429 with Retry-After: 3.
const SERVER_ERROR_MS = 5_000;
const OUTAGE_MS = 15_000;
const RETRY_AFTER_S = 3;

const fleet = new BotFleet();
let slack: SlackStandIn;
let serving: FakeServing;
let served: ServedModel;
let bot: BotProcess;

beforeAll(async () => {
  [slack, serving] = await Promise.all([startSlackStandIn(), startFakeServing()]);
  served = serving.serve(MODEL, { active: 'v2', previous: 'v1' });
  const dir = await runbookDir(runbookFiles({ model: MODEL, servingUrl: serving.url, channel: CHANNEL }));
  bot = await fleet.start(
    botEnv({ redisUrl: inject('redisUrl'), runbooksDir: dir, slackApiUrl: slack.apiUrl }),
  );
  // The start-up setup check looks at the runbook channel (conversations.info) without holding up the start;
  // the outage begins once it has, so that only the incident's calls meet the outage.
  await eventually(
    async () =>
      slack.calls.find((call) => call.method === 'conversations.info' && call.form.channel === CHANNEL),
    15_000,
    'the setup check to look at the runbook channel',
  );
}, 60_000);

afterAll(async () => {
  await fleet.stopAll();
  await Promise.all([slack?.close(), serving?.close()]);
});

/** Slack down from now: 503 at first, then rate limited, then back after OUTAGE_MS. */
function startOutage(): { startedAt: number; endsAt: number } {
  const startedAt = Date.now();
  const endsAt = startedAt + OUTAGE_MS;
  slack.setFault((): SlackFault | undefined => {
    const now = Date.now();
    if (now < startedAt + SERVER_ERROR_MS) return { status: 503 };
    if (now < endsAt) return { status: 429, retryAfterSeconds: RETRY_AFTER_S };
    return undefined;
  });
  return { startedAt, endsAt };
}

describe('Slack Web API failing for a while', () => {
  it('acts on a press and rolls back during the outage, and delivers the messages afterwards, honouring Retry-After', async () => {
    const outage = startOutage();
    const opened = await postAlert(bot.url, { model: MODEL, severity: 'critical', summary: 'CTR down 40%' });
    expect(opened.status).toBe(202);
    const incidentId = opened.body.results?.[0]?.incidentId ?? '';

    // Slack's servers still deliver a press while its Web API refuses calls: the ack needs no call to it.
    const press = await sendSigned(
      bot.url,
      buttonPress(ACTIONS.acknowledge, { incidentId, model: MODEL }, 'U0ONCALL'),
    );
    expect(press.status).toBe(200);
    await eventually(
      async () => (await incident(bot.url, incidentId)).acknowledged,
      10_000,
      'the press to acknowledge the incident',
    );

    const rolled = await requestRollback(bot.url, {
      model: MODEL,
      reason: 'CTR down after v2',
      requestedBy: 'oncall',
    });
    expect(rolled.status).toBe(200);
    expect(rolled.body.outcome).toBe('succeeded');
    expect(served.rollbackCalls).toHaveLength(1);
    expect(served.active).toBe('v1');
    // The rollback finished while Slack was still refusing everything: it did not wait for Slack.
    expect(Date.now()).toBeLessThan(outage.endsAt);
    const sinceOutage = (call: { form: Record<string, string>; at: number }) =>
      call.form.channel === CHANNEL && call.at >= outage.startedAt;
    expect(slack.calls.filter(sinceOutage)).toEqual([]);

    const rolledBackLine = await waitForThreadReply(
      slack,
      incidentId,
      /rolled back to v1/,
      OUTAGE_MS + 60_000,
    );
    const posts = incidentPosts(slack, incidentId);
    expect(posts).toHaveLength(1);
    expect(rolledBackLine.form.thread_ts).toBe(posts[0]?.answer.ts);

    // Both kinds of failure happened, and each 429 held back the channel's next call for Retry-After.
    const refusedHere = slack.refused.filter(sinceOutage);
    expect(new Set(refusedHere.map((call) => call.fault.status))).toEqual(new Set([503, 429]));
    const channelCalls = [...refusedHere, ...slack.calls.filter(sinceOutage)].sort((a, b) => a.at - b.at);
    channelCalls.forEach((call, i) => {
      const next = channelCalls[i + 1];
      if ('fault' in call && call.fault.status === 429 && next) {
        expect(next.at - call.at).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1_000);
      }
    });

    // Nothing was given up on, and the record of the incident is complete.
    expect(await metricSum([bot.url], 'rollbot_slack_delivery_failures_total')).toBe(0);
    const detail = await incident(bot.url, incidentId);
    expect(detail.phase).toBe('confirm');
    expect(detail.acknowledged?.by).toBe('U0ONCALL');
    expect(entries(detail, 'rollback.succeeded')).toHaveLength(1);
  });
});
