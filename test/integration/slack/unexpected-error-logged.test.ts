/**
 * An error rollbot did not expect (the store's connection closed in a Redis failover, a bug) is answered in Slack
 * with "Something went wrong; the log has details." — so the log must have them, whichever command or button it
 * came from: at 2am the person's next step is to read it. Real signed HTTP to the Slack route.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Logger } from '../../../src/engine/ports.js';
import { ACTIONS } from '../../../src/slack/ids.js';
import type { TestDeps } from '../../helpers/engine.js';
import { buttonPress, sendSigned } from '../../helpers/slack.js';
import { approvePolicyIncident, commandReply, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;
/** What was logged at error level: its fields. */
let errors: object[];

const CLOSED = new Error('Connection is closed.');

beforeEach(async () => {
  ({ deps, slack } = await approvePolicyIncident(['U0ANA']));
  errors = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (fields) => errors.push(fields),
    child: () => logger,
  };
  deps.logger = logger;
  // The store stops answering reads of incidents: not an error of rollbot's own (no RollbotError).
  deps.store.getIncident = async () => {
    throw CLOSED;
  };
});

afterEach(async () => {
  await slack.close();
});

/** Whether the cause was logged at error level, as the reply promises. */
const logged = () => errors.some((fields) => (fields as { err?: unknown }).err === CLOSED);

it('logs the cause of a command answered "the log has details"', async () => {
  const reply = await commandReply(slack, '/incident', 'show INC-1', 'U0ANA');

  expect(reply).toContain('Something went wrong; the log has details.');
  expect(logged()).toBe(true);
});

it('logs the cause of a button press answered "the log has details"', async () => {
  const press = buttonPress(ACTIONS.acknowledge, { incidentId: 'INC-1', model: 'fraud-scorer' });
  expect((await sendSigned(slack.url, press)).status).toBe(200);
  await slack.settle(() => slack.called('chat.postEphemeral').length > 0, 'the reply');

  expect(slack.called('chat.postEphemeral')[0]?.form.text).toContain(
    'Something went wrong; the log has details.',
  );
  expect(logged()).toBe(true);
});
