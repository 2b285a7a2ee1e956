/**
 * A modal's submission is acknowledged (the modal closes) before rollbot notes it against a double submit in the
 * store. When the store fails right then (a Redis failover), nothing is done: the person must be told so, and
 * how to do it again, rather than left with a closed modal and nothing happening. Real signed HTTP to the Slack
 * route, as Slack sends it.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TestDeps } from '../../helpers/engine.js';
import { sendSigned, viewSubmission } from '../../helpers/slack.js';
import { approvePolicyIncident, reasonGiven, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  ({ deps, slack } = await approvePolicyIncident(['U0ANA']));
  const claimOnce = deps.store.claimOnce.bind(deps.store);
  // The store fails as the submission is noted (and only then: everything else works).
  deps.store.claimOnce = async (key, ttlMs) => {
    if (key.startsWith('slack:view:')) throw new Error('Connection is closed.');
    return claimOnce(key, ttlMs);
  };
});

afterEach(async () => {
  await slack.close();
});

async function submit(callbackId: string, metadata: Record<string, string>): Promise<string | undefined> {
  const sent = await sendSigned(slack.url, viewSubmission(callbackId, reasonGiven('p99 doubled'), metadata));
  expect(sent.status).toBe(200);
  await slack.settle(() => slack.called('chat.postEphemeral').length > 0, 'the reply');
  return slack.called('chat.postEphemeral')[0]?.form.text;
}

it('a rollback modal submitted then says that nothing was rolled back, and how to try again', async () => {
  const reply = await submit('rollback_modal', {
    model: 'fraud-scorer',
    incidentId: 'INC-1',
    to: 'v41',
    from: 'v42',
    channel: 'C0TEST0001',
  });

  expect(reply).toContain('nothing was done');
  expect(reply).toContain('/rollback fraud-scorer');
  expect(deps.fake.mutations).toBe(0);
  expect((await deps.store.getIncident('INC-1'))?.phase).toBe('triage');
});

it('a "not a rollback" modal submitted then says that the incident was not dismissed', async () => {
  const reply = await submit('not_rollback_modal', {
    model: 'fraud-scorer',
    incidentId: 'INC-1',
    channel: 'C0TEST0001',
  });

  expect(reply).toContain('nothing was done');
  expect(reply).toContain('/incident dismiss INC-1');
  expect((await deps.store.getIncident('INC-1'))?.phase).toBe('triage');
});
