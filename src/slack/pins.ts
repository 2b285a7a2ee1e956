/**
 * Slack's side of 📌 capture (engine/pinned.ts has the rules): which `reaction_added` events are pins, and what
 * of the message `conversations.replies` answers a pin records. Pure, so that odd events are tested as data.
 */
import { plainText } from './markup.js';
import { POST_EVENT_TYPE } from './notifier/lost-posts.js';

/** The reaction that puts a message on its incident's timeline (`:pushpin:`, 📌). */
export const PIN_REACTION = 'pushpin';
/** The reaction rollbot adds to a message it captured (`:white_check_mark:`), so that people see it worked. */
export const CAPTURED_REACTION = 'white_check_mark';

/** A pin: the message's channel and ts, and who pinned it. */
export interface Pin {
  channel: string;
  ts: string;
  by: string;
}

/** A message as `conversations.replies` answers it: the fields a pin reads. */
export interface RepliedMessage {
  ts?: string;
  thread_ts?: string;
  text?: string;
  user?: string;
  username?: string;
  bot_id?: string;
  bot_profile?: { name?: string };
  /** Present when asked for (`include_all_metadata`): rollbot's own posts carry POST_EVENT_TYPE. */
  metadata?: { event_type?: string };
}

/** A pinned message as the pin records it. */
export interface ReadMessage {
  /** The ts of the thread it is in: its parent's, or its own when it is the parent or in no thread. */
  threadTs: string;
  /** Its author: a user ID, else a bot's name (or ID), else `unknown`. */
  author: string;
  text: string;
  /** rollbot posted it (its post metadata): what it says is on the timeline already. */
  byRollbot?: true;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * The pin a `reaction_added` event is, or undefined: another reaction, or one on something else than a message
 * (Slack also sends reactions on files and file comments, whatever its types say).
 */
export function pinOf(event: { reaction?: unknown; user?: unknown; item?: unknown }): Pin | undefined {
  if (event.reaction !== PIN_REACTION) return undefined;
  const item = (event.item ?? {}) as { type?: unknown; channel?: unknown; ts?: unknown };
  const [channel, ts, by] = [text(item.channel), text(item.ts), text(event.user)];
  if (item.type !== 'message' || !channel || !ts || !by) return undefined;
  return { channel, ts, by };
}

/**
 * The message at `ts` among those `conversations.replies` answered, or undefined when it is not among them. The
 * answer may start with the thread's parent whatever the time range asked for, so the message is found by its ts,
 * never taken by its place.
 */
export function messageAt(
  messages: readonly RepliedMessage[] | undefined,
  ts: string,
): ReadMessage | undefined {
  const message = messages?.find((candidate) => candidate.ts === ts);
  if (!message) return undefined;
  const author =
    text(message.user) ??
    text(message.bot_profile?.name) ??
    text(message.username) ??
    text(message.bot_id) ??
    'unknown';
  const read: ReadMessage = {
    threadTs: text(message.thread_ts) ?? ts,
    author,
    text: plainText(message.text ?? ''),
  };
  if (message.metadata?.event_type === POST_EVENT_TYPE) read.byRollbot = true;
  return read;
}
