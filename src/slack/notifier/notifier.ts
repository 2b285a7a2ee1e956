import type { ChatPostMessageArguments, WebClient } from '@slack/web-api';
import type { Clock, Logger, Store } from '../../engine/ports.js';
import {
  deliveryJoin,
  deliveryKey,
  type IncidentEvent,
  type Notifier,
  type NotifierEvent,
} from '../../engine/notifier-port.js';
import { createChannelDirectory, type ChannelDirectory } from './channels.js';
import { createIncidentMessages } from './incident-messages.js';
import { createChannelMembership } from './membership.js';
import { DeliveryError, platformErrorCode } from './errors.js';
import { createPostOnce, freshPost } from './lost-posts.js';
import type { QueueRates, RetryPolicy, SetTimer } from './pacing.js';
import { createOutgoingQueue, type DeliveryKind, type QueueStats } from './queue.js';
import { remember } from './refs.js';
import { createRetroMessages } from './retro-messages.js';
import type { SlackMessageContent, SlackRenderer } from './render.js';

export { createSlackClients } from './clients.js';
export { messageKey, type MessageRef } from './refs.js';
export { incidentPostMetadata } from './lost-posts.js';

export interface SlackNotifierOptions {
  /** The notifier's own client (createSlackClients().notifier): it must reject 429s rather than pause. */
  client: WebClient;
  store: Pick<Store, 'getValue' | 'setValue' | 'claimOnce' | 'getIncident'>;
  renderer: SlackRenderer;
  clock: Clock;
  logger: Logger;
  /** Called once per message given up on: `kind` is post/update/reply, `reason` a stable code. */
  onDeliveryFailed?: (kind: DeliveryKind, reason: string) => void;
  rate?: Partial<QueueRates>;
  retry?: Partial<RetryPolicy>;
  setTimer?: SetTimer;
  maxItemsPerChannel?: number;
  /** Default: a directory on `client`. */
  channels?: ChannelDirectory;
  /** How long message refs are kept in the store (default 90 days: past any retro). */
  refTtlMs?: number;
}

/**
 * The Slack notifier: notify() only queues; deliver() queues and waits for that event; flush() waits for
 * everything; close() flushes within a deadline.
 */
export interface SlackNotifier extends Notifier {
  flush(): Promise<void>;
  close(deadlineMs?: number): Promise<void>;
  /** Queue depth, e.g. for a gauge. */
  stats(): QueueStats;
}

type Blocks = NonNullable<Extract<ChatPostMessageArguments, { blocks: unknown }>['blocks']>;

/**
 * One message per incident, posted by its first event and then updated in place, with a thread reply per
 * event that has one. Everything goes through a paced per-channel queue: notify() returns as soon as the work
 * is queued, because a rollback must never wait for Slack. Delivery failures are logged and counted
 * (`onDeliveryFailed`), never thrown.
 */
