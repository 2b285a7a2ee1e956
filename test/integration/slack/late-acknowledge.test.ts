/**
 * The incident message's Acknowledge ("I'm on it") is for an incident still running. One pressed on a message
 * drawn before the incident ended (the redraw not yet there, Slack slow or down) must not record somebody "on it"
 * after the end: the timeline and the retrospective would show an acknowledgement after the resolution.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dismiss } from '../../../src/engine/decisions.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { ACTIONS } from '../../../src/slack/ids.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, RealClock, type TestDeps } from '../../helpers/engine.js';
import { buttonPress, sendSigned } from '../../helpers/slack.js';
import { serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  deps = makeDeps({
    clock: new RealClock(),
    runbooks: [makeRunbook('fraud-scorer', 'rollback: { policy: approve, approvers: [U0ANA, U0BO] }')],
  });
  slack = await serveSlackRoute(deps);
  await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
});

afterEach(async () => {
  await slack.close();
});

async function bobAcknowledges(): Promise<string | undefined> {
  const press = buttonPress(ACTIONS.acknowledge, { incidentId: 'INC-1', model: 'fraud-scorer' }, 'U0BO');
  expect((await sendSigned(slack.url, press)).status).toBe(200);
  await slack.settle(() => slack.called('chat.postEphemeral').length > 0, "Bob's reply");
  return slack.called('chat.postEphemeral')[0]?.form.text;
}

const acknowledgements = async () =>
  (await deps.store.list('INC-1')).filter((entry) => entry.type === 'incident.acknowledged');

describe('Acknowledge pressed once the incident is over', () => {
  it('records nobody on a resolved incident, and says it is over', async () => {
    await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'recovered by itself' });
    const reply = await bobAcknowledges();
    expect(reply).toContain('INC-1 is resolved: there is nothing to acknowledge');
    expect(await acknowledgements()).toEqual([]);
    expect((await deps.store.getIncident('INC-1'))?.acknowledged).toBeUndefined();
  });

  it('records nobody on a dismissed incident', async () => {
    await dismiss(deps, 'INC-1', { actor: { id: 'U0ANA', groups: [] }, reason: 'noise', trigger: 'slack' });
    expect(await bobAcknowledges()).toContain('INC-1 is dismissed: there is nothing to acknowledge');
    expect(await acknowledgements()).toEqual([]);
  });
});
