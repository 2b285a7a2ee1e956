/**
 * Approve deployment approves the deployment its message asked about. A message asking after an earlier
 * rollback (long since approved and deployed) talks about another version and another incident: a press on it
 * must not approve the first deployment after today's rollback. Real signed HTTP to the Slack route, as Slack
 * sends it; the Slack Web API answered by nock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approveDeployment } from '../../../src/engine/approve-deployment.js';
import { recordDeployment } from '../../../src/engine/deployments.js';
import { deploymentGate } from '../../../src/engine/gate.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { rollback } from '../../../src/engine/rollback.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, RealClock, sleepingForReal, type TestDeps } from '../../helpers/engine.js';
import { sendSigned } from '../../helpers/slack.js';
import { pressButton, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  deps = sleepingForReal(
    makeDeps({
      clock: new RealClock(),
      runbooks: [{ ...makeRunbook('fraud-scorer', 'rollback: { approvers: [U0LEAD, U0BO] }'), tier: 2 }],
    }),
  );
  slack = await serveSlackRoute(deps);
  await deploy('v41');
  await deploy('v42');
});

afterEach(async () => {
  await slack.close();
});

async function deploy(version: string): Promise<void> {
  await recordDeployment(deps, { model: 'fraud-scorer', version, strategy: 'canary', by: 'ci' });
  deps.fake.previous = deps.fake.current;
  deps.fake.current = version;
}

/** The serving version degrades and is rolled back in `incidentId`, which is then resolved. */
async function rollBackIn(incidentId: string): Promise<void> {
  await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
  const outcome = await rollback(deps, {
    model: 'fraud-scorer',
    reason: 'errors',
    by: 'cli:ana',
    trigger: 'cli',
  });
  expect(outcome.outcome).toBe('succeeded');
  await resolve(deps, incidentId, { by: 'U0ANA', reason: 'back to normal' });
}

/** CI polls the gate, which asks the channel: the blocks of the request message posted. */
async function requestPosted(): Promise<readonly unknown[]> {
  expect(await deploymentGate(deps, 'fraud-scorer', { requestApproval: true })).toMatchObject({
    status: 'approval required',
  });
  const asked = deps.notifier.ofType('channel.message').filter((event) => event.approveDeployment);
  const request = asked.at(-1);
  return (request && createSlackRenderer(deps.runbooks).channelMessage?.(request)?.blocks) ?? [];
}

const approvals = () =>
  deps.notifier.ofType('channel.message').filter((message) => message.text.startsWith('✅'));

/** Bob presses Approve deployment on `blocks`: waits until he is answered or a deployment is approved. */
async function bobPresses(blocks: readonly unknown[]): Promise<void> {
  const [replied, approved] = [slack.called('chat.postEphemeral').length, approvals().length];
  expect((await sendSigned(slack.url, pressButton(blocks, 'Approve deployment', 'U0BO'))).status).toBe(200);
  await slack.settle(
    () => slack.called('chat.postEphemeral').length > replied || approvals().length > approved,
    "Bob's press",
  );
}

describe('Approve deployment on the request after an earlier rollback', () => {
  it('approves nothing, tells the presser what waits now and where, and records it; the current message approves', async () => {
    await rollBackIn('INC-1');
    const afterInc1 = await requestPosted();
    // Approved through the API, and v43 deployed; weeks later INC-2 rolls v43 back.
    await approveDeployment(deps, 'fraud-scorer', { actor: { id: 'U0LEAD', groups: [] } });
    await deploy('v43');
    await rollBackIn('INC-2');
    const afterInc2 = await requestPosted();

    await bobPresses(afterInc1);
    expect(approvals()).toHaveLength(1); // the API's, after INC-1
    const reply = slack.called('chat.postEphemeral')[0]?.form;
    expect(reply).toMatchObject({ channel: 'C0TEST0001', user: 'U0BO' });
    expect(reply?.text).toContain('this message asked about an earlier deployment of fraud-scorer');
    expect(reply?.text).toContain('the first deployment after the rollback from v43 in INC-2');
    expect(reply?.text).toContain('nothing was approved');
    expect(reply?.text).toContain('read its request in C0TEST0001');
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ status: 'approval required' });
    expect((await deps.store.list('INC-2')).at(-1)).toMatchObject({
      type: 'deployment.approval-refused',
      actor: 'U0BO',
    });

    await bobPresses(afterInc2);
    expect(deps.notifier.ofType('channel.message').at(-1)?.text).toMatch(
      /^✅ next deployment of fraud-scorer approved by U0BO \(first deployment after the rollback from v43 in INC-2/,
    );
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ status: 'open' });
    expect(slack.called('chat.postEphemeral')).toHaveLength(1);
  });
});
