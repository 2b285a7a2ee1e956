/**
 * A command or a press is Slack's request to rollbot: it needs no Web API call before its ack. Bolt, given a token
 * without token verification, asked Slack `auth.test` before every request's listeners — a round trip to Slack
 * before each ack — and when `auth.test` failed (the Web API down or rate limited for a minute, while Slack still
 * delivers presses) no listener ran: a Roll back or Acknowledge press did nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/slack/ids.js';
import { eventually } from '../../helpers/bot-process.js';
import type { TestDeps } from '../../helpers/engine.js';
import { buttonPress, sendSigned, slashCommand } from '../../helpers/slack.js';
import { approvePolicyIncident, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;

afterEach(async () => {
  await slack.close();
});

const acknowledgedBy = async () => (await deps.store.getIncident('INC-1'))?.acknowledged?.by;

const acknowledge = buttonPress(ACTIONS.acknowledge, { incidentId: 'INC-1', model: 'fraud-scorer' }, 'U0BO');

describe('Slack requests and auth.test', () => {
  it('acks a command and a press without asking Slack auth.test', async () => {
    ({ deps, slack } = await approvePolicyIncident(['U0ANA']));
    expect((await sendSigned(slack.url, slashCommand('/incident', 'list'))).status).toBe(200);
    expect((await sendSigned(slack.url, acknowledge)).status).toBe(200);
    await slack.settle(() => slack.called('response_url').length > 0, 'the list');
    await eventually(acknowledgedBy, 2_000, 'the acknowledgement');
    expect(slack.called('auth.test')).toEqual([]);
  });

  it('acts on a press while auth.test fails (the Web API refusing the token for a while)', async () => {
    ({ deps, slack } = await approvePolicyIncident(['U0ANA'], {
      answers: { 'auth.test': { ok: false, error: 'fatal_error' } },
    }));
    expect((await sendSigned(slack.url, acknowledge)).status).toBe(200);
    expect(await eventually(acknowledgedBy, 2_000, 'the acknowledgement')).toBe('U0BO');
  });
});
