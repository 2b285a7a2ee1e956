import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createSlackClients } from '../../../src/slack/notifier/notifier.js';
import { createChannelDirectory } from '../../../src/slack/notifier/channels.js';
import { BOT_SCOPES, checkSlackSetup, reportSlackSetup } from '../../../src/slack/setup-check.js';
import { makeDeps, makeRunbook, metricValue, TestClock } from '../../helpers/engine.js';
import { slackAnsweredByNock } from '../../helpers/notifier.js';

/**
 * A wrong token, a missing scope, a mistyped, archived or uninvited channel: found when the bot starts, with
 * what to do, instead of when the first incident of the night cannot be posted.
 */

const API = 'https://slack.test';

slackAnsweredByNock();

function check(channels: string[]) {
  const { notifier: client } = createSlackClients({ token: 'xoxb-test', apiUrl: `${API}/api/` });
  const runbooks = channels.map((channel, i) => ({ ...makeRunbook(`model-${i}`), channel }));
  return checkSlackSetup({
    client,
    channels: createChannelDirectory({ client, clock: new TestClock() }),
    runbooks,
  });
}

const ALL_SCOPES = Object.keys(BOT_SCOPES).join(',');

/** auth.test answering ok, with the granted scopes in the header Slack sends them in. */
const authOk = (scopes = ALL_SCOPES) =>
  nock(API)
    .post('/api/auth.test')
    .reply(200, { ok: true, user_id: 'U0BOT', team: 'acme' }, { 'x-oauth-scopes': scopes });

const info = (channel: string, body: object) =>
  nock(API)
    .post('/api/conversations.info', (form: Record<string, string>) => form.channel === channel)
    .reply(200, body);

describe('checkSlackSetup', () => {
  it('finds nothing wrong with a valid token, every scope and live channels rollbot can post in', async () => {
    authOk();
    info('C0PUBLIC1', { ok: true, channel: { id: 'C0PUBLIC1', is_private: false, is_archived: false } });
    info('G0PRIVAT1', {
      ok: true,
      channel: { id: 'G0PRIVAT1', is_private: true, is_archived: false, is_member: true },
    });
    // Two runbooks sharing a channel: looked at once.
    await expect(check(['C0PUBLIC1', 'G0PRIVAT1', 'C0PUBLIC1'])).resolves.toEqual({ problems: [] });
  });

  it('says a refused token is the problem, and checks nothing else with it', async () => {
    nock(API).post('/api/auth.test').reply(200, { ok: false, error: 'invalid_auth' });
    const { problems } = await check(['C0PUBLIC1']);
    expect(problems).toEqual([
      {
        reason: 'invalid_auth',
        problem: 'Slack refuses SLACK_BOT_TOKEN (invalid_auth)',
        fix: expect.stringContaining("Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page"),
      },
    ]);
  });

  it('names each scope the app was not granted, and what it is for', async () => {
    const granted = Object.keys(BOT_SCOPES).filter((scope) => scope !== 'channels:history');
    authOk(granted.join(','));
    info('C0PUBLIC1', { ok: true, channel: { id: 'C0PUBLIC1', is_private: false, is_archived: false } });
    expect((await check(['C0PUBLIC1'])).problems).toEqual([
      {
        reason: 'missing_scope',
        problem: `the app lacks the channels:history scope: ${BOT_SCOPES['channels:history']}`,
        fix: 'add it to the app (manifest.yml lists every scope rollbot uses) and reinstall it to the workspace',
      },
    ]);
  });

  it('finds archived, uninvited private, unknown and mistyped channels, each with its fix', async () => {
    authOk();
    nock(API).post('/api/conversations.list').reply(200, { ok: true, channels: [] });
    info('C0ARCHIV1', { ok: true, channel: { id: 'C0ARCHIV1', is_private: false, is_archived: true } });
    info('G0PRIVAT1', {
      ok: true,
      channel: { id: 'G0PRIVAT1', is_private: true, is_archived: false, is_member: false },
    });
    info('C0GONE001', { ok: false, error: 'channel_not_found' });
    const { problems } = await check(['C0ARCHIV1', 'G0PRIVAT1', 'C0GONE001', '#ml-typo', 'ml-alerts']);
    expect(problems.map((found) => [found.reason, found.problem])).toEqual([
      ['is_archived', 'runbook channel C0ARCHIV1 (model-0) is archived'],
      ['not_in_channel', 'rollbot is not in private runbook channel G0PRIVAT1 (model-1)'],
      ['channel_not_found', 'Slack has no runbook channel C0GONE001 (model-2) that rollbot can see'],
      ['channel_not_found', 'no channel #ml-typo visible to rollbot (model-3)'],
      ['channel_not_found', '"ml-alerts" is not a Slack channel (model-4)'],
    ]);
    expect(problems.map((found) => found.fix)).toEqual([
      expect.stringContaining('unarchive C0ARCHIV1'),
      expect.stringContaining('/invite @rollbot'),
      expect.stringContaining('invite @rollbot'),
      expect.stringContaining('groups:read'),
      expect.stringContaining('a channel ID like C0FRAUD01'),
    ]);
  });

  it('is reported: each problem logged with its fix, their number in rollbot_slack_setup_problems', async () => {
    const deps = makeDeps();
    const errors: string[] = [];
    const logger = { ...deps.logger, error: (_fields: object, message: string) => void errors.push(message) };
    const problem = {
      reason: 'is_archived',
      problem: 'runbook channel C0X (m) is archived',
      fix: 'unarchive C0X',
    };
    await reportSlackSetup({ logger, metrics: deps.metrics }, async () => ({ problems: [problem] }));
    expect(errors).toEqual(['Slack setup: runbook channel C0X (m) is archived; unarchive C0X']);
    expect(await metricValue(deps.metrics, 'rollbot_slack_setup_problems')).toBe(1);
    await reportSlackSetup({ logger, metrics: deps.metrics }, async () => ({ problems: [] }));
    expect(await metricValue(deps.metrics, 'rollbot_slack_setup_problems')).toBe(0);
  });

  it('does not say the setup is in order when Slack could not be asked about it', async () => {
    nock(API).post('/api/auth.test').reply(503, 'upstream connect error');
    const deps = makeDeps();
    const said: string[] = [];
    const logger = {
      ...deps.logger,
      info: (_fields: object, message: string) => void said.push(`info: ${message}`),
      warn: (_fields: object, message: string) => void said.push(`warn: ${message}`),
      error: (_fields: object, message: string) => void said.push(`error: ${message}`),
    };
    await reportSlackSetup({ logger, metrics: deps.metrics }, () => check(['C0PUBLIC1']));
    expect(said).toEqual([
      expect.stringMatching(/^warn: the Slack setup could not be checked: .*auth\.test/),
    ]);
  });

  it('finds no problem when Slack cannot be reached, and says what it could not check', async () => {
    nock(API).post('/api/auth.test').reply(503, 'upstream connect error');
    await expect(check(['C0PUBLIC1'])).resolves.toEqual({
      problems: [],
      unchecked: expect.stringContaining('Slack did not answer auth.test'),
    });
    authOk();
    nock(API).post('/api/conversations.info').reply(503, 'upstream connect error');
    await expect(check(['C0PUBLIC1'])).resolves.toEqual({
      problems: [],
      unchecked: 'Slack did not answer about runbook channel C0PUBLIC1 and those after it',
    });
  });
});
