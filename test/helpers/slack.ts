import { createHmac } from 'node:crypto';

export const SIGNING_SECRET = 'test-signing-secret-8f742231b10e';

/** Slack's request signature (slack-platform.md §1) over the exact body that is sent. */
export function slackSignature(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SlackPost {
  body: string;
  contentType: string;
}

/** A slash command as Slack sends it: form-encoded, exact content type. */
export function slashCommand(
  command: string,
  text: string,
  user = 'U0ANA',
  extra: Record<string, string> = {},
): SlackPost {
  const form = new URLSearchParams({
    command,
    text,
    user_id: user,
    user_name: user.toLowerCase(),
    team_id: 'T0TEAM',
    channel_id: 'C0TEST0001',
    response_url: 'https://hooks.slack.test/commands/1',
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
    api_app_id: 'A0APP',
    ...extra,
  });
  return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
}

/** An interaction (block_actions, view_submission): form-encoded `payload=<json>`. */
export function interaction(payload: Record<string, unknown>): SlackPost {
  return {
    body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    contentType: 'application/x-www-form-urlencoded',
  };
}

/** A button press on the incident message. */
export function buttonPress(actionId: string, value: Record<string, string>, user = 'U0ANA'): SlackPost {
  return interaction({
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0TEAM' },
    team: { id: 'T0TEAM', domain: 'test' },
    api_app_id: 'A0APP',
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
    response_url: 'https://hooks.slack.test/actions/1',
    channel: { id: 'C0TEST0001', name: 'ml-alerts' },
    container: {
      type: 'message',
      message_ts: '1700000000.000100',
      channel_id: 'C0TEST0001',
      is_ephemeral: false,
    },
    message: { ts: '1700000000.000100', text: 'incident' },
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'actions',
        value: JSON.stringify(value),
        action_ts: '1700000001.0',
      },
    ],
  });
}

/** A modal submission with the given input values. */
export function viewSubmission(
  callbackId: string,
  values: Record<string, Record<string, unknown>>,
  metadata: Record<string, string>,
  options: { user?: string; viewId?: string } = {},
): SlackPost {
  return interaction({
    type: 'view_submission',
    user: { id: options.user ?? 'U0ANA', name: 'ana', team_id: 'T0TEAM' },
    team: { id: 'T0TEAM', domain: 'test' },
    api_app_id: 'A0APP',
    trigger_id: 'trigger-submit',
    view: {
      id: options.viewId ?? `V${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
      type: 'modal',
      callback_id: callbackId,
      private_metadata: JSON.stringify(metadata),
      state: { values },
      hash: 'h1',
    },
  });
}

/** An Events API delivery (`event_callback`) of `event`, JSON as Slack sends it. */
export function slackEvent(eventId: string, event: Record<string, unknown>): SlackPost {
  const envelope = {
    token: 'legacy-verification-token',
    team_id: 'T0TEAM',
    api_app_id: 'A0APP',
    type: 'event_callback',
    event_id: eventId,
    event_time: 1_700_000_100,
    event: { event_ts: '1700000100.000100', ...event },
  };
  return { body: JSON.stringify(envelope), contentType: 'application/json' };
}

/** Sends a signed request; `timestamp` and `secret` can be set to test refusals. */
export function sendSigned(
  url: string,
  post: SlackPost,
  options: {
    timestamp?: number;
    secret?: string;
    contentType?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return fetch(`${url}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? post.contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(post.body, timestamp, options.secret),
      ...options.headers,
    },
    body: post.body,
  });
}
