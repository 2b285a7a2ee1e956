import type { WebClient } from '@slack/web-api';
import type { Clock } from '../../engine/ports.js';
import { DeliveryError, platformErrorCode } from './errors.js';

/** Runbook channels as Slack IDs, and joining them. */
export interface ChannelDirectory {
  /** The channel ID for a runbook channel: `C…`/`G…` IDs pass through, `#name` is looked up. */
  resolve(channel: string): Promise<string>;
  /** Joins a public channel. For a private one it fails with a hint to invite @rollbot. */
  join(channelId: string): Promise<void>;
}

export interface ChannelDirectoryOptions {
  client: WebClient;
  clock: Clock;
  /** A name missing from a list older than this reloads the list once (a channel made after start). */
  reloadAfterMs?: number;
}

const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;

/** Whether a runbook channel is a Slack channel ID (`C…`/`G…`) rather than a `#name`. */
export function isChannelId(channel: string): boolean {
  return CHANNEL_ID.test(channel);
}

/** Errors of conversations.join that mean "private channel: you have to be invited". */
const NEEDS_INVITE = new Set(['method_not_supported_for_channel_type', 'is_private', 'channel_not_found']);

/**
 * The channel directory. The name → ID list comes from conversations.list (paginated, public and private
 * channels the bot can see, archived ones left out) once per process: it is a Tier 2 call, and runbook
 * channels rarely move.
 */
export function createChannelDirectory(options: ChannelDirectoryOptions): ChannelDirectory {
  const { client, clock } = options;
  const reloadAfterMs = options.reloadAfterMs ?? 5 * 60_000;
  let list: Promise<Map<string, string>> | undefined;
  let loadedAt = 0;
  const names = new Map<string, string>();

  async function load(): Promise<Map<string, string>> {
    const byName = new Map<string, string>();
    let cursor: string | undefined;
    do {
      const page = await client.conversations.list({
        types: 'public_channel,private_channel',
        exclude_archived: true,
        limit: 1000,
        ...(cursor ? { cursor } : {}),
      });
      for (const channel of page.channels ?? []) {
        if (channel.id && channel.name) {
          byName.set(channel.name, channel.id);
          names.set(channel.id, `#${channel.name}`);
        }
      }
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    loadedAt = clock.now();
    return byName;
  }

  function channels(reload: boolean): Promise<Map<string, string>> {
    if (!list || reload) {
      const loading = load();
      // A failed load (rate limit, network) is not cached: the next send tries again.
      loading.catch(() => {
        if (list === loading) list = undefined;
      });
      list = loading;
    }
    return list;
  }

  return {
    async resolve(channel) {
      if (isChannelId(channel)) return channel;
      if (!channel.startsWith('#')) {
        throw new DeliveryError('channel_not_found', `"${channel}" is not a Slack channel`, {
          hint: 'set the runbook channel to a channel ID like C0FRAUD01 or a name like #ml-alerts',
        });
      }
      const name = channel.slice(1);
      let id = (await channels(false)).get(name);
      if (id === undefined && clock.now() - loadedAt >= reloadAfterMs) id = (await channels(true)).get(name);
      if (id === undefined) {
        throw new DeliveryError('channel_not_found', `no channel ${channel} visible to rollbot`, {
          hint: `check the runbook channel ${channel}: create it, or if it is private invite @rollbot to it and give the app the groups:read scope (manifest.yml), or use its ID`,
        });
      }
      return id;
    },

    async join(channelId) {
      const label = names.get(channelId) ?? channelId;
      const invite = `invite @rollbot to ${label} (/invite @rollbot in the channel)`;
      // Private channels cannot be joined, only invited to; G… IDs are always private.
      if (channelId.startsWith('G')) {
        throw new DeliveryError('not_in_channel', `rollbot is not in private channel ${label}`, {
          hint: invite,
        });
      }
      try {
        await client.conversations.join({ channel: channelId });
      } catch (error) {
        const code = platformErrorCode(error);
        if (code !== undefined && NEEDS_INVITE.has(code)) {
          throw new DeliveryError(
            'not_in_channel',
            `rollbot is not in ${label} and cannot join it (${code})`,
            {
              hint: invite,
              cause: error,
            },
          );
        }
        if (code === 'missing_scope') {
          throw new DeliveryError('not_in_channel', `rollbot cannot join ${label} (missing_scope)`, {
            hint: `${invite}, or give the app the channels:join scope`,
            cause: error,
          });
        }
        if (code === 'is_archived') {
          throw new DeliveryError('channel_not_found', `${label} is archived`, {
            hint: `unarchive ${label} or point the runbook channel at a live one`,
            cause: error,
          });
        }
        throw error;
      }
    },
  };
}
