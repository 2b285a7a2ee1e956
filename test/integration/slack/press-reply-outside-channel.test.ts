/**
 * A button's reply to the person who pressed it goes as an ephemeral message to the conversation of the message,
 * which Slack refuses where rollbot no longer is (removed from the channel: `not_in_channel`; a private channel it
 * was taken out of: `channel_not_found`). The press's own response_url reaches the person there, as a `/rollback`'s
 * does: every button's reply, and the outcome of the modal a button opened, must use it then (a form that opens
 * before anything is read says why the person cannot go on in itself). Real signed HTTP to the Slack route.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dismiss } from '../../../src/engine/decisions.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { closeItemActionId } from '../../../src/slack/blocks/retro.js';
import { ACTIONS, INPUTS } from '../../../src/slack/ids.js';
import { firing } from '../../helpers/alerts.js';
import type { TestDeps } from '../../helpers/engine.js';
import { buttonPress, sendSigned, viewSubmission } from '../../helpers/slack.js';
import { approvePolicyIncident, reasonGiven, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  // rollbot was taken out of the channel its messages are in (buttonPress: C0TEST0001).
  ({ deps, slack } = await approvePolicyIncident(['U0ANA', 'U0BO'], {
    alert: false,
    answers: { 'chat.postEphemeral': { ok: false, error: 'not_in_channel' } },
  }));
});

afterEach(async () => {
  await slack.close();
});

/** The replies that went through the press's response_url, once `count` of them have. */
async function repliesThroughResponseUrl(count = 1): Promise<Record<string, unknown>[]> {
  await slack.settle(
    () => slack.called('response_url').length >= count,
    'the reply through the response_url',
  );
  return slack.called('response_url').map((call) => call.form as Record<string, unknown>);
}

/** A reply only the presser sees, posted as a new message: the incident message it answers stays as it is. */
const privateReply = (text: string) =>
  expect.objectContaining({
    response_type: 'ephemeral',
    replace_original: false,
    text: expect.stringContaining(text),
  });

describe('a button pressed where rollbot cannot post', () => {
  const onNoIncident = { model: 'fraud-scorer', incidentId: 'INC-9' };
  it.each([
    ['Acknowledge', ACTIONS.acknowledge, 'no incident INC-9'],
    ['Runbook', ACTIONS.runbook, 'fraud-scorer'],
    ['Approve rollback', ACTIONS.approve, 'U0EVE may not'],
    ['Approve deployment', ACTIONS.approveDeployment, 'U0EVE may not'],
    ["an action item's Close", closeItemActionId('A1'), 'no incident INC-9'],
  ])('answers %s through the press’s response_url', async (_label, actionId, said) => {
    expect((await sendSigned(slack.url, buttonPress(actionId, onNoIncident, 'U0EVE'))).status).toBe(200);

    expect(await repliesThroughResponseUrl()).toEqual([privateReply(said)]);
    expect(slack.called('chat.postEphemeral')).toHaveLength(1);
  });

  // These open their form before reading anything (a trigger lives 3 s): why they cannot go on is in the form.
  it.each([
    ['Roll back', ACTIONS.rollback],
    ["a decision request's Roll back", ACTIONS.decisionRollback],
    ['Not a rollback', ACTIONS.notRollback],
    ["a decision request's Not a rollback", ACTIONS.decisionNotRollback],
    ['Complete retrospective', ACTIONS.completeRetro],
  ])('answers %s in the form it opens', async (_label, actionId) => {
    expect((await sendSigned(slack.url, buttonPress(actionId, onNoIncident, 'U0EVE'))).status).toBe(200);

    await slack.settle(() => slack.called('views.update').length > 0, 'the form');
    expect(slack.called('views.update')[0]?.form.view).toContain('no incident INC-9');
    expect(slack.called('chat.postEphemeral')).toEqual([]);
    expect(slack.called('response_url')).toEqual([]);
  });
});

describe('a modal opened by a button pressed where rollbot cannot post', () => {
  beforeEach(async () => {
    await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
  });

  /** U0BO presses `actionId` on INC-1's message and submits the modal it opens with `values`. */
  async function bobSubmitsTheModalOf(actionId: string, values: Record<string, Record<string, unknown>>) {
    const press = buttonPress(actionId, { model: 'fraud-scorer', incidentId: 'INC-1' }, 'U0BO');
    expect((await sendSigned(slack.url, press)).status).toBe(200);
    await slack.settle(() => slack.called('views.update').length > 0, 'the modal');
    const view = JSON.parse(slack.called('views.update')[0]?.form.view ?? '{}') as {
      callback_id?: string;
      private_metadata?: string;
    };
    const metadata = JSON.parse(view.private_metadata ?? '{}') as Record<string, string>;
    const callbackId = view.callback_id ?? JSON.stringify(view);
    return {
      metadata,
      submit: () => sendSigned(slack.url, viewSubmission(callbackId, values, metadata, { user: 'U0BO' })),
    };
  }

  it('tells the outcome of the rollback submitted from Roll back through the press’s response_url', async () => {
    const { submit } = await bobSubmitsTheModalOf(ACTIONS.rollback, reasonGiven('p99 doubled'));
    expect((await submit()).status).toBe(200);

    expect(await repliesThroughResponseUrl()).toEqual([privateReply('Rolled back to v41 (INC-1)')]);
    expect(deps.fake.current).toBe('v41');
  });

  it('tells why a Not a rollback submitted after the decision was made did nothing', async () => {
    const { submit } = await bobSubmitsTheModalOf(ACTIONS.notRollback, reasonGiven('upstream blip'));
    await dismiss(deps, 'INC-1', {
      actor: { id: 'U0ANA', groups: [] },
      reason: 'known outage',
      trigger: 'slack',
    });
    expect((await submit()).status).toBe(200);

    expect(await repliesThroughResponseUrl()).toEqual([
      privateReply('INC-1 is dismissed: it was decided already'),
    ]);
  });

  it('tells that the retrospective submitted from Complete retrospective was completed', async () => {
    await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'back to normal' });
    const rootCause = {
      [INPUTS.rootCause.block]: {
        [INPUTS.rootCause.action]: { type: 'plain_text_input', value: 'a bad feature' },
      },
    };
    const { submit } = await bobSubmitsTheModalOf(ACTIONS.completeRetro, rootCause);
    expect((await submit()).status).toBe(200);

    expect(await repliesThroughResponseUrl()).toEqual([privateReply('Retrospective of INC-1 completed')]);
  });
});
