import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { createSlackApp, type SlackApp } from '../../../src/slack/app.js';
import { ACTIONS } from '../../../src/slack/ids.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, RealClock, type TestDeps } from '../../helpers/engine.js';
import { buttonPress, slashCommand } from '../../helpers/slack.js';
import { SocketModeStandIn } from '../../helpers/socket-mode-standin.js';

let deps: TestDeps;
let slack: SlackApp;
let standIn: SocketModeStandIn;

/** Socket Mode acks and listeners run asynchronously: wait for what they do. */
async function settle(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 150 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

beforeEach(async () => {
  standIn = new SocketModeStandIn();
  await standIn.listen();
  deps = makeDeps({ clock: new RealClock() });
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  slack = createSlackApp({
    deps,
    botToken: 'xoxb-test',
    apiUrl: standIn.apiUrl,
    transport: { mode: 'socket', appToken: 'xapp-1-test' },
    groupsOf: async () => [],
  });
  await slack.start();
  await standIn.whenConnected();
});

afterEach(async () => {
  await slack.stop();
  await standIn.close();
});

describe('Slack over Socket Mode', () => {
  it('opens its connection through SLACK_API_URL with the app-level token', () => {
    const open = standIn.apiCalls.filter((call) => call.method === 'apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0]?.authorization).toBe('Bearer xapp-1-test');
  });

  it('acks a slash command envelope and answers on its response_url', async () => {
    const payload = Object.fromEntries(
      new URLSearchParams(
        slashCommand('/incident', 'list', 'U0ANA', { response_url: standIn.responseUrl }).body,
      ),
    );
    standIn.deliver({
      envelope_id: 'env-1',
      type: 'slash_commands',
      payload,
      accepts_response_payload: true,
    });
    await settle(() => standIn.acks.some((ack) => ack.envelope_id === 'env-1'), 'the ack of env-1');
    await settle(() => standIn.responses.length > 0, 'the /incident list reply');
    expect(JSON.stringify(standIn.responses[0])).toContain('INC-1');
  });

  it('acks a button envelope and acknowledges the incident', async () => {
    const press = buttonPress(ACTIONS.acknowledge, { incidentId: 'INC-1', model: 'fraud-scorer' }, 'U0BO');
    const payload = {
      ...(JSON.parse(new URLSearchParams(press.body).get('payload') ?? '{}') as Record<string, unknown>),
      response_url: standIn.responseUrl,
    };
    standIn.deliver({ envelope_id: 'env-2', type: 'interactive', payload, accepts_response_payload: false });
    await settle(() => standIn.acks.some((ack) => ack.envelope_id === 'env-2'), 'the ack of env-2');
    let incident = await deps.store.getIncident('INC-1');
    for (let i = 0; i < 150 && !incident?.acknowledged; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      incident = await deps.store.getIncident('INC-1');
    }
    expect(incident?.acknowledged?.by).toBe('U0BO');
  });

  it('closes the connection when it stops', async () => {
    await slack.stop();
    await settle(() => standIn.closedByApp, 'the close frame');
    expect(standIn.closedByApp).toBe(true);
  });
});
