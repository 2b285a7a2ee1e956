/**
 * Under the two-person rule the approver agrees to the request they read: the Approve rollback button is on that
 * request's message. A request replaced since (its requester asked again, to another version) is not what they
 * read, so a press on the old message must run nothing. Real signed HTTP to the Slack route, as Slack sends it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestRollback } from '../../../src/engine/rollback-request.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { readPending } from '../../../src/engine/pending-rollback.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';
import { firing } from '../../helpers/alerts.js';
import { realTimeDeps, recordDeployments, type TestDeps } from '../../helpers/engine.js';
import { sendSigned } from '../../helpers/slack.js';
import { pressButton, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  deps = realTimeDeps('fraud-scorer', 'rollback: { policy: two-person, approvers: [U0ANA, U0BO] }');
  slack = await serveSlackRoute(deps);
  await recordDeployments(deps, 'fraud-scorer', ['v39', 'v40', 'v41', 'v42']);
  await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
});

afterEach(async () => {
  await slack.close();
});

const ana = { id: 'U0ANA', groups: [] };

/** Ana asks for a rollback of INC-1 to `to`: its request goes in the thread, with an Approve rollback button. */
async function anaRequests(to: string, reason: string) {
  await requestRollback(deps, { model: 'fraud-scorer', to, reason, actor: ana, trigger: 'slack' });
  const requests = deps.notifier.ofType('decision.requested');
  const shown = requests.at(-1);
  const message = shown && createSlackRenderer(deps.runbooks).threadReply(shown);
  return message?.blocks ?? [];
}

async function bobPresses(blocks: readonly unknown[], replies: number): Promise<string | undefined> {
  expect((await sendSigned(slack.url, pressButton(blocks, 'Approve rollback', 'U0BO'))).status).toBe(200);
  await slack.settle(() => slack.called('chat.postEphemeral').length === replies, "Bob's reply");
  return slack.called('chat.postEphemeral')[replies - 1]?.form.text;
}

describe('Approve rollback on a request that was replaced since', () => {
  it('runs nothing and points to the request waiting now; that one is approved on its own message', async () => {
    const first = await anaRequests('v41', 'p99 doubled after v42');
    // Bob reads it; before he presses, Ana asks again, further back.
    const second = await anaRequests('v39', 'v40 and v41 too');

    const reply = await bobPresses(first, 1);
    expect(reply).toContain('the request on this message was replaced');
    expect(reply).toContain('U0ANA requested a rollback of fraud-scorer to v39');
    expect(reply).toContain('nothing was rolled back');
    expect(deps.fake.mutations).toBe(0);
    expect(await readPending(deps, 'fraud-scorer')).toMatchObject({ to: 'v39' });

    expect(await bobPresses(second, 2)).toBe('Approved: rolled back to v39.');
    expect(deps.fake.current).toBe('v39');
  });
});
