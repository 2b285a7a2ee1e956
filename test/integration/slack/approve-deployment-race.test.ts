/**
 * Approve deployment pressed while CI records the deployment the request asked about: the press read which
 * deployment waits, the deployment went out, then the approval was stored. It must not approve the next one,
 * which nobody was asked about: the presser is told, the channel is not told it was approved, the gate stays
 * closed. Real signed HTTP to the Slack route; the Slack Web API answered by nock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordDeployment } from '../../../src/engine/deployments.js';
import { deploymentGate } from '../../../src/engine/gate.js';
import type { Runbook } from '../../../src/runbooks/schema.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';
import { recordingWhileApproving } from '../../helpers/approval-race.js';
import { makeDeps, makeRunbook, TestClock, type TestDeps } from '../../helpers/engine.js';
import { sendSigned } from '../../helpers/slack.js';
import { pressButton, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

const RUNBOOK: Runbook = { ...makeRunbook('fraud-scorer', 'rollback: { approvers: [U0BO] }'), tier: 1 };

/** CI's replica, on the same store and clock as the bot's. */
let ci: TestDeps;
/** The bot's, whose approval is stored just after CI's replica recorded v43. */
let bot: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  // Test time starting now, as Slack's request signatures must be fresh; moved by hand between deployments.
  ci = makeDeps({ runbooks: [RUNBOOK], clock: new TestClock(Date.now()) });
  const store = recordingWhileApproving(ci.store, 'fraud-scorer', () => deploy('v43'));
  bot = makeDeps({ runbooks: [RUNBOOK], clock: ci.clock, fake: ci.fake, store });
  slack = await serveSlackRoute(bot);
  await deploy('v42');
});

afterEach(async () => {
  await slack.close();
});

async function deploy(version: string): Promise<void> {
  await recordDeployment(ci, { model: 'fraud-scorer', version, strategy: 'canary', by: 'ci' });
  ci.clock.advance(1_000);
}

/** CI polls the gate on the bot, which asks the channel: the blocks of the request message posted. */
async function requestPosted(): Promise<readonly unknown[]> {
  await deploymentGate(bot, 'fraud-scorer', { requestApproval: true });
  const request = bot.notifier
    .ofType('channel.message')
    .filter((event) => event.approveDeployment)
    .at(-1);
  return (request && createSlackRenderer(bot.runbooks).channelMessage?.(request)?.blocks) ?? [];
}

const approvals = () =>
  bot.notifier.ofType('channel.message').filter((message) => message.text.startsWith('✅'));

/** Bob presses Approve deployment on `blocks`: waits until he is answered or a deployment is approved. */
async function bobPresses(blocks: readonly unknown[]): Promise<void> {
  const [replied, approved] = [slack.called('chat.postEphemeral').length, approvals().length];
  expect((await sendSigned(slack.url, pressButton(blocks, 'Approve deployment', 'U0BO'))).status).toBe(200);
  await slack.settle(
    () => slack.called('chat.postEphemeral').length > replied || approvals().length > approved,
    "Bob's press",
  );
}

describe('Approve deployment while the deployment it asked about is recorded', () => {
  it('tells the presser nothing was approved and what waits now; the new request approves', async () => {
    const forV42 = await requestPosted();
    await bobPresses(forV42);

    expect(approvals()).toEqual([]);
    const reply = slack.called('chat.postEphemeral')[0]?.form;
    expect(reply).toMatchObject({ channel: 'C0TEST0001', user: 'U0BO' });
    expect(reply?.text).toContain(
      'the deployment of fraud-scorer waiting for approval changed while U0BO approved: the approval was for the deployment after v42',
    );
    expect(reply?.text).toContain('the one waiting now is the deployment after v43');
    expect(reply?.text).toContain('nothing was approved');
    expect(reply?.text).toContain('approve the one waiting now on its request in C0TEST0001');
    const gate = await deploymentGate(bot, 'fraud-scorer');
    expect(gate).toMatchObject({ allowed: false, status: 'approval required' });
    expect(gate.approval?.outdated?.by).toBe('U0BO');

    // CI's next gate check asks about the deployment after v43: its button approves.
    const forV43 = await requestPosted();
    await bobPresses(forV43);
    expect(approvals()).toHaveLength(1);
    expect(await deploymentGate(bot, 'fraud-scorer')).toMatchObject({ allowed: true, status: 'open' });
    expect(slack.called('chat.postEphemeral')).toHaveLength(1);
  });
});
