import type { Retrospective } from '../../core/retro.js';
import type { IncidentEvent, NotifierEvent } from '../../engine/notifier-port.js';

/** A message about no incident in particular (a drill reminder, the digest, an approval request). */
export type ChannelMessageEvent = Extract<NotifierEvent, { type: 'channel.message' }>;

/** One Slack message's content. `text` is always sent: it is the notification and screen-reader fallback. */
export interface SlackMessageContent {
  text: string;
  blocks?: unknown[];
}

/**
 * What the Slack notifier posts, kept apart from how it delivers: the pure Block Kit builders in
 * src/slack/blocks/ implement this, and tests pass a trivial fake. Both methods must be pure and fast (they
 * run on the delivery path, the incident message at send time so that its stage timers are current).
 */
export interface SlackRenderer {
  /** The incident's one message (posted once, then updated in place). */
  incidentMessage(event: IncidentEvent, now: number): { text: string; blocks: unknown[] };
  /** A reply in the incident's thread for this event, or undefined for none. */
  threadReply(event: IncidentEvent): SlackMessageContent | undefined;
  /**
   * The retrospective's message, redrawn as `retro` now stands from `text`, the intro and template it was posted
   * with (`retro.opened`'s); without this method, it is not redrawn.
   */
  retroMessage?(retro: Retrospective, text: string): SlackMessageContent;
  /** A channel message; without this method, its text alone. */
  channelMessage?(event: ChannelMessageEvent): SlackMessageContent;
}
