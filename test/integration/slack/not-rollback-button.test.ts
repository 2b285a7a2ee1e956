/**
 * The incident message's **Not a rollback** opens a form asking why. Pressed on a message drawn before the decision
 * was made (Slack had not redrawn it yet), or by someone the runbook does not let dismiss, the form could only be
 * refused after the person typed their reason: they are told at the press instead, and no form opens — as the
 * Roll back button does. Real signed HTTP to the Slack route, as Slack sends it.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { requestRollback } from '../../../src/engine/rollback-request.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';
import type { TestDeps } from '../../helpers/engine.js';
import { sendSigned } from '../../helpers/slack.js';
import { approvePolicyIncident, pressButton, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;
/** INC-1's message as drawn while it was in triage. */
let blocks: readonly unknown[];

beforeEach(async () => {
  ({ deps, slack } = await approvePolicyIncident(['U0ANA', 'U0BO']));
  const opened = deps.notifier.ofType('incident.opened')[0];
  if (!opened) throw new Error('INC-1 was not announced');
  blocks = createSlackRenderer(deps.runbooks).incidentMessage(opened, Date.now()).blocks;
});

afterEach(async () => {
  await slack.close();
});

async function pressNotRollback(user: string): Promise<string> {
  expect((await sendSigned(slack.url, pressButton(blocks, 'Not a rollback', user))).status).toBe(200);
  await slack.settle(() => slack.called('chat.postEphemeral').length > 0, 'the reply');
  return slack.called('chat.postEphemeral')[0]?.form.text ?? '';
}

it('pressed on a message drawn before someone rolled back, says so and opens no form', async () => {
  await requestRollback(deps, {
    model: 'fraud-scorer',
    reason: 'p99 doubled',
    actor: { id: 'U0ANA', groups: [] },
    trigger: 'slack',
  });

  const reply = await pressNotRollback('U0BO');
  expect(reply).toContain('INC-1: this decision was made: U0ANA rolled back to v41');
  expect(slack.called('views.open')).toEqual([]);
});

it('pressed by someone the runbook does not let dismiss, says who may and opens no form', async () => {
  const reply = await pressNotRollback('U0CY');
  expect(reply).toContain('U0CY may not dismiss fraud-scorer: the runbook allows <@U0ANA>, <@U0BO>');
  expect(reply).toContain('fix: ask one of <@U0ANA>, <@U0BO>, or add yourself');
  expect(slack.called('views.open')).toEqual([]);
  expect((await deps.store.getIncident('INC-1'))?.phase).toBe('triage');
});

it('still opens the form for an approver while the incident is in triage', async () => {
  expect((await sendSigned(slack.url, pressButton(blocks, 'Not a rollback', 'U0BO'))).status).toBe(200);
  await slack.settle(() => slack.called('views.open').length > 0, 'the form');
  expect(slack.called('chat.postEphemeral')).toEqual([]);
});
