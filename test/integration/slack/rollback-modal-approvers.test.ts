/**
 * Someone the runbook does not let roll back is told so when the rollback modal opens, not after reading the plan
 * and typing a reason: the modal says who may, and offers nothing to submit. Real signed HTTP to the Slack route.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, RealClock, recordDeployments, type TestDeps } from '../../helpers/engine.js';
import { sendSigned, slashCommand } from '../../helpers/slack.js';
import { pressButton, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

let route: SlackRoute | undefined;
afterEach(async () => {
  await route?.close();
  route = undefined;
});

/** fraud-scorer's incident INC-1 in triage; only Ana may roll it back. */
async function onlyAnaMayRollBack(): Promise<TestDeps> {
  const deps = makeDeps({
    clock: new RealClock(),
    runbooks: [makeRunbook('fraud-scorer', 'rollback: { policy: approve, approvers: [U0ANA] }')],
  });
  route = await serveSlackRoute(deps);
  await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
  await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
  return deps;
}

/** The modal the press or command ended with (views.update after views.open's "planning…"). */
async function modalShown(): Promise<string> {
  const slack = route!;
  await slack.settle(() => slack.called('views.update').length > 0, 'the modal');
  return slack.called('views.update').at(-1)?.form.view ?? '';
}

function press(deps: TestDeps, user: string) {
  const opened = deps.notifier.ofType('incident.opened')[0];
  if (!opened) throw new Error('INC-1 was not announced');
  const { blocks } = createSlackRenderer(deps.runbooks).incidentMessage(opened, Date.now());
  return sendSigned(route!.url, pressButton(blocks, 'Roll back', user));
}

describe('the rollback modal, opened by someone the runbook does not allow', () => {
  it("says who may roll back instead of the plan, when Bob presses the incident message's Roll back", async () => {
    const deps = await onlyAnaMayRollBack();
    expect((await press(deps, 'U0BO')).status).toBe(200);
    const view = await modalShown();
    expect(view).toContain('Cannot roll back');
    // Who may, as Slack shows people (their names), so that they can be asked; the person's own ID as it is.
    expect(view).toContain('U0BO may not roll back fraud-scorer: the runbook allows <@U0ANA>');
    expect(view).not.toContain('"type":"input"');
    // Opening a form is not an attempt: no denial on the record.
    expect((await deps.store.list('INC-1')).map((entry) => entry.type)).not.toContain('permission.denied');
  });

  it('says so for /rollback too', async () => {
    await onlyAnaMayRollBack();
    const command = slashCommand('/rollback', 'fraud-scorer p99 doubled', 'U0BO');
    expect((await sendSigned(route!.url, command)).status).toBe(200);
    expect(await modalShown()).toContain('U0BO may not roll back fraud-scorer');
  });

  it('shows Ana the plan, with the reason to fill in', async () => {
    const deps = await onlyAnaMayRollBack();
    expect((await press(deps, 'U0ANA')).status).toBe(200);
    const view = await modalShown();
    expect(view).toContain('`v42` → `v41`');
    expect(view).toContain('"type":"input"');
  });
});
