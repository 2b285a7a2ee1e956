import type { BlockAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { isRollbotError } from '../core/errors.js';
import type { Actor } from '../core/policy.js';
import { authorize, type Action } from '../engine/authorize.js';
import type { EngineDeps } from '../engine/context.js';
import { actingAs, type GroupResolver } from '../engine/group-membership.js';
import { readIncident } from '../engine/mutate.js';
import { errorReply } from './blocks/command-replies.js';
import { mentionIds } from './blocks/thread.js';
import type { ChannelDirectory } from './notifier/channels.js';

/** What every listener gets: the engine, how to learn a user's groups, and the bot's channel directory. */
export interface SlackContext {
  deps: EngineDeps;
  groupsOf: GroupResolver;
  /** The directory the notifier and the setup check share (compose.ts): a runbook's `#name` as a channel ID. */
  channels?: ChannelDirectory;
}

/**
 * Runs `work` as the person behind a Slack request, with the runbook's user groups they belong to; a refusal
 * says when a group's members could not be checked (engine/group-membership.ts).
 */
export function actAs<T>(
  context: SlackContext,
  userId: string,
  model: string,
  work: (actor: Actor) => Promise<T>,
): Promise<T> {
  return actingAs({ runbooks: context.deps.runbooks, groupsOf: context.groupsOf }, { userId, model }, work);
}

/**
 * Refuses (FORBIDDEN) a user whom the incident's runbook does not allow to `action` it, recording the denial
 * on that incident.
 */
export async function authorizeUserOn(
  context: SlackContext,
  userId: string,
  incidentId: string,
  action: Action,
): Promise<void> {
  const { deps } = context;
  const incident = await readIncident(deps.store, incidentId);
  await actAs(context, userId, incident.model, (actor) =>
    authorize(deps, deps.runbooks.require(incident.model), actor, action, incident),
  );
}

/**
 * A runbook channel as a reply can link it: its ID (`C…`), found through the channel directory for a `#name`;
 * the runbook's text as it is when there is no directory or the name cannot be resolved (Slack down, a scope
 * missing, no such channel) — a reply never fails for a link. The setup check reports a channel that is wrong.
 */
export async function linkableChannel(context: SlackContext, channel: string): Promise<string> {
  if (!context.channels) return channel;
  try {
    return await context.channels.resolve(channel);
  } catch (error) {
    context.deps.logger.debug({ err: error, channel }, 'cannot resolve a runbook channel for a reply');
    return channel;
  }
}

/**
 * What a listener answers the person whose command or press failed (command-replies.ts errorReply), the one place
 * that logs why: an error that is not rollbot's own (the store's connection closed, a bug) is answered "the log
 * has details", so its cause goes in the log at error level, with who met it. A refusal names who may as Slack
 * shows them (thread.ts mentionIds).
 */
export function failureReply(context: SlackContext, error: unknown, user: string): string {
  if (!isRollbotError(error))
    context.deps.logger.error({ err: error, user }, 'a Slack command or action failed');
  const reply = errorReply(error);
  if (!isRollbotError(error, 'FORBIDDEN')) return reply;
  // Who may, by name, to ask them; the person refused keeps their own ID, which "add yourself" needs.
  const approvers = context.deps.runbooks.all.flatMap((runbook) => runbook.rollback.approvers);
  return mentionIds(
    reply,
    approvers.filter((id) => id !== user),
  );
}

/** Where a reply only the user sees goes: the conversation they acted from, and their command's response_url. */
export interface ReplyTo {
  channel: string | undefined;
  user: string;
  /**
   * A slash command's or a button press's response_url (a modal they open carries it): Slack answers the person
   * there in any conversation, also one rollbot is not in (a DM with a colleague, a private channel, a channel it
   * was removed from), where an ephemeral message cannot go. Valid 30 minutes, 5 uses: the fallback, not the
   * first way.
   */
  responseUrl?: string | undefined;
}

/**
 * Where to answer the person who pressed a button: the conversation of the message pressed, and the press's
 * response_url for when rollbot cannot post there (`not_in_channel`, `channel_not_found`).
 */
export function replyToPress(
  body: Pick<BlockAction, 'user' | 'channel' | 'container' | 'response_url'>,
): ReplyTo {
  const channel = body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;
  return { channel, user: body.user.id, responseUrl: body.response_url };
}

/**
 * What a modal's private_metadata carries of where it was opened (replyToPress, a `/rollback`), so that the person
 * who submits it is answered there, the same way.
 */
export function replyMetadata(where: ReplyTo): { channel?: string; responseUrl?: string } {
  return {
    ...(where.channel ? { channel: where.channel } : {}),
    ...(where.responseUrl ? { responseUrl: where.responseUrl } : {}),
  };
}

/** Where to answer `user` who submitted a modal whose metadata `replyMetadata` wrote. */
export function replyToSubmission(metadata: Record<string, string>, user: string): ReplyTo {
  return { channel: metadata.channel, user, responseUrl: metadata.responseUrl };
}

/**
 * A reply only the user sees, in the conversation they acted from; through their command's or press's
 * response_url when Slack will not put it there. Failures are logged, never thrown.
 */
export async function tellUser(
  context: SlackContext,
  client: WebClient,
  where: ReplyTo,
  text: string,
): Promise<void> {
  if (where.channel) {
    try {
      await client.chat.postEphemeral({ channel: where.channel, user: where.user, text });
      return;
    } catch (error) {
      context.deps.logger.warn({ err: error, channel: where.channel }, 'cannot send an ephemeral reply');
    }
  }
  if (where.responseUrl) await replyThrough(context, where.responseUrl, text);
}

async function replyThrough(context: SlackContext, responseUrl: string, text: string): Promise<void> {
  try {
    const answer = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Said outright: through a press's response_url, Slack may otherwise replace the message pressed (the
      // incident message) with this reply instead of posting it to the person alone.
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
      signal: AbortSignal.timeout(5_000),
    });
    if (!answer.ok) throw new Error(`the response_url answered ${answer.status}`);
  } catch (error) {
    context.deps.logger.warn({ err: error }, 'cannot reply through the response_url either');
  }
}

