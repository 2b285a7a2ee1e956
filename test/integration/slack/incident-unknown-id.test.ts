/**
 * `/incident show|ack|resolve|dismiss <id>` with an id that is no incident (a typo at 2am) says so, and how to find
 * the right one from where the person is: `/incident list` in Slack, not only the CLI they may not have at hand.
 * Real signed HTTP to the Slack route, as Slack sends it.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { makeDeps, makeRunbook, RealClock } from '../../helpers/engine.js';
import { commandReply, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

let slack: SlackRoute;

beforeEach(async () => {
  const deps = makeDeps({ clock: new RealClock(), runbooks: [makeRunbook('fraud-scorer')] });
  slack = await serveSlackRoute(deps);
});

afterEach(async () => {
  await slack.close();
});

it.each(['show INC-9', 'ack INC-9', 'resolve INC-9 recovered', 'dismiss INC-9 noisy alert'])(
  '/incident %s names the unknown incident and points to /incident list',
  async (text) => {
    const reply = await commandReply(slack, '/incident', text, 'U0ANA');
    expect(reply).toContain('no incident INC-9');
    expect(reply).toContain('/incident list');
  },
);
