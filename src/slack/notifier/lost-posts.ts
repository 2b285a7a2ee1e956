import { randomUUID } from 'node:crypto';
import {
  WebAPIHTTPError,
  WebAPIRequestError,
  type ChatPostMessageArguments,
  type ChatPostMessageResponse,
  type WebClient,
} from '@slack/web-api';
import type { Incident } from '../../core/incident.js';
import type { Clock, Logger } from '../../engine/ports.js';
import type { ChannelDirectory } from './channels.js';
import { classifyFailure, DeliveryError, platformErrorCode } from './errors.js';
import type { MessageRef } from './refs.js';

/**
 * chat.postMessage has no idempotency key, so a post whose answer is lost (a dropped connection, a timeout, a
 * gateway's 502) may have been posted all the same, and posting it again would show it twice — a second
 * incident message splits the thread. Every post carries metadata naming it; before posting again after such
 * a loss, the notifier looks for that metadata in the channel (or thread) and adopts what it finds.
 */

/** The metadata event type of rollbot's posts. */
export const POST_EVENT_TYPE = 'rollbot_post';

export interface PostMetadata {
  event_type: string;
  event_payload: { key: string };
}

export function postMetadata(key: string): PostMetadata {
  return { event_type: POST_EVENT_TYPE, event_payload: { key } };
}

/**
 * An incident message's metadata: the same on every replica, so that one taking over from a poster that died
 * finds its post. The opening instant keeps two installations' INC-1 in one channel apart.
 */
export function incidentPostMetadata(incident: Pick<Incident, 'id' | 'openedAt'>): PostMetadata {
  return postMetadata(`incident:${incident.id}@${incident.openedAt}`);
}

/** Connection errors that happen before a request is sent: Slack cannot have posted anything. */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Slack's own errors that it documents as "some aspect of the operation may have succeeded". */
const MAYBE_DONE = new Set(['internal_error', 'fatal_error', 'request_timeout']);

/**
 * Whether a failed post may have been posted all the same. Yes for a request sent whose answer is lost or
 * broken (timeouts, resets, 5xx from a gateway that may have passed it on), no for a refusal: a 429, a 503
 * (nobody took it), an `ok: false` naming what is wrong, a connection never made.
 */
export function mayHavePosted(error: unknown): boolean {
  if (error instanceof WebAPIRequestError) return !NEVER_SENT.has(connectionCode(error.original) ?? '');
  if (error instanceof WebAPIHTTPError) return error.statusCode >= 500 && error.statusCode !== 503;
  const code = platformErrorCode(error);
  return code !== undefined && MAYBE_DONE.has(code);
}

/** fetch wraps the socket's error (`TypeError: fetch failed`, its `cause` the one with the code). */
function connectionCode(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 4; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cause = cause.cause;
  }
  return undefined;
}

export interface PostPlace {
  channel: string;
  /** A thread reply: looked for among the thread's replies. */
  threadTs?: string;
  key: string;
  /** When the post may first have been made (the earliest lost try, or the incident's opening). */
  since: number;
}

/** Clocks differ: rollbot's try and Slack's ts of the post it made may be this far apart. */
const CLOCK_SKEW_MS = 60_000;
const PAGE_SIZE = 200;
/** At a message a second per channel, five pages are over fifteen minutes of rollbot's own posts. */
const MAX_PAGES = 5;

/** The ts of the post carrying `key` in the channel (or thread) since `since`, if Slack has it. */
export async function findPost(client: WebClient, place: PostPlace): Promise<string | undefined> {
  const { channel, threadTs, key, since } = place;
  const oldest = ((since - CLOCK_SKEW_MS) / 1000).toFixed(6);
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const args = {
      channel,
      oldest,
      include_all_metadata: true,
      limit: PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
    };
    const answer = threadTs
      ? await client.conversations.replies({ ...args, ts: threadTs })
      : await client.conversations.history(args);
    const found = (answer.messages ?? []).find((message) => carries(message, key));
    if (found?.ts) return found.ts;
    cursor = answer.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}

/** Whether a message is rollbot's post `key` (and not the tombstone a deleted one with replies leaves). */
function carries(
  message: { subtype?: string; metadata?: { event_type?: string; event_payload?: object } },
  key: string,
): boolean {
  const payload = message.metadata?.event_payload as { key?: unknown } | undefined;
  return (
    message.subtype !== 'tombstone' &&
    message.metadata?.event_type === POST_EVENT_TYPE &&
    payload?.key === key
  );
}

/**
 * One post across its tries: the metadata it carries, and, once a try's answer was lost (it may have been
 * posted all the same), since when to look for it before trying again.
 */
export interface PostOnce {
  metadata: PostMetadata;
  lookSince?: number;
}

/** A fresh post's PostOnce: a key of its own, as only this process's tries can have made it. */
export const freshPost = (): PostOnce => ({ metadata: postMetadata(randomUUID()) });

export interface PostOnceOptions {
  client: WebClient;
  channels: Pick<ChannelDirectory, 'join'>;
  clock: Clock;
  logger: Logger;
  /** The notifier's post (which joins a channel it is not in). */
  post: (args: ChatPostMessageArguments, runbookChannel: string) => Promise<ChatPostMessageResponse>;
}

/**
 * Posting once across tries: after a try whose answer was lost, the next looks for the post before posting.
 * `found`: the post was such a lost one, whose content may be older than this try's.
 */
export function createPostOnce(options: PostOnceOptions) {
  const { client, channels, clock, logger, post } = options;

  /**
   * The ts of a post whose answer was lost, if Slack has it. When rollbot may not read the channel (no history
   * scope, a private channel it left) it cannot tell, and posts as it did before it looked; when Slack is
   * unavailable, the error goes to the queue, which tries again later (looking first again).
   */
  async function lookFor(place: PostPlace, joined = false): Promise<string | undefined> {
    try {
      return await findPost(client, place);
    } catch (error) {
      if (classifyFailure(error).type !== 'permanent') throw error;
      const reason = platformErrorCode(error) ?? 'error';
      if (reason === 'not_in_channel' && !joined) {
        // Posted with chat:write.public, without joining: members read the history.
        const joinedNow = await channels.join(place.channel).then(
          () => true,
          () => false,
        );
        if (joinedNow) return lookFor(place, true);
      }
      logger.warn(
        { err: error, reason, channel: place.channel },
        'cannot look for a post whose answer was lost, so it may show twice: rollbot needs the channels:history and groups:history scopes (manifest.yml) and to be in the channel',
      );
      return undefined;
    }
  }

  return async function postOnce(
    args: ChatPostMessageArguments,
    runbookChannel: string,
    once: PostOnce,
  ): Promise<{ ref: MessageRef; found: boolean }> {
    if (once.lookSince !== undefined) {
      const ts = await lookFor({
        channel: args.channel,
        ...(args.thread_ts ? { threadTs: args.thread_ts } : {}),
        key: once.metadata.event_payload.key,
        since: once.lookSince,
      });
      if (ts) return { ref: { channel: args.channel, ts }, found: true };
    }
    const triedAt = clock.now();
    try {
      const posted = await post({ ...args, metadata: once.metadata }, runbookChannel);
      if (!posted.ts) throw new DeliveryError('bad_response', 'chat.postMessage answered without a ts', {});
      return { ref: { channel: posted.channel ?? args.channel, ts: posted.ts }, found: false };
    } catch (error) {
      if (mayHavePosted(error)) once.lookSince ??= triedAt;
      throw error;
    }
  };
}