/**
 * Whether this is the first time modal `viewId` was submitted (a double submit is one request), told so in the
 * store. A submission is acknowledged, and its modal closed, before this: when the store cannot say (a Redis
 * failover), nothing is done, and the person is told so and how to do it again (`again`), rather than left with a
 * closed modal and nothing happening.
 */
export async function firstSubmission(
  context: SlackContext,
  client: WebClient,
  viewId: string,
  where: ReplyTo,
  again: string,
): Promise<boolean> {
  try {
    return await context.deps.store.claimOnce(`slack:view:${viewId}`, 3_600_000);
  } catch (error) {
    context.deps.logger.error({ err: error, viewId }, 'cannot note a modal submission: the store failed');
    const text = `⚠️ rollbot's store did not answer, so nothing was done with what you submitted. Try again in a moment: ${again}`;
    await tellUser(context, client, where, text);
    return false;
  }
}

/**
 * The JSON a button's `value` or a modal's `private_metadata` carries, read defensively: rollbot writes only
 * strings there, so anything else (a number, a list, an object) is dropped rather than reaching the engine as
 * an incident id or a model name.
 */
export function readJsonObject(text: unknown): Record<string, string> {
  if (text !== undefined && typeof text !== 'string') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '{}');
  } catch {
    return {};
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  return Object.fromEntries(
    Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/** Where a modal input lives: its block and action ids (see ids.ts INPUTS). */
export interface InputId {
  block: string;
  action: string;
}

/**
 * The text typed into a modal input, trimmed; '' when the input, the view's `state` or the value is missing or
 * not text. Modal listeners read their inputs before they ack: a TypeError there would leave the person with
 * Bolt's timeout instead of the modal's own error message.
 */
export function inputText(view: unknown, id: InputId): string {
  const value = child(input(view, id), 'value');
  return typeof value === 'string' ? value.trim() : '';
}

/** True when a checkbox input has at least one option selected. */
export function inputChecked(view: unknown, id: InputId): boolean {
  const selected = child(input(view, id), 'selected_options');
  return Array.isArray(selected) && selected.length > 0;
}

function input(view: unknown, id: InputId): unknown {
  return child(child(child(child(view, 'state'), 'values'), id.block), id.action);
}

/** An own field of an object, or undefined: never a member of Object.prototype, never a TypeError. */
function child(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}
