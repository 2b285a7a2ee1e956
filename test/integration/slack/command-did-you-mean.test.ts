/**
 * A typo in a `/incident`, `/rollbot` or `/drill` subcommand (or a `/rollback` model) is answered the same way by
 * each: the word not understood, the likeliest command meant, and the usage — and changes nothing. Real signed HTTP
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

const UNTIL = '2099-12-27T09:00:00Z';

it.each([
  [COMMANDS.incident, 'lsit', '`lsit`', '`/incident list`'],
  [COMMANDS.incident, 'shwo INC-1', '`shwo`', '`/incident show INC-1`'],
  [
    COMMANDS.incident,
    'resovle INC-1 back to normal',
    '`resovle`',
    '`/incident resolve INC-1 back to normal`',
  ],
  [COMMANDS.incident, 'frob', '`frob`', undefined],
  [COMMANDS.rollbot, 'hlep', '`hlep`', '`/rollbot help`'],
  [
    COMMANDS.rollbot,
    `frezee fraud-scorer until ${UNTIL} year-end`,
    '`frezee`',
    `\`/rollbot freeze fraud-scorer until ${UNTIL} year-end\``,
  ],
  [COMMANDS.rollbot, 'unfrezee fraud-scorer', '`unfrezee`', '`/rollbot unfreeze fraud-scorer`'],
  [COMMANDS.rollbot, 'frob', '`frob`', undefined],
  [COMMANDS.drill, 'lsit', '`lsit`', '`/drill list`'],
  [COMMANDS.drill, 'rnu fraud-scorer', '`rnu`', '`/drill run fraud-scorer`'],
  [COMMANDS.drill, 'fraud-scorer', '`fraud-scorer`', '`/drill run fraud-scorer`'],
  [COMMANDS.drill, 'frob', '`frob`', undefined],
  // Outside text: shown, never read by Slack as a mention of everyone here (a typed `<!here>`, as Slack sends it).
  [COMMANDS.incident, '&lt;!here&gt;', '`&lt;!here&gt;`', undefined],
])(
  'answers `%s %s` naming what it did not understand and the likeliest fix',
  async (command, text, named, meant) => {
    const reply = await commandReply(slack, command, text, 'U0ANA');

    expect(reply).toContain(`unknown subcommand ${named}`);
    if (meant) expect(reply).toContain(`Did you mean ${meant}?`);
    else expect(reply).not.toContain('Did you mean');
    expect(reply).not.toContain('<!here>');
    expect(reply).toContain(usage(command));
    expect(await deps.store.listIncidents({})).toEqual([]);
  },
);

it('answers `/rollback` of a typo of a model with the likeliest model', async () => {
  const reply = await commandReply(slack, COMMANDS.rollback, 'fraud-scorr p99 doubled', 'U0ANA');

  expect(reply).toContain('no runbook for model "fraud-scorr" (did you mean "fraud-scorer"?)');
  expect(slack.called('views.open')).toEqual([]);
});
