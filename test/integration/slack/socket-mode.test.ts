import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { createSlackApp, type SlackApp } from '../../../src/slack/app.js';
import { ACTIONS } from '../../../src/slack/ids.js';
import { firing } from '../../helpers/alerts.js';
import { eventually } from '../../helpers/bot-process.js';
import { makeDeps, RealClock, type TestDeps } from '../../helpers/engine.js';
import { buttonPress, slackEvent, slashCommand } from '../../helpers/slack.js';
import { startSlackStandIn, type SlackStandIn } from '../../helpers/slack-standin.js';
import { SocketModeLink } from '../../helpers/socket-mode-link.js';

let deps: TestDeps;
let slack: SlackApp;
let standIn: SlackStandIn;
let link: SocketModeLink;

/** Socket Mode acks and listeners run asynchronously: wait for what they do. */
const ackOf = (envelopeId: string) =>
  eventually(
    async () => link.acks.find((ack) => ack.envelope_id === envelopeId),
    3_000,
    `the ack of ${envelopeId}`,
  );

beforeEach(async () => {
  standIn = await startSlackStandIn();
  link = new SocketModeLink(standIn);
  deps = makeDeps({ clock: new RealClock() });
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  slack = createSlackApp({
    deps,
    botToken: 'xoxb-test',
    apiUrl: standIn.apiUrl,
    transport: { mode: 'socket', appToken: 'xapp-1-test' },
    groupsOf: async () => ({ groups: [], unchecked: [] }),
  });
  await slack.start();
  await link.whenConnected();
});

afterEach(async () => {
  await slack.stop();
  await link.close();
  await standIn.close();
});

describe('Slack over Socket Mode', () => {
  it('opens its connection through SLACK_API_URL with the app-level token', () => {
    const open = standIn.calls.filter((call) => call.method === 'apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0]?.authorization).toBe('Bearer xapp-1-test');
  });

  it('acks a slash command envelope and answers on its response_url', async () => {
    const payload = Object.fromEntries(
      new URLSearchParams(
        slashCommand('/incident', 'list', 'U0ANA', { response_url: standIn.responseUrl }).body,
      ),
    );
    link.deliver({ envelope_id: 'env-1', type: 'slash_commands', payload, accepts_response_payload: true });
    await ackOf('env-1');
    const reply = await eventually(
      async () => standIn.calls.find((call) => call.method === 'respond'),
      3_000,
      'the /incident list reply',
    );
    expect(JSON.stringify(reply.form)).toContain('INC-1');
  });

  it('acks a button envelope and acknowledges the incident', async () => {
    const press = buttonPress(ACTIONS.acknowledge, { incidentId: 'INC-1', model: 'fraud-scorer' }, 'U0BO');
    const payload = {
      ...(JSON.parse(new URLSearchParams(press.body).get('payload') ?? '{}') as Record<string, unknown>),
      response_url: standIn.responseUrl,
    };
    link.deliver({ envelope_id: 'env-2', type: 'interactive', payload, accepts_response_payload: false });
    await ackOf('env-2');
    const incident = await eventually(
      async () => {
        const stored = await deps.store.getIncident('INC-1');
        return stored?.acknowledged ? stored : undefined;
      },
      3_000,
      'the acknowledgement',
    );
    expect(incident.acknowledged?.by).toBe('U0BO');
  });

  it('acks an Events API envelope and hands a 📌 to its listener, which reads the message', async () => {
    const { body } = slackEvent('Ev0SOCKET1', {
      type: 'reaction_added',
      user: 'U0BO',
      reaction: 'pushpin',
      item: { type: 'message', channel: 'C0TEST0001', ts: '1700000050.000200' },
    });
    link.deliver({
      envelope_id: 'env-3',
      type: 'events_api',
      payload: JSON.parse(body) as unknown,
      accepts_response_payload: false,
    });
    await ackOf('env-3');
    const read = await eventually(
      async () => standIn.calls.find((call) => call.method === 'conversations.replies'),
      3_000,
      'the read of the pinned message',
    );
    expect(read.form).toMatchObject({ channel: 'C0TEST0001', ts: '1700000050.000200' });
  });

  it('closes the connection when it stops', async () => {
    await slack.stop();
    await eventually(async () => link.closedByApp || undefined, 3_000, 'the close frame');
    expect(link.closedByApp).toBe(true);
  });
});
