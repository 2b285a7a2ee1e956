import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { notesOf } from '../../../src/engine/notes.js';
import { createSlackApp, type SlackApp } from '../../../src/slack/app.js';
import { ACTIONS } from '../../../src/slack/ids.js';
import { threadKey } from '../../../src/slack/notifier/refs.js';
import { firing } from '../../helpers/alerts.js';
import { eventually } from '../../helpers/bot-process.js';
import { makeDeps, metricValue, RealClock, type TestDeps } from '../../helpers/engine.js';
import { buttonPress, slackEvent, slashCommand } from '../../helpers/slack.js';
import { startSlackStandIn, type SlackStandIn } from '../../helpers/slack-standin.js';
import { SocketModeLink } from '../../helpers/socket-mode-link.js';

const CHANNEL = 'C0TEST0001';
/** INC-1's message, which starts its thread, and a person's reply in it. */
const INCIDENT_TS = '1700000000.000100';
const REPLY_TS = '1700000050.000200';
const PERMALINK = `https://acme.slack.com/archives/${CHANNEL}/p1700000050000200?thread_ts=${INCIDENT_TS}&cid=${CHANNEL}`;

/** What Slack answers about the reply: conversations.replies (its thread's parent first, as it may) and its link. */
const answers = {
  'conversations.replies': () => ({
    messages: [
      { ts: INCIDENT_TS, thread_ts: INCIDENT_TS, text: 'INC-1 fraud-scorer', bot_id: 'B0ROLL' },
      { ts: REPLY_TS, thread_ts: INCIDENT_TS, text: 'feature store stale since 01:40', user: 'U0ANA' },
    ],
  }),
  'chat.getPermalink': (form: Record<string, string>) =>
    form.message_ts === REPLY_TS
      ? { channel: CHANNEL, permalink: PERMALINK }
      : { ok: false, error: 'message_not_found' },
};

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
  standIn = await startSlackStandIn({ answers });
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

  it('captures a 📌 delivered over the socket: on the timeline once, with its link, marked ✅', async () => {
    // As the Slack notifier stores it when it posts INC-1's message.
    await deps.store.setValue(threadKey(CHANNEL, INCIDENT_TS), 'INC-1');
    const pinned = (eventId: string, user: string) =>
      JSON.parse(
        slackEvent(eventId, {
          type: 'reaction_added',
          user,
          reaction: 'pushpin',
          item_user: 'U0ANA',
          item: { type: 'message', channel: CHANNEL, ts: REPLY_TS },
        }).body,
      ) as unknown;
    const deliver = (envelopeId: string, payload: unknown) =>
      link.deliver({ envelope_id: envelopeId, type: 'events_api', payload, accepts_response_payload: false });
    const pins = (outcome: string) => metricValue(deps.metrics, 'rollbot_pinned_messages_total', { outcome });
    const counted = (outcome: string) =>
      eventually(async () => ((await pins(outcome)) >= 1 ? true : undefined), 3_000, `a pin ${outcome}`);

    const first = pinned('Ev0SOCKET2', 'U0BO');
    deliver('env-4', first);
    await ackOf('env-4');
    await counted('captured');

    expect(await notesOf(deps, 'INC-1')).toEqual([
      expect.objectContaining({
        actor: 'U0ANA',
        text: 'feature store stale since 01:40',
        data: { pinnedBy: 'U0BO', channel: CHANNEL, ts: REPLY_TS, permalink: PERMALINK },
      }),
    ]);
    const marked = await eventually(
      async () => standIn.calls.find((call) => call.method === 'reactions.add'),
      3_000,
      'the ✅',
    );
    expect(marked.form).toMatchObject({ channel: CHANNEL, timestamp: REPLY_TS, name: 'white_check_mark' });
    const timeline = await deps.store.list('INC-1');

    // Slack delivers the event again on a new envelope (its ack taken for lost), then a second person pins it.
    deliver('env-5', first);
    deliver('env-6', pinned('Ev0SOCKET3', 'U0CY'));
    await ackOf('env-5');
    await ackOf('env-6');
    await counted('duplicate');

    expect(await deps.store.list('INC-1')).toEqual(timeline);
    expect(await pins('captured')).toBe(1);
    // The redelivery was dropped by its event_id; only the second pin was read.
    expect(standIn.calls.filter((call) => call.method === 'conversations.replies')).toHaveLength(2);
  });

  it('closes the connection when it stops', async () => {
    await slack.stop();
    await eventually(async () => link.closedByApp || undefined, 3_000, 'the close frame');
    expect(link.closedByApp).toBe(true);
  });
});
