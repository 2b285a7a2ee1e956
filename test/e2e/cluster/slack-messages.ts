import { eventually } from '../../helpers/bot-process.js';
import type { SlackCall, SlackStandIn } from '../../helpers/slack-standin.js';

/** Top-level messages posted about `incidentId` (the incident message; one is right, two split the thread). */
export function incidentPosts(slack: SlackStandIn, incidentId: string): SlackCall[] {
  return slack.calls.filter(
    (call) =>
      call.method === 'chat.postMessage' &&
      call.form.thread_ts === undefined &&
      (call.form.text ?? '').includes(`${incidentId} `),
  );
}

/** Replies posted in the thread of the message with `ts`. */
export function threadReplies(slack: SlackStandIn, ts: unknown): SlackCall[] {
  return slack.calls.filter((call) => call.method === 'chat.postMessage' && call.form.thread_ts === ts);
}

/** Waits for the incident's message to be posted, then returns it. */
export function waitForIncidentPost(slack: SlackStandIn, incidentId: string, timeoutMs = 30_000) {
  return eventually(
    async () => incidentPosts(slack, incidentId)[0],
    timeoutMs,
    `the Slack message of ${incidentId}`,
  );
}

/** Waits for a reply in the incident's thread whose text matches, then returns it. */
export async function waitForThreadReply(
  slack: SlackStandIn,
  incidentId: string,
  text: RegExp,
  timeoutMs = 30_000,
): Promise<SlackCall> {
  const post = await waitForIncidentPost(slack, incidentId, timeoutMs);
  return eventually(
    async () => threadReplies(slack, post.answer.ts).find((call) => text.test(call.form.text ?? '')),
    timeoutMs,
    `a reply matching ${text} in the thread of ${incidentId}`,
  );
}

/** Waits for an ephemeral reply (to whoever it is addressed) whose text matches; `form.user` says to whom. */
export function waitForEphemeral(slack: SlackStandIn, text: RegExp, timeoutMs = 30_000): Promise<SlackCall> {
  return eventually(
    async () =>
      slack.calls.find((call) => call.method === 'chat.postEphemeral' && text.test(call.form.text ?? '')),
    timeoutMs,
    `an ephemeral reply matching ${text}`,
  );
}
