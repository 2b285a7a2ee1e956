/**
 * A button whose modal Slack will not open (its trigger expired after a slow moment, Slack unavailable) must not
 * do nothing: the person is told, with the command that does the same. Real signed HTTP to the Slack route.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { ACTIONS } from '../../../src/slack/ids.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, RealClock, type TestDeps } from '../../helpers/engine.js';
import { buttonPress, sendSigned } from '../../helpers/slack.js';
import { commandReply, pressButton, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

let route: SlackRoute | undefined;
afterEach(async () => {
  await route?.close();
  route = undefined;
});

/** fraud-scorer's incident INC-1 in triage, its message rendered, with Slack refusing to open modals. */
async function incidentWhileModalsFail(
  answers: Record<string, object> = { 'views.open': { ok: false, error: 'expired_trigger_id' } },
): Promise<{ deps: TestDeps; blocks: readonly unknown[] }> {
  const deps = makeDeps({ clock: new RealClock(), runbooks: [makeRunbook('fraud-scorer')] });
  route = await serveSlackRoute(deps, { answers });
  await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
  const opened = deps.notifier.ofType('incident.opened')[0];
  if (!opened) throw new Error('INC-1 was not announced');
  return { deps, blocks: createSlackRenderer(deps.runbooks).incidentMessage(opened, Date.now()).blocks };
}

async function pressed(blocks: readonly unknown[], label: string): Promise<string> {
  const slack = route!;
  expect((await sendSigned(slack.url, pressButton(blocks, label, 'U0BO'))).status).toBe(200);
  await slack.settle(() => slack.called('chat.postEphemeral').length > 0, 'a reply to Bob');
  const [reply, ...more] = slack.called('chat.postEphemeral');
  expect(more).toEqual([]);
  expect(reply?.form).toMatchObject({ user: 'U0BO' });
  return reply?.form.text ?? '';
}

describe('a modal Slack does not open', () => {
  it('Roll back tells the person, with /rollback and the CLI to do it instead', async () => {
    const { blocks } = await incidentWhileModalsFail();
    const text = await pressed(blocks, 'Roll back');
    expect(text).toContain('expired_trigger_id');
    expect(text).toContain('/rollback fraud-scorer');
    expect(text).toContain('rollbot rollback fraud-scorer --reason');
  });

  it('Roll back whose form opened but was not filled in does not say it did not open', async () => {
    // views.open showed "planning…"; replacing it with the plan failed: the person is looking at the form.
    const { blocks } = await incidentWhileModalsFail({ 'views.update': { ok: false, error: 'not_found' } });
    const text = await pressed(blocks, 'Roll back');
    expect(route!.called('views.open')).toHaveLength(1);
    expect(text).not.toContain('did not open');
    expect(text).toContain('Slack did not show the plan in the form (not_found)');
    expect(text).toContain('/rollback fraud-scorer');
  });

  it('Not a rollback tells the person, with /incident dismiss to do it instead', async () => {
    const { blocks } = await incidentWhileModalsFail();
    const text = await pressed(blocks, 'Not a rollback');
    expect(text).toContain('expired_trigger_id');
    expect(text).toContain('/incident dismiss INC-1');
  });

  it('Not a rollback whose form opened but was not filled in says so, with /incident dismiss', async () => {
    const { blocks } = await incidentWhileModalsFail({ 'views.update': { ok: false, error: 'not_found' } });
    const text = await pressed(blocks, 'Not a rollback');
    expect(route!.called('views.open')).toHaveLength(1);
    expect(text).toBe(
      'Slack did not show the question in the form (not_found): close it, then run `/incident dismiss INC-1 <reason>` instead.',
    );
  });

  it('Complete retrospective whose form opened but was not filled in says so, and to press it again', async () => {
    const { deps } = await incidentWhileModalsFail({ 'views.update': { ok: false, error: 'not_found' } });
    await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'back to normal' });
    const slack = route!;
    const press = buttonPress(ACTIONS.completeRetro, { incidentId: 'INC-1', model: 'fraud-scorer' }, 'U0BO');
    expect((await sendSigned(slack.url, press)).status).toBe(200);
    await slack.settle(() => slack.called('chat.postEphemeral').length > 0, 'a reply to Bob');

    expect(slack.called('views.open')).toHaveLength(1);
    const text = slack.called('chat.postEphemeral')[0]?.form.text ?? '';
    expect(text).toContain('Slack did not show the retrospective in the form (not_found)');
    expect(text).toContain('close the form, then press *Complete retrospective* again');
    expect(text).not.toContain('did not open');
  });

  it('Complete retrospective tells the person, and to press it again, not "something went wrong"', async () => {
    const { deps } = await incidentWhileModalsFail();
    await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'back to normal' });
    const slack = route!;
    const press = buttonPress(ACTIONS.completeRetro, { incidentId: 'INC-1', model: 'fraud-scorer' }, 'U0BO');
    expect((await sendSigned(slack.url, press)).status).toBe(200);
    await slack.settle(() => slack.called('chat.postEphemeral').length > 0, 'a reply to Bob');

    const text = slack.called('chat.postEphemeral')[0]?.form.text ?? '';
    expect(text).toContain('Slack did not open the form (expired_trigger_id)');
    expect(text).toContain('press *Complete retrospective* again');
    expect(text).not.toContain('Something went wrong');
  });

  it('/rollback tells the person why, with what to type to try again and the CLI', async () => {
    await incidentWhileModalsFail();
    const text = await commandReply(route!, '/rollback', 'fraud-scorer p99 doubled', 'U0BO');
    expect(text).toContain('Slack did not open the form (expired_trigger_id)');
    expect(text).toContain('/rollback fraud-scorer p99 doubled');
    expect(text).toContain('rollbot rollback fraud-scorer --reason');
  });
});
