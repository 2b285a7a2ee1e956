/**
 * The reply to a submitted rollback quotes what the serving layer said when it failed: outside text, which may
 * hold `<`, `>` or `&` (`Invalid value: "<nil>"`) and may be long (a command adapter's last lines of stderr). Slack
 * reads `<…>` as a link or mention and drops it, and refuses a message text that is too long (msg_too_long), which
 * would leave the person who pressed Roll back at 2am told nothing of a FAILED rollback. Real signed HTTP.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ServingError } from '../../../src/core/errors.js';
import { LIMITS } from '../../../src/slack/blocks/limits.js';
import { permanent } from '../../helpers/fake-serving.js';
import type { TestDeps } from '../../helpers/engine.js';
import { sendSigned, viewSubmission } from '../../helpers/slack.js';
import { approvePolicyIncident, reasonGiven, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  ({ deps, slack } = await approvePolicyIncident(['U0ANA']));
});

afterEach(async () => {
  await slack.close();
});

/** Submits the Roll back form of INC-1 (v42 → v41) and returns the reply its submitter is told. */
async function submitRollback(): Promise<string> {
  const metadata = {
    model: 'fraud-scorer',
    incidentId: 'INC-1',
    to: 'v41',
    from: 'v42',
    channel: 'C0TEST0001',
  };
  const sent = await sendSigned(
    slack.url,
    viewSubmission('rollback_modal', reasonGiven('p99 doubled'), metadata),
  );
  expect(sent.status).toBe(200);
  await slack.settle(() => slack.called('chat.postEphemeral').length > 0, 'the reply');
  return slack.called('chat.postEphemeral')[0]?.form.text ?? '';
}

it('a FAILED rollback is told with the layer’s words escaped and within Slack’s message limit', async () => {
  const said = `admission webhook denied: spec.predictor.model: Invalid value: "<nil>" & ${'x'.repeat(6000)}`;
  deps.fake.executeErrors.push(
    new ServingError(said, { transient: false, hint: `check the InferenceService <fraud-scorer>` }),
  );

  const text = await submitRollback();
  expect(text).toContain('Rollback FAILED (INC-1): admission webhook denied');
  expect(text).toContain('Invalid value: "&lt;nil&gt;" &amp; xxx');
  expect(text).toContain('fix: check the InferenceService &lt;fraud-scorer&gt;');
  expect(text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
});

it('a rollback whose landing could not be read is told as outcome unknown, not FAILED', async () => {
  deps.fake.targetErrors.push(permanent());
  const text = await submitRollback();
  expect(text).toMatch(/^Rollback \(INC-1\): outcome unknown: the change to v41 was made, but /);
  expect(text).not.toContain('FAILED');
});
