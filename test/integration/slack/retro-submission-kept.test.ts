/**
 * What people wrote in the Complete retrospective modal is theirs: the modal closes as it is submitted, so when
 * the completion is then refused (someone completed it meanwhile, the store failed), the reply hands back what
 * they wrote, to add it rather than write it again from memory. Real signed HTTP to the Slack route.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { completeRetrospective, getRetrospective } from '../../../src/engine/retro.js';
import { resolve } from '../../../src/engine/resolve.js';
import { INPUTS, VIEWS } from '../../../src/slack/ids.js';
import type { TestDeps } from '../../helpers/engine.js';
import { sendSigned, viewSubmission } from '../../helpers/slack.js';
import { approvePolicyIncident, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  ({ deps, slack } = await approvePolicyIncident(['U0ANA', 'U0BO']));
  await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'back to normal' });
});

afterEach(async () => {
  await slack.close();
});

const input = (id: { block: string; action: string }, value: string) => ({
  [id.block]: { [id.action]: { type: 'plain_text_input', value } },
});

/** U0BO submits the modal with a root cause, what went badly and two action items; the reply they get. */
async function submitAsBo(): Promise<string> {
  const values = {
    ...input(INPUTS.rootCause, 'the <feature> store served stale & partial rows'),
    ...input(INPUTS.wentBadly, 'the canary gate did not cover accuracy'),
    ...input(
      INPUTS.actionItems,
      '<@U0BO> | add an accuracy canary check | 2026-12-20\n@ana | alert on feature freshness',
    ),
  };
  const metadata = { incidentId: 'INC-1', model: 'fraud-scorer', channel: 'C0TEST0001' };
  const sent = await sendSigned(slack.url, viewSubmission(VIEWS.retro, values, metadata, { user: 'U0BO' }));
  expect(sent.status).toBe(200);
  await slack.settle(() => slack.called('chat.postEphemeral').length > 0, 'the reply');
  return slack.called('chat.postEphemeral')[0]?.form.text ?? '';
}

it('completed by someone else meanwhile: the refusal hands back what was written, none of it stored', async () => {
  await completeRetrospective(deps, 'INC-1', { by: 'U0ANA', rootCause: 'stale features' });
  const reply = await submitAsBo();

  expect(reply).toMatch(/^⚠️ the retrospective of INC-1 was completed already by U0ANA at /);
  expect(reply).toContain('What you wrote, to add it or submit it again:');
  expect(reply).toContain('Root cause:\n```the &lt;feature&gt; store served stale &amp; partial rows```');
  expect(reply).toContain('What went badly:\n```the canary gate did not cover accuracy```');
  expect(reply).toContain(
    'Action items:\n```&lt;@U0BO&gt; | add an accuracy canary check | 2026-12-20\n@ana | alert on feature freshness```',
  );
  expect((await getRetrospective(deps, 'INC-1'))?.rootCause).toBe('stale features');
});

it('the store failing as it is submitted: the reply hands back what was written', async () => {
  const claimOnce = deps.store.claimOnce.bind(deps.store);
  deps.store.claimOnce = async (key, ttlMs) => {
    if (key.startsWith('slack:view:')) throw new Error('Connection is closed.');
    return claimOnce(key, ttlMs);
  };
  const reply = await submitAsBo();

  expect(reply).toContain('nothing was done');
  expect(reply).toContain('press Complete retrospective on its message again');
  expect(reply).toContain('Root cause:\n```the &lt;feature&gt; store served stale &amp; partial rows```');
  expect(reply).toContain('alert on feature freshness');
  expect((await getRetrospective(deps, 'INC-1'))?.completedAt).toBeUndefined();
});
