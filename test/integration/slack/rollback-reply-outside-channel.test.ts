/**
 * `/rollback` works from any conversation: a DM with a colleague, a private channel rollbot is not in. Slack opens
 * its modal there all the same, but an ephemeral message (chat.postEphemeral) can go only where rollbot is, so the
 * outcome of the submitted rollback — done, FAILED, refused — must reach the person another way: the command's own
 * response_url, which Slack made for answering them where they typed it. Real signed HTTP to the Slack route.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TestDeps } from '../../helpers/engine.js';
import { sendSigned, slashCommand, viewSubmission } from '../../helpers/slack.js';
import { approvePolicyIncident, reasonGiven, type SlackRoute } from '../../helpers/slack-route.js';

/** A DM between two people: rollbot is not in it. */
const DM = 'D0DM000001';

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  ({ deps, slack } = await approvePolicyIncident(['U0BO'], {
    alert: false,
    answers: {
      'chat.postEphemeral': (form) =>
        form.channel === DM ? { ok: false, error: 'channel_not_found' } : { ok: true },
    },
  }));
});

afterEach(async () => {
  await slack.close();
});

/** Bob runs `/rollback fraud-scorer` in the DM and submits the planned modal: what he is told afterwards. */
async function bobRollsBackFromTheDm(): Promise<Record<string, unknown>[]> {
  const command = slashCommand('/rollback', 'fraud-scorer', 'U0BO', {
    channel_id: DM,
    response_url: 'https://hooks.slack.test/commands/dm-1',
  });
  expect((await sendSigned(slack.url, command)).status).toBe(200);
  await slack.settle(() => slack.called('views.update').length > 0, 'the planned modal');
  const view = JSON.parse(slack.called('views.update')[0]?.form.view ?? '{}') as {
    private_metadata?: string;
  };
  const metadata = JSON.parse(view.private_metadata ?? '{}') as Record<string, string>;
  const submitted = await sendSigned(
    slack.url,
    viewSubmission('rollback_modal', reasonGiven('p99 doubled'), metadata, { user: 'U0BO' }),
  );
  expect(submitted.status).toBe(200);
  await slack.settle(() => slack.called('response_url').length > 0, 'the reply through the response_url');
  return slack.called('response_url').map((call) => call.form as Record<string, unknown>);
}

it('tells the outcome of a rollback submitted from a DM through the command’s response_url', async () => {
  const replies = await bobRollsBackFromTheDm();

  expect(deps.fake.current).toBe('v41');
  expect(replies).toEqual([
    expect.objectContaining({
      response_type: 'ephemeral',
      text: expect.stringContaining('Rolled back to v41 (INC-1)'),
    }),
  ]);
});
