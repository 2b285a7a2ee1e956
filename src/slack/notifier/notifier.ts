import type { ChatPostMessageArguments, WebClient } from '@slack/web-api';
import type { Incident } from '../../core/incident.js';
import type { Clock, Logger, Store } from '../../engine/ports.js';
import {
  deliveryJoin,
  deliveryKey,
  type IncidentEvent,
  type Notifier,
  type NotifierEvent,
} from '../../engine/notifier-port.js';
import { createChannelDirectory, type ChannelDirectory } from './channels.js';
import { DeliveryError, platformErrorCode } from './errors.js';
import { createPostOnce, freshPost, incidentPostMetadata, type PostOnce } from './lost-posts.js';
import type { QueueRates, RetryPolicy, SetTimer } from './pacing.js';
import { createOutgoingQueue, type DeliveryKind, type QueueStats } from './queue.js';
import { messageKey, parseRef, remember, type MessageRef } from './refs.js';
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

/**
 * How long a replica's claim to post an incident's message keeps others from posting it: shorter than one
 * event's retries (about a minute), so that a waiting update on another replica takes over from a dead poster.
 */
const POSTER_CLAIM_MS = 45_000;

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
  const refs = new Map<string, MessageRef>();
  /** The queue each incident uses: the one of its first event, so that its items stay in order. */
  const homes = new Map<string, string>();
  /** Incidents whose message this process claimed the right to post (see mayPost). */
  const posters = new Map<string, true>();
  /**
   * Incidents this process opened (saw `incident.opened` of within a poster's claim of the opening): no other
   * poster came before it. Not one whose opening its stand-in announces again (opening.ts), a minute or more on,
   * after the opener died before recording it: that opener may have posted the message, and stored where.
   */
  const openers = new Map<string, true>();
  /** Incident messages not posted yet, across the events that try (a lost answer is the incident's, not a try's). */
  const incidentPosts = new Map<string, PostOnce>();

  const postOnce = createPostOnce({ client, channels, clock, logger, post });

  async function findRef(incidentId: string): Promise<MessageRef | undefined> {
    const known = refs.get(incidentId);
    if (known) return known;
    let raw: string | undefined;
    try {
      raw = await store.getValue(messageKey(incidentId));
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      const message = `cannot read where ${incidentId}'s message is: ${detail}`;
      throw new DeliveryError('store_unavailable', message, { transient: true, cause: error });
    }
    const ref = parseRef(raw);
    if (ref) remember(refs, incidentId, ref);
    return ref;
  }

  /** Posts, joining the channel and trying once more when the bot is not in it yet. */
  async function post(args: ChatPostMessageArguments, runbookChannel: string) {
    try {
      return await client.chat.postMessage(args);
    } catch (error) {
      const code = platformErrorCode(error);
      if (code === 'not_in_channel') {
        await channels.join(args.channel);
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
   * One replica posts an incident's message: the first to claim it (normally the one that opened the incident).
   * The claim lapses, so that if that replica dies before posting, a later event on another replica posts it.
   */
  async function mayPost(incidentId: string): Promise<boolean> {
    if (posters.has(incidentId)) return true;
    let claimed: boolean;
    try {
      claimed = await store.claimOnce(`slack:poster:${incidentId}`, POSTER_CLAIM_MS);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new DeliveryError('store_unavailable', `cannot claim ${incidentId}'s message: ${detail}`, {
        transient: true,
        cause: error,
      });
    }
    if (!claimed) return false;
    remember(posters, incidentId, true);
    return true;
  }

  /**
   * The event with its incident as stored now, when that is newer than the event's copy. A redraw listed just
   * before a change, or an event notified after a later one (here or on another replica), carries an older
   * state; drawn last, it would leave the message showing it (a dismissed incident with live buttons) for good.
   */
  async function withNewestIncident(event: IncidentEvent): Promise<IncidentEvent> {
    let stored: Incident | undefined;
    try {
      stored = await store.getIncident(event.incident.id);
    } catch (error) {
      // Drawing the event's own state beats leaving the message as it is while the store is away.
      logger.warn(
        { err: error, incident: event.incident.id },
        'cannot read the incident; drawing the event as is',
      );
      return event;
    }
    return stored && stored.version > event.incident.version ? { ...event, incident: stored } : event;
  }

  /**
   * Updates the incident's message, or posts it when there is none yet (or it was deleted). `firstTry`: this is
   * the first time this event is sent.
   */
  async function upsertMessage(event: IncidentEvent, firstTry: boolean): Promise<void> {
    const id = event.incident.id;
    // The opening's first try does not ask the store (two round trips less before the first Slack call): only
    // this process has seen the new incident (see openers), so no replica can have posted its message, and any
    // later state has its own update queued behind this post. Its retries must ask: once this process's claim to
    // post has lapsed, another replica may have posted the message (a second one would split the thread).
    const local = event.type === 'incident.opened' && firstTry && openers.has(id);
    const ref = local ? refs.get(id) : await findRef(id);
    const shown = local ? event : await withNewestIncident(event);
    const { text, blocks } = renderer.incidentMessage(shown, clock.now());
    if (ref) {
      try {
        await client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks: blocks as Blocks });
        return;
      } catch (error) {
        if (platformErrorCode(error) !== 'message_not_found') throw error;
      }
    }
    // A tick does not bring back a message someone deleted (the next event does). But it posts one that was
    // never posted: the first post gives up after ten minutes or so of Slack trouble, and an incident waiting
    // for a person may have no other event for a long time, so the incident would stay invisible in Slack.
    if (event.type === 'incident.tick' && ref) return;
    if (ref) logger.warn({ incident: id, ...ref }, 'slack incident message was deleted; posting a new one');
    const claimedHere = posters.has(id);
    if (!ref && !(await mayPost(id))) {
      // Another replica is posting it (two messages would split the thread): wait, retried, for its ref.
      throw new DeliveryError('no_message_yet', `${id}'s message is not posted yet`, { transient: true });
    }
    const once = incidentPosts.get(id) ?? { metadata: incidentPostMetadata(event.incident) };
    remember(incidentPosts, id, once);
    // Taking over from another poster (dead, or past its claim): it may have posted without storing where.
    if (!ref && !claimedHere && !openers.has(id)) once.lookSince ??= event.incident.openedAt;
    const channel = await channels.resolve(event.channel);
    const { ref: created, found } = await postOnce(
      { channel, text, blocks: blocks as Blocks, unfurl_links: false },
      event.channel,
      once,
    );
    incidentPosts.delete(id);
    remember(refs, id, created);
    try {
      await store.setValue(messageKey(id), JSON.stringify(created), refTtlMs);
    } catch (error) {
      // Posted already: retrying would post twice. This process still updates it; another replica finds it
      // by its metadata (given the history scopes) once it takes over.
      logger.error(
        { err: error, incident: id, ...created },
        'slack incident message posted but not stored; a replica taking over looks for it before posting another',
      );
    }
    // A lost post shows the state of its own try: draw this one's (a failure retries it, as an update).
    if (found) await client.chat.update({ ...created, text, blocks: blocks as Blocks });
  }

  /** Takes ids, not the event: a queued reply must not keep a whole incident alive (storms queue thousands). */
  async function postReply(
    incidentId: string,
    runbookChannel: string,
    content: SlackMessageContent,
    once: PostOnce,
  ): Promise<void> {
    const ref = await findRef(incidentId);
    if (!ref) {
      throw new DeliveryError('no_message', `${incidentId} has no message to reply under`, {
        hint: 'its first post failed: see the error logged before this one',
      });
    }
    const { text, blocks } = content;
    const args = { channel: ref.channel, thread_ts: ref.ts, text, unfurl_links: false };
    await postOnce(blocks ? { ...args, blocks: blocks as Blocks } : args, runbookChannel, once);
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
    if (event.type === 'incident.opened' && clock.now() - event.incident.openedAt < POSTER_CLAIM_MS)
      remember(openers, id, true);
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
      send: () => upsertMessage(event, tries++ === 0),
    });
    if (unrendered) onSettled?.(false);
    if (reply) {
      const content = reply;
      const channel = event.channel;
      const once = freshPost();
      queue.enqueue(lane, {
        kind: 'reply',
        label: id,
        onSettled,
        // Passing the update in front is only safe once the message exists: when its first post gave up, that
        // update posts it, and a reply sent before would find no message and be dropped (an escalation's ping).
        mayOvertake: () => refs.has(id),
        send: () => postReply(id, channel, content, once),
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
          send: () => upsertMessage(event, false),
        });
        return;
      }
      enqueueNews(event);
    },
    deliver(event) {
      return join(
        deliveryKey(event),
        () =>
          new Promise((resolve) =>
            event.type === 'channel.message'
              ? enqueueChannelMessage(event, resolve)
              : enqueueNews(event, resolve),
          ),
      );
    },
    flush: () => queue.flush(),
    close: (deadlineMs) => queue.close(deadlineMs),
    stats: () => queue.stats(),
  };
}
