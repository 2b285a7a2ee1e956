import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../engine/ports.js';
import { classifyFailure, platformErrorCode, slackErrorText } from './errors.js';

/**
 * Whether rollbot is in the channels it posts incident messages in. chat:write.public lets it post in a public
 * channel it never joined, but Slack sends the `reaction_added` event (a 📌 in an incident's thread,
 * listeners/pins.ts) only from channels the bot is in, and lets it read a thread (conversations.replies) only
 * there: without joining, every 📌 in the thread would go unheard, without a word to anyone.
 */
export interface ChannelMembership {
  /**
   * Joins `channel` after rollbot posted an incident message in it: once per process, or again at the next one
   * when Slack did not answer. Never throws.
   */
  hearPinsIn(channel: string): Promise<void>;
  /** rollbot is in `channel` (it joined it to post there): nothing left to join. */
  joined(channel: string): void;
}

/** Slack's answers to conversations.join for a private channel: rollbot is in it, since it posted there. */
const PRIVATE = new Set(['method_not_supported_for_channel_type', 'is_private']);

/** The channels this process made sure rollbot is in, and joining the others. */
export function createChannelMembership(options: { client: WebClient; logger: Logger }): ChannelMembership {
  const { client, logger } = options;
  const settled = new Set<string>();
  return {
    joined(channel) {
      settled.add(channel);
    },
    async hearPinsIn(channel) {
      // G… channels are private: posting there took an invite, so rollbot is in them.
      if (settled.has(channel) || channel.startsWith('G')) return;
      // Once per process, unless Slack was having a bad minute: a refusal is said once, not on every incident.
      settled.add(channel);
      try {
        await client.conversations.join({ channel });
      } catch (error) {
        if (PRIVATE.has(platformErrorCode(error) ?? '')) return;
        if (classifyFailure(error).type !== 'permanent') {
          settled.delete(channel);
          logger.warn(
            { err: error, channel },
            `cannot join ${channel} now (${slackErrorText(error)}); trying again at its next incident message`,
          );
          return;
        }
        logger.warn(
          { err: error, channel },
          `rollbot is not in ${channel} (cannot join: ${slackErrorText(error)}): a 📌 in an incident's thread there goes unheard; /invite @rollbot in the channel, or give the app the channels:join scope (manifest.yml)`,
        );
      }
    },
  };
}
