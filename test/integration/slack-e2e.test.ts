import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS, INPUTS, VIEWS } from '../../src/slack/ids.js';
import { eventually, runbookDir, startBotProcess, type BotProcess } from '../helpers/bot-process.js';
import { runbookYaml } from '../helpers/engine.js';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { startRouter, type FakeRouter } from '../helpers/router.js';
import { buttonPress, sendSigned, SIGNING_SECRET, viewSubmission } from '../helpers/slack.js';
import { startSlackStandIn, type SlackCall, type SlackStandIn } from '../helpers/slack-standin.js';

let redis: RedisProcess;
let router: FakeRouter;
let slack: SlackStandIn;
let bot: BotProcess;

beforeAll(async () => {
  [redis, router, slack] = await Promise.all([
    startRedis(),
    startRouter({ active: 'v2', previous: 'v1' }),
    startSlackStandIn(),
  ]);
  const serving = [
    'serving:',
    '  adapter: http',
    `  rollback: { url: "${router.url}/switch", body: { to: "{{to}}" } }`,
    `  status: { url: "${router.url}/status", versionPath: active.version, previousPath: previous }`,
    'rollback: { policy: approve, approvers: [U0ANA] }',
  ].join('\n');
  const dir = await runbookDir({
    'ranker.yml': runbookYaml('ranker').replace(/serving: .*\n/, `${serving}\n`),
  });
  bot = await startBotProcess({
    REDIS_URL: redis.url,
    RUNBOOKS_DIR: dir,
    ALERT_WEBHOOK_TOKEN: 'alerts',
    SLACK_BOT_TOKEN: 'xoxb-e2e',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
  });
}, 60_000);

afterAll(async () => {
  await bot?.kill('SIGKILL');
  await Promise.all([router?.close(), slack?.close(), redis?.stop()]);
});

const find = (method: string, test: (call: SlackCall) => boolean = () => true) =>
  eventually(async () => slack.calls.find((call) => call.method === method && test(call)), 15_000, method);

describe('Slack end to end, the bot as a real process', () => {
  it('alert → message with buttons → Roll back → modal with the plan → submit → rollback → thread shows it', async () => {
    const alert = await fetch(`${bot.url}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer alerts' },
      body: JSON.stringify({ model: 'ranker', severity: 'critical', summary: 'ranker 5xx at 9%' }),
    });
    expect(alert.status).toBe(202);

    const message = await find('chat.postMessage', (call) => !call.form.thread_ts);
    expect(message.form.channel).toBe('C0TEST0001');
    expect(message.form.text).toContain('ranker');
    const actions = JSON.stringify(JSON.parse(message.form.blocks ?? '[]'));
    for (const id of [ACTIONS.acknowledge, ACTIONS.rollback, ACTIONS.notRollback, ACTIONS.runbook])
      expect(actions).toContain(id);

    const press = await sendSigned(
      bot.url,
      buttonPress(ACTIONS.rollback, { incidentId: 'INC-1', model: 'ranker' }),
    );
    expect(press.status).toBe(200);
    const planned = await find('views.update');
    const view = JSON.parse(planned.form.view ?? '{}');
    expect(view.callback_id).toBe(VIEWS.rollback);
    expect(JSON.stringify(view.blocks)).toMatch(/v2.*v1/);

    const values = {
      [INPUTS.reason.block]: {
        [INPUTS.reason.action]: { type: 'plain_text_input', value: '5xx at 9% after v2' },
      },
    };
    const submitted = await sendSigned(
      bot.url,
      viewSubmission(VIEWS.rollback, values, JSON.parse(view.private_metadata)),
    );
    expect(submitted.status).toBe(200);

    await eventually(async () => (router.active === 'v1' ? true : undefined), 15_000, 'traffic on v1');
    expect(router.rollbacks).toHaveLength(1);
    const reply = await find('chat.postEphemeral');
    expect(reply.form.text).toBe(
      'Rolled back to v1 (INC-1); confirmation is running — progress in the incident thread.',
    );
    const thread = await find(
      'chat.postMessage',
      (call) => call.form.thread_ts !== undefined && (call.form.text ?? '').includes('rolled back to v1'),
    );
    expect(thread.form.thread_ts).toBe(message.answer.ts);
    const updated = await find('chat.update', (call) => (call.form.text ?? '').length > 0);
    expect(updated.form.ts).toBe(thread.form.thread_ts);

    const incident = await (await fetch(`${bot.url}/api/incidents/INC-1`)).json();
    expect(incident).toMatchObject({
      phase: 'confirm',
      decision: { by: 'U0ANA', trigger: 'slack', reason: '5xx at 9% after v2' },
    });
  }, 60_000);
});