export function createSlackNotifier(options: SlackNotifierOptions): SlackNotifier {
  const { client, store, renderer, clock, logger } = options;
  const channels = options.channels ?? createChannelDirectory({ client, clock });
  const refTtlMs = options.refTtlMs ?? 90 * 24 * 60 * 60_000;
  const queue = createOutgoingQueue({
    clock,
    logger,
    setTimer: options.setTimer,
    rates: options.rate,
    retry: options.retry,
    maxItemsPerChannel: options.maxItemsPerChannel,
    onDeliveryFailed: options.onDeliveryFailed,
  });
  const join = deliveryJoin();
  const failed = (kind: DeliveryKind, reason: string): void => {
    try {
      options.onDeliveryFailed?.(kind, reason);
    } catch {
      // A metrics callback must never reach the engine.
    }
  };
  /** The queue each incident uses: the one of its first event, so that its items stay in order. */
  const homes = new Map<string, string>();
  const postOnce = createPostOnce({ client, channels, clock, logger, post });
  const membership = createChannelMembership({ client, clock, logger });
  const retros = createRetroMessages({ client, store, logger, refTtlMs });
  const messages = createIncidentMessages({
    client,
    store,
    renderer,
    clock,
    logger,
    channels,
    postOnce,
    refTtlMs,
    hearPinsIn: membership.hearPinsIn,
  });

  /** Posts, joining the channel and trying once more when the bot is not in it yet. */
  async function post(args: ChatPostMessageArguments, runbookChannel: string) {
    try {
      return await client.chat.postMessage(args);
    } catch (error) {
      const code = platformErrorCode(error);
      if (code === 'not_in_channel') {
        await channels.join(args.channel);
        membership.joined(args.channel);
        return await client.chat.postMessage(args);
      }
      if (code === 'channel_not_found') {
        throw new DeliveryError('channel_not_found', `Slack has no channel ${runbookChannel} for rollbot`, {
          hint: `check the runbook channel ${runbookChannel}: it must exist, and if private, invite @rollbot to it`,
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Queues an event that is news: the incident's message (posted, or updated), then its thread reply if it has
   * one. `onSettled` is told what became of the reply, which is what people are notified by (the message, for
   * an event without one).
   */
  function enqueueNews(
    event: Exclude<IncidentEvent, { type: 'incident.tick' }>,
    onSettled?: (delivered: boolean) => void,
  ): void {
    const id = event.incident.id;
    const home = homes.get(id);
    const lane = home ?? event.channel;
    if (home === undefined) remember(homes, id, lane);
    if (event.type === 'incident.opened') messages.sawOpening(event.incident);
    let reply: SlackMessageContent | undefined;
    let unrendered = false;
    try {
      reply = renderer.threadReply(event);
    } catch (error) {
      logger.error(
        { err: error, incident: id, event: event.type },
        'slack thread reply could not be rendered',
      );
      failed('reply', 'render_failed');
      unrendered = true;
    }
    // The first event this process sees of an incident is never coalesced away or dropped to make room, so
    // the updates and replies queued behind it find the message's ts; later updates replace each other.
    let tries = 0;
    queue.enqueue(lane, {
      kind: home === undefined ? 'post' : 'update',
      label: id,
      ...(home === undefined ? { keep: true } : { coalesceKey: `message:${id}` }),
      ...(reply || unrendered ? {} : { onSettled }),
      send: () => messages.upsert(event, tries++ === 0),
    });
    if (unrendered) onSettled?.(false);
    if (reply) {
      const content = reply;
      const channel = event.channel;
      const once = freshPost();
      // The retrospective's message is redrawn once it is completed: where it is, and what it was drawn from, kept.
      const retroText = event.type === 'retro.opened' ? event.text : undefined;
      queue.enqueue(lane, {
        kind: 'reply',
        label: id,
        onSettled,
        // Passing the update in front is only safe once the message exists: when its first post gave up, that
        // update posts it, and a reply sent before would find no message and be dropped (an escalation's ping).
        mayOvertake: () => messages.known(id),
        send: async () => {
          const posted = await messages.reply(id, channel, content, once);
          if (retroText !== undefined) await retros.posted(id, posted, retroText);
        },
      });
    }
    const retro = event.type === 'incident.updated' ? event.retro : undefined;
    const drawRetro = renderer.retroMessage;
    if (retro && drawRetro) {
      // Paced and coalesced as the incident message's updates are; the newest state of the retrospective wins.
      queue.enqueue(lane, {
        kind: 'update',
        label: id,
        coalesceKey: `retro:${id}`,
        send: () => retros.redraw(id, (text) => drawRetro(retro, text)),
      });
    }
  }

  /**
   * Queues a message that is not about one incident (a drill reminder, a digest, an approval request): a post in
   * the channel's lane. `onSettled` is told whether it arrived.
   */
  function enqueueChannelMessage(
    event: Extract<NotifierEvent, { type: 'channel.message' }>,
    onSettled?: (delivered: boolean) => void,
  ): void {
    const { channel } = event;
    const once = freshPost();
    queue.enqueue(channel, {
      kind: 'post',
      label: channel,
      ...(onSettled ? { onSettled } : {}),
      send: async () => {
        const content = renderer.channelMessage?.(event) ?? { text: event.text };
        const args = { channel: await channels.resolve(channel), text: content.text, unfurl_links: false };
        await postOnce(content.blocks ? { ...args, blocks: content.blocks as Blocks } : args, channel, once);
      },
    });
  }

  return {
    async notify(event: NotifierEvent) {
      if (event.type === 'channel.message') {
        enqueueChannelMessage(event);
        return;
      }
      if (event.type === 'incident.tick') {
        const id = event.incident.id;
        queue.enqueue(homes.get(id) ?? event.channel, {
          kind: 'update',
          label: id,
          coalesceKey: `message:${id}`,
          optional: true,
          send: () => messages.upsert(event, false),
        });
        return;
      }
      enqueueNews(event);
    },
    deliver(event) {
      return join(
        deliveryKey(event),
        () =>
          new Promise((resolve) => {
            const settled = (arrived: boolean) => resolve({ arrived });
            if (event.type === 'channel.message') enqueueChannelMessage(event, settled);
            else enqueueNews(event, settled);
          }),
      );
    },
    flush: () => queue.flush(),
    close: (deadlineMs) => queue.close(deadlineMs),
    stats: () => queue.stats(),
  };
}
