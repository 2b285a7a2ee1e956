/**
 * The Slack setup, checked when the bot starts: a refused token, a scope the app was not granted, a runbook
 * channel that is mistyped, archived or private without rollbot in it. Each would otherwise show only when the
 * first incident of the night cannot be posted. The check tells; it never stops the bot (Slack being down at
 * start is not a setup problem, and the rest of rollbot works without Slack).
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../engine/ports.js';
import type { Metrics } from '../observability/metrics.js';
import type { Runbook } from '../runbooks/schema.js';
import type { ChannelDirectory } from './notifier/channels.js';
import { classifyFailure, DeliveryError, platformErrorCode, slackErrorText } from './notifier/errors.js';

/** The bot scopes rollbot uses, and what for: manifest.yml asks for exactly these (its test says so). */
export const BOT_SCOPES = {
  'chat:write': 'it posts and updates incident messages and thread replies',
  'chat:write.public': "it posts in a model's public channel without being invited",
  commands: 'the slash commands /rollback, /incident, /drill and /rollbot',
  'channels:join': 'it joins a public runbook channel it is not in',
  'channels:read': 'it finds public channels named #name in runbooks',
  'groups:read': 'it finds private channels named #name in runbooks',
  'usergroups:read': 'it checks approvers given as user groups',
  'channels:history':
    'it finds a post whose answer was lost in a public channel, instead of posting it twice',
  'groups:history': 'it finds a post whose answer was lost in a private channel, instead of posting it twice',
  'reactions:read':
    "it hears a 📌 added in an incident's thread, to put the message on the timeline (with the reaction_added event subscription)",
  'reactions:write': 'it marks a message it put on the timeline with ✅',
} as const;

export interface SetupProblem {
  /** A stable code: Slack's error, or `missing_scope`, `is_archived`, `not_in_channel`. */
  reason: string;
  problem: string;
  fix: string;
}

/** What the check found, and what it could not look at. */
export interface SetupCheck {
  problems: SetupProblem[];
  /** What was left unchecked because Slack did not answer (unavailable, rate-limited); absent when all was. */
  unchecked?: string;
}

export interface SetupCheckOptions {
  client: WebClient;
  channels: Pick<ChannelDirectory, 'resolve'>;
  runbooks: readonly Runbook[];
}

/** Errors of auth.test that mean the token itself is refused. */
const TOKEN_REFUSED = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
]);

/**
 * What is wrong with the Slack setup, each with its fix. A Slack that does not answer (unavailable,
 * rate-limited) is not a setup problem — the check looks at setup, not at Slack's health — but what it left
 * unchecked is said (`unchecked`), so that nobody is told an unchecked setup is in order.
 */
export async function checkSlackSetup(options: SetupCheckOptions): Promise<SetupCheck> {
  const { client } = options;
  let granted: string[] | undefined;
  try {
    granted = (await client.auth.test()).response_metadata?.scopes;
  } catch (error) {
    const code = platformErrorCode(error);
    if (code === undefined || !TOKEN_REFUSED.has(code)) {
      return { problems: [], unchecked: `Slack did not answer auth.test (${slackErrorText(error)})` };
    }
    return {
      problems: [
        {
          reason: code,
          problem: `Slack refuses SLACK_BOT_TOKEN (${code})`,
          fix: "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page, reinstalling the app if it was removed",
        },
      ],
    };
  }
  const problems = missingScopes(granted);
  for (const [channel, models] of channelsOf(options.runbooks)) {
    const found = await channelProblem(options, channel, models.join(', '));
    if (found === 'unavailable') {
      return {
        problems,
        unchecked: `Slack did not answer about runbook channel ${channel} and those after it`,
      };
    }
    if (found) problems.push(found);
  }
  return { problems };
}

function missingScopes(granted: readonly string[] | undefined): SetupProblem[] {
  // Slack sends the granted scopes with every answer; a proxy in between may not: then nothing is known.
  if (!granted) return [];
  return Object.entries(BOT_SCOPES)
    .filter(([scope]) => !granted.includes(scope))
    .map(([scope, why]) => ({
      reason: 'missing_scope',
      problem: `the app lacks the ${scope} scope: ${why}`,
      fix: 'add it to the app (manifest.yml lists every scope rollbot uses) and reinstall it to the workspace',
    }));
}

/** Each runbook channel once, with the models that post there. */
function channelsOf(runbooks: readonly Runbook[]): Map<string, string[]> {
  const byChannel = new Map<string, string[]>();
  for (const runbook of runbooks)
    byChannel.set(runbook.channel, [...(byChannel.get(runbook.channel) ?? []), runbook.model]);
  return byChannel;
}

/** What is wrong with one runbook channel, undefined if nothing, `unavailable` when Slack did not say. */
async function channelProblem(
  options: SetupCheckOptions,
  channel: string,
  models: string,
): Promise<SetupProblem | undefined | 'unavailable'> {
  let id: string;
  try {
    id = await options.channels.resolve(channel);
  } catch (error) {
    if (!(error instanceof DeliveryError) || error.transient) return 'unavailable';
    return {
      reason: error.reason,
      problem: `${error.message} (${models})`,
      fix: error.hint ?? 'check the runbook channel',
    };
  }
  try {
    const { channel: found } = await options.client.conversations.info({ channel: id });
    if (found?.is_archived) {
      return {
        reason: 'is_archived',
        problem: `runbook channel ${channel} (${models}) is archived`,
        fix: `unarchive ${channel} or point the runbook's channel at a live one`,
      };
    }
    if (found?.is_private && found.is_member === false) {
      return {
        reason: 'not_in_channel',
        problem: `rollbot is not in private runbook channel ${channel} (${models})`,
        fix: `invite it: /invite @rollbot in ${channel}`,
      };
    }
    return undefined;
  } catch (error) {
    if (classifyFailure(error).type !== 'permanent') return 'unavailable';
    const code = platformErrorCode(error) ?? 'error';
    return {
      reason: code,
      problem: `Slack has no runbook channel ${channel} (${models}) that rollbot can see`,
      fix: `check the channel ID, or if ${channel} is private invite @rollbot to it (/invite @rollbot)`,
    };
  }
}

/**
 * Runs the check and says what it found: each problem at error level with its fix, and how many in
 * `rollbot_slack_setup_problems` (alert on it being above 0); "in order" only when everything was looked at,
 * else a warning naming what was not. Never rejects.
 */
export async function reportSlackSetup(
  deps: { logger: Logger; metrics: Pick<Metrics, 'slackSetupProblems'> },
  check: () => Promise<SetupCheck>,
): Promise<void> {
  try {
    const { problems, unchecked } = await check();
    deps.metrics.slackSetupProblems(problems.length);
    for (const { reason, problem, fix } of problems)
      deps.logger.error({ reason, fix }, `Slack setup: ${problem}; ${fix}`);
    if (unchecked !== undefined) {
      deps.logger.warn(
        { unchecked, found: problems.length },
        `the Slack setup could not be checked: ${unchecked}; restart rollbot once Slack answers to check it all`,
      );
    } else if (problems.length === 0)
      deps.logger.info({}, 'Slack setup checked: token, scopes and runbook channels are in order');
  } catch (error) {
    deps.logger.warn({ err: error }, 'the Slack setup could not be checked');
  }
}
