import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACTIONS } from '../../src/slack/ids.js';
import { expectNoServerError } from './support/checks.js';
import type { SlackBody } from './support/slack-bodies.js';
import { startSlackFuzzServer, type SlackFuzzServer } from './support/slack-server.js';
import { expectUnchanged } from './support/world.js';

// Minimal reproductions of what the Slack-route fuzzing (slack-route.test.ts) found, one test per finding.
// They fail until src/ is fixed. All need a valid signature, i.e. the signing secret: Slack itself never sends
// these bodies, but the property is that no signed body makes the bot answer 5xx, crash, or store anything.

let slack: SlackFuzzServer;
beforeAll(async () => {
  slack = await startSlackFuzzServer(inject('redisUrl'));
  await slack.server.fresh();
});
afterAll(() => slack?.close());

const team = { id: 'T0TEAM', domain: 'test' };
const user = { id: 'U0ANA', username: 'ana', team_id: 'T0TEAM' };

// @slack/bolt HTTPReceiver.handleIncomingEvent reads `body.ssl_check` outside its try/catch: a body that parses
// to null throws inside a detached async function. The request is never answered, and the rejection is
// unhandled: Node's default (--unhandled-rejections=throw) ends the bot, and src/main.ts installs no handler.
// rollbot's side of the fix: refuse non-object bodies before Bolt (src/slack/app.ts, next to
// requireFreshTimestamp), or handle 'unhandledRejection' in src/main.ts.
describe('a signed body that parses to null', () => {
  // Concurrent: each waits the full answer timeout, and they share nothing but the server.
  it.concurrent.for<[string, SlackBody]>([
    ['JSON null', { raw: 'null', contentType: 'application/json' }],
    ['payload=null', { payload: null }],
  ])('(%s) is answered with 4xx instead of never', async ([, body], { expect }) => {
    const answer = await slack.post(body);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
  });
});

// @slack/bolt App.processEvent reads the envelope (`body.user.id`, `actions[0].action_id`, `view.callback_id`,
// `body.team.id`, `this.clients[team_id]`) before any listener runs; a TypeError there reaches the receiver's default
// processEventErrorHandler, which answers 500. rollbot's side of the fix: pass HTTPReceiver a
// processEventErrorHandler that answers 400 (src/slack/app.ts), or check the envelope before Bolt.
describe('a signed interaction or command with a broken envelope', () => {
  const press = { type: 'button', action_id: ACTIONS.acknowledge, value: '{"incidentId":"INC-404"}' };
  const cases: [string, SlackBody][] = [
    [
      'a button press without a user',
      { payload: { type: 'block_actions', team, api_app_id: 'A0APP', actions: [press] } },
    ],
    [
      'block_actions whose actions is not a list',
      { payload: { type: 'block_actions', team, user, actions: 0 } },
    ],
    [
      'view_submission without a view',
      { payload: { type: 'view_submission', team, user, api_app_id: 'A0APP' } },
    ],
    // Any form with a `name` field is an options (select menu suggestions) request to Bolt, which then needs `team`.
    ['a form with only a name', { form: { name: 'x' } }],
    [
      // Bolt looks the workspace's client pool up as this.clients[team_id] and finds Object.prototype.
      'a slash command from team "__proto__"',
      {
        form: {
          command: '/rollbot',
          text: 'help',
          user_id: 'U0ANA',
          team_id: '__proto__',
          channel_id: 'C0TEST0001',
        },
      },
    ],
  ];

  it.each(cases)('(%s) is answered with 2xx/4xx, not 500', async (_name, body) => {
    await slack.server.fresh();
    expectNoServerError(await slack.post(body));
  });
});

// src/engine/retro-store.ts updateRetrospective() takes the lock `retro:<incidentId>` before it knows whether
// the retrospective exists, and taking a Redis lock leaves state that outlives the lease on purpose (the shared
// fence counter moves on; `lock-fence:retro:<id>` is kept a day): every Close press naming a made-up incident
// would leave a key.
describe('a Close button for an action item of an incident that does not exist', () => {
  it('is refused without storing anything', async () => {
    const world = await slack.server.fresh();
    const before = await world.snapshot();
    const press: SlackBody = {
      payload: {
        type: 'block_actions',
        team,
        user,
        api_app_id: 'A0APP',
        channel: { id: 'C0TEST0001' },
        response_url: slack.targets.responseUrl,
        actions: [
          {
            type: 'button',
            action_id: `${ACTIONS.closeActionItem}:A1`,
            value: JSON.stringify({ incidentId: 'INC-404', itemId: 'A1' }),
          },
        ],
      },
    };
    expect((await slack.post(press)).status).toBe(200);
    await slack.settle();
    await expectUnchanged(world, before, 'keys written by a refused Close press');
  });
});
