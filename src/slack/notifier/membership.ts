import type { WebClient } from '@slack/web-api';
import type { Clock, Logger } from '../../engine/ports.js';
import { classifyFailure, platformErrorCode, slackErrorText } from './errors.js';

/**
 * Whether rollbot is in the channels it posts incident messages in. chat:write.public lets it post in a public
 * channel it never joined, but Slack sends the `reaction_added` event (a 📌 in an incident's thread,
 * listeners/pins.ts) only from channels the bot is in, and lets it read a thread (conversations.replies) only
 * there: without joining, every 📌 in the thread would go unheard, without a word to anyone.
 */
export interface ChannelMembership {
  /**
   * Joins `channel` after rollbot posted an incident message in it: at every such message, since someone may have
   * removed rollbot from the channel since, except within a minute of the last answer (ASK_AGAIN_AFTER_MS), or
   * of a 429 for longer when its Retry-After says so. Never throws.
   */
  hearPinsIn(channel: string): Promise<void>;
  /** rollbot is in `channel` (it joined it to post there): nothing to join for a minute. */
  joined(channel: string): void;
}

/**
 * How long an answer to conversations.join holds before the next incident message asks again. Joining a channel
 * rollbot is in costs one call, answered ok: asking at every incident message is what brings rollbot back to a
 * channel it was removed from, in every replica (Slack's `channel_left` goes to one replica, and is "sometimes
 * withheld"). A minute keeps an alert storm's incident messages (up to one a second per channel) well inside
 * conversations.join's Tier 3 limit, and a refusal's warning to one a minute per channel.
 */
export const ASK_AGAIN_AFTER_MS = 60_000;

/** Slack's answers to conversations.join for a private channel: rollbot is in it, since it posted there. */
const PRIVATE = new Set(['method_not_supported_for_channel_type', 'is_private']);

/** Joining the channels rollbot posts incident messages in, and when this process last did for each. */
export function createChannelMembership(options: {
  client: WebClient;
  clock: Clock;
  logger: Logger;
}): ChannelMembership {
  const { client, clock, logger } = options;
  /** When each channel is asked about again (epoch ms). One entry per runbook channel: bounded. */
  const askAgainAt = new Map<string, number>();
  const settle = (channel: string) => askAgainAt.set(channel, clock.now() + ASK_AGAIN_AFTER_MS);
  return {
    joined: settle,
    async hearPinsIn(channel) {
      // G… channels are private: posting there took an invite, so rollbot is in them.
      if (channel.startsWith('G') || clock.now() < (askAgainAt.get(channel) ?? 0)) return;
      // Before the call, so that the incident messages posted meanwhile do not ask too.
      settle(channel);
      try {
        await client.conversations.join({ channel });
      } catch (error) {
        if (PRIVATE.has(platformErrorCode(error) ?? '')) return;
        const failure = classifyFailure(error);
        if (failure.type === 'rate-limited') {
          // Asking again at the next incident message would keep conversations.join over its limit in an alert
          // storm (the notifier's client rejects 429s at once): not before Slack's Retry-After, nor the minute.
          const wait = Math.max(ASK_AGAIN_AFTER_MS, failure.retryAfterMs);
          askAgainAt.set(channel, clock.now() + wait);
          logger.warn(
            { err: error, channel },
            `cannot join ${channel} now (Slack is rate-limiting conversations.join); trying again at its first incident message after ${Math.ceil(wait / 1000)}s`,
          );
          return;
        }
        if (failure.type !== 'permanent') {
          askAgainAt.delete(channel);
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
