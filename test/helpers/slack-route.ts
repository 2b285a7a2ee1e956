import nock from 'nock';
import type { GroupResolver } from '../../src/engine/group-membership.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { createApp } from '../../src/http/app.js';
import { createSlackApp } from '../../src/slack/app.js';
import { INPUTS } from '../../src/slack/ids.js';
import { createChannelDirectory } from '../../src/slack/notifier/channels.js';
import { createSlackClients } from '../../src/slack/notifier/clients.js';
import { firing } from './alerts.js';
import { eventually } from './bot-process.js';
import { realTimeDeps, recordDeployments, snapshotGroups, type TestDeps } from './engine.js';
import { serve } from './http.js';
import { buttonPress, sendSigned, SIGNING_SECRET, slashCommand, type SlackPost } from './slack.js';

const API = 'https://slack.test';

/** One Slack Web API call the bot made: its method and form fields. */
export interface SlackCall {
  method: string;
  form: Record<string, string>;
}

export interface SlackRoute {
  url: string;
  /** The calls made so far to `method` (`views.open`, `chat.postEphemeral`, `response_url`, …), in order. */
  called(method: string): SlackCall[];
  /** Bolt answers before its listeners finish: waits (at most 2 s) until `check` holds. */
  settle(check: () => boolean, what: string): Promise<void>;
  close(): Promise<void>;
}

export interface RouteOptions {
  groupsOf?: GroupResolver;
  /**
   * What Slack answers a method instead (`{ ok: false, error: 'expired_trigger_id' }` for views.open), or a
   * function of the call's form fields that says it.
   */
  answers?: Record<string, object | ((form: Record<string, string>) => object)>;
}

/**
 * fraud-scorer under an approve-policy runbook (`approvers` may roll it back), on the real clock, serving v42 (v40
 * and v41 deployed before it), served on the signed Slack route (`answers` as serveSlackRoute's); unless
 * `alert: false`, its alert's incident INC-1 is in triage. Close `slack` after the test.
 */
export async function approvePolicyIncident(
  approvers: readonly string[],
  options: { answers?: RouteOptions['answers']; alert?: boolean } = {},
): Promise<{ deps: TestDeps; slack: SlackRoute }> {
  const deps = realTimeDeps(
    'fraud-scorer',
    `rollback: { policy: approve, approvers: [${approvers.join(', ')}] }`,
  );
  const slack = await serveSlackRoute(deps, options.answers ? { answers: options.answers } : {});
  await recordDeployments(deps, 'fraud-scorer', ['v40', 'v41', 'v42']);
  if (options.alert !== false) await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
  return { deps, slack };
}

/**
 * The bot's HTTP app on `deps` with its Slack route (HTTP mode, signed requests), and the Slack Web API answered
 * by nock, which records every call: what the listeners did is read back from `called`. `views.open` answers
 * with a view ID, as Slack does, unless `answers` says otherwise; any other method `{ok: true}` (conversations.list,
 * which the bot's channel directory reads for a runbook channel given as `#name`: no channels). `groupsOf` says
 * who is in a user group (default: nobody, nothing unchecked).
 */
export async function serveSlackRoute(deps: TestDeps, options: RouteOptions = {}): Promise<SlackRoute> {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  const calls: SlackCall[] = [];
  nock(API)
    .persist()
    .post(/\/api\/.*/)
    .reply(function (uri, body) {
      const method = uri.replace('/api/', '');
      const form = Object.fromEntries(new URLSearchParams(String(body)));
      calls.push({ method, form });
      const answer = options.answers?.[method];
      if (answer) return [200, typeof answer === 'function' ? answer(form) : answer];
      if (method === 'views.open') return [200, { ok: true, view: { id: `V${calls.length}` } }];
      return [200, { ok: true }];
    });
  // A slash command's reply goes to its response_url (helpers/slack.ts slashCommand), JSON.
  nock('https://hooks.slack.test')
    .persist()
    .post(/.*/)
    .reply(function (_uri, body) {
      calls.push({ method: 'response_url', form: body as Record<string, string> });
      return [200, 'ok'];
    });
  const slack = createSlackApp({
    deps,
    botToken: 'xoxb-test',
    apiUrl: `${API}/api/`,
    transport: { mode: 'http', signingSecret: SIGNING_SECRET },
    groupsOf: options.groupsOf ?? (async () => ({ groups: [], unchecked: [] })),
    // As compose.ts builds it: a `#name` runbook channel is looked up with conversations.list (see `answers`).
    channels: createChannelDirectory({
      client: createSlackClients({ token: 'xoxb-test', apiUrl: `${API}/api/` }).notifier,
      clock: deps.clock,
    }),
  });
  const server = await serve(
    createApp({
      deps,
      alerts: { token: 't', allowUnauthenticated: false },
      apiToken: undefined,
      registry: deps.metrics.registry,
      groupsOf: snapshotGroups(deps),
      slack: slack.requestListener!,
    }),
  );
  const called = (method: string) => calls.filter((call) => call.method === method);
  return {
    url: server.url,
    called,
    settle: (check, what) => eventually(async () => check() || undefined, 2_000, what).then(() => {}),
    close: async () => {
      await server.close();
      nock.cleanAll();
      nock.enableNetConnect();
    },
  };
}

/** A press of the button labelled `label` among a rendered message's blocks, with the value rollbot gave it. */
export function pressButton(blocks: readonly unknown[], label: string, user: string): SlackPost {
  const elements = (blocks as { type?: string; elements?: Record<string, unknown>[] }[])
    .filter((block) => block.type === 'actions')
    .flatMap((block) => block.elements ?? []);
  const button = elements.find((element) => (element.text as { text?: string }).text === label);
  if (!button) throw new Error(`no ${label} button among ${JSON.stringify(blocks)}`);
  const value = JSON.parse(String(button.value)) as Record<string, string>;
  return buttonPress(String(button.action_id), value, user);
}

/** The rollback modal's reason input, filled in, as a submission's `state.values`. */
export const reasonGiven = (text: string) => ({
  [INPUTS.reason.block]: { [INPUTS.reason.action]: { type: 'plain_text_input', value: text } },
});

/**
 * Sends the slash command `command text` as `user` through `slack` and returns the reply to them, checked to be
 * ephemeral (only they see it): what a slash command answers through its response_url.
 */
export async function commandReply(
  slack: SlackRoute,
  command: string,
  text: string,
  user: string,
): Promise<string> {
  const before = slack.called('response_url').length;
  const answer = await sendSigned(slack.url, slashCommand(command, text, user));
  if (answer.status !== 200) throw new Error(`${command} ${text} was answered ${answer.status}`);
  await slack.settle(() => slack.called('response_url').length > before, 'the reply');
  const reply = slack.called('response_url')[before]?.form as unknown as {
    text: string;
    response_type: string;
  };
  if (reply.response_type !== 'ephemeral')
    throw new Error(`the reply is ${reply.response_type}, not ephemeral`);
  return reply.text;
}
