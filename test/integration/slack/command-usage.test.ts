/**
 * Each command's usage is written once (command-replies.ts) and every reply that shows it shows that text: the
 * `/rollbot help` reply and the reply to text a command did not understand cannot drift apart. Real signed HTTP
 * to the Slack route.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { usage } from '../../../src/slack/blocks/command-replies.js';
import { COMMANDS } from '../../../src/slack/ids.js';
import { makeDeps, makeRunbook, RealClock, type TestDeps } from '../../helpers/engine.js';
import { commandReply, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  deps = makeDeps({ clock: new RealClock(), runbooks: [makeRunbook('fraud-scorer')] });
  slack = await serveSlackRoute(deps);
});

afterEach(async () => {
  await slack.close();
});

/** The lines of a command's usage, without the `Usage:` heading. */
const usageLines = (command: string) => usage(command).split('\n').slice(1);

it.each([
  [COMMANDS.rollback, ''],
  [COMMANDS.rollback, 'fraud-scorer to'],
  [COMMANDS.incident, 'show'],
  [COMMANDS.incident, 'note INC-1'],
  [COMMANDS.incident, 'open fraud-scorer customers report wrong scores'],
  [COMMANDS.rollbot, 'freeze fraud-scorer holidays'],
  [COMMANDS.rollbot, 'unfreeze'],
])('answers `%s %s` with the usage the help shows', async (command, text) => {
  const help = await commandReply(slack, COMMANDS.rollbot, 'help', 'U0ANA');
  const reply = await commandReply(slack, command, text, 'U0ANA');

  expect(reply).toContain(usage(command));
  for (const line of usageLines(command)) expect(help).toContain(line);
  expect(await deps.store.listIncidents({})).toEqual([]);
});
