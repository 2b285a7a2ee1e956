/**
 * The incident message's **Not a rollback** opens a form asking why. Pressed on a message drawn before the decision
 * was made (Slack had not redrawn it yet), or by someone the runbook does not let dismiss, the form could only be
 * refused after the person typed their reason: the form that opens says why instead, and asks nothing — as the
 * rollback form does. Real signed HTTP to the Slack route, as Slack sends it.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { requestRollback } from '../../../src/engine/rollback-request.js';
import { VIEWS } from '../../../src/slack/ids.js';
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

/** `user` presses Not a rollback: the form it opened, as filled in (views.update after views.open's "Checking…"). */
async function pressNotRollback(user: string): Promise<string> {
  expect((await sendSigned(slack.url, pressButton(blocks, 'Not a rollback', user))).status).toBe(200);
  await slack.settle(() => slack.called('views.update').length > 0, 'the form');
  expect(slack.called('views.open')).toHaveLength(1);
  expect(slack.called('chat.postEphemeral')).toEqual([]);
  return slack.called('views.update')[0]?.form.view ?? '';
}

/** A form that only says something: nothing to type in, nothing to submit. */
function asksNothing(view: string): void {
  const shown = JSON.parse(view) as { submit?: unknown; callback_id?: string; blocks: { type: string }[] };
  expect(shown.submit).toBeUndefined();
  expect(shown.callback_id).toBeUndefined();
  expect(shown.blocks.map((block) => block.type)).toEqual(['section']);
}

it('pressed on a message drawn before someone rolled back, says so in the form and asks nothing', async () => {
  await requestRollback(deps, {
    model: 'fraud-scorer',
    reason: 'p99 doubled',
    actor: { id: 'U0ANA', groups: [] },
    trigger: 'slack',
  });

  const view = await pressNotRollback('U0BO');
  expect(view).toContain('Cannot dismiss');
  expect(view).toContain('INC-1: this decision was made: U0ANA rolled back to v41');
  asksNothing(view);
});

it('pressed by someone the runbook does not let dismiss, says who may in the form and asks nothing', async () => {
  const view = await pressNotRollback('U0CY');
  // The words of the reply it replaces, who may by name.
  const text = (JSON.parse(view) as { blocks: { text: { text: string } }[] }).blocks[0]?.text.text;
  expect(text).toMatch(/^⚠️ U0CY may not dismiss fraud-scorer: the runbook allows <@U0ANA>, <@U0BO>/);
  expect(text).toContain('fix: ask one of <@U0ANA>, <@U0BO>, or add yourself');
  asksNothing(view);
  expect((await deps.store.getIncident('INC-1'))?.phase).toBe('triage');
});

it('still asks an approver why while the incident is in triage', async () => {
  const view = JSON.parse(await pressNotRollback('U0BO')) as { callback_id?: string };
  expect(view.callback_id).toBe(VIEWS.notRollback);
  expect(JSON.stringify(view)).toContain('"type":"input"');
});
