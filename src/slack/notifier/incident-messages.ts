import type { ChatPostMessageArguments, WebClient } from '@slack/web-api';
import type { Incident } from '../../core/incident.js';
import type { Clock, Logger, Store } from '../../engine/ports.js';
import type { IncidentEvent } from '../../engine/notifier-port.js';
import type { ChannelDirectory } from './channels.js';
import { DeliveryError, platformErrorCode } from './errors.js';
import { incidentPostMetadata, type createPostOnce, type PostOnce } from './lost-posts.js';
import { messageKey, parseRef, readStoredRef, remember, threadKey, type MessageRef } from './refs.js';
import type { SlackMessageContent, SlackRenderer } from './render.js';

/**
 * How long a replica's claim to post an incident's message keeps others from posting it: shorter than one
 * event's retries (about a minute), so that a waiting update on another replica takes over from a dead poster.
 */
const POSTER_CLAIM_MS = 45_000;

type Blocks = NonNullable<Extract<ChatPostMessageArguments, { blocks: unknown }>['blocks']>;

export interface IncidentMessagesOptions {
  client: WebClient;
  store: Pick<Store, 'getValue' | 'setValue' | 'claimOnce' | 'getIncident'>;
  renderer: SlackRenderer;
  clock: Clock;
  logger: Logger;
  channels: Pick<ChannelDirectory, 'resolve'>;
  postOnce: ReturnType<typeof createPostOnce>;
  /** How long message refs are kept in the store. */
  refTtlMs: number;
  /** Makes sure rollbot is in a channel it posted an incident message in (membership.ts); default: nothing. */
  hearPinsIn?: (channel: string) => Promise<void>;
}

/** Each incident's one message, and the replies in its thread: what the notifier's queued items send. */
export interface IncidentMessages {
  /**
   * Updates the incident's message, or posts it when there is none yet (or it was deleted). `firstTry`: this is
   * the first time this event is sent.
   */
  upsert(event: IncidentEvent, firstTry: boolean): Promise<void>;
  /**
   * Replies in the incident's thread, answering where the reply is. Takes ids, not the event: a queued reply must
   * not keep a whole incident alive.
   */
  reply(
    incidentId: string,
    runbookChannel: string,
    content: SlackMessageContent,
    once: PostOnce,
  ): Promise<MessageRef>;
  /** Whether this process knows where the incident's message is. */
  known(incidentId: string): boolean;
  /** This process saw the incident's opening event (the opener, within a poster's claim of the opening). */
  sawOpening(incident: Pick<Incident, 'id' | 'openedAt'>): void;
}

/**
 * One message per incident, posted once across replicas (the first to claim it posts; the others wait for its
 * ref, stored for `refTtlMs`), then updated in place.
 */
export function createIncidentMessages(options: IncidentMessagesOptions): IncidentMessages {
  const { client, store, renderer, clock, logger, channels, postOnce, refTtlMs } = options;
  const hearPinsIn = options.hearPinsIn ?? (async () => undefined);
  const refs = new Map<string, MessageRef>();
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

  async function findRef(incidentId: string): Promise<MessageRef | undefined> {
    const known = refs.get(incidentId);
    if (known) return known;
    const ref = parseRef(await readStoredRef(store, messageKey(incidentId), `${incidentId}'s message`));
    if (!ref) return undefined;
    remember(refs, incidentId, ref);
    await keepThreadOf(incidentId, ref);
    return ref;
  }

  /**
   * Stores whose thread `ref` starts, once per process for a ref read from the store: a build from before 📌
   * capture stored the ref without it, and an incident still going when it is upgraded would otherwise ignore
   * every 📌 in its thread. Only logged when it fails: the message is found all the same.
   */
  async function keepThreadOf(incidentId: string, ref: MessageRef): Promise<void> {
    try {
      await store.setValue(threadKey(ref.channel, ref.ts), incidentId, refTtlMs);
    } catch (error) {
      logger.warn(
        { err: error, incident: incidentId, ...ref },
        'cannot store whose thread the message starts',
      );
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
      // The ref last: it tells a replica (or this process restarted) that the message is posted and stored. Should
      // storing the thread's incident fail, the ref is missing too, and the next poster finds the post by its
      // metadata and stores both; were the ref stored first, nobody would store the thread's incident again and a
      // 📌 in the thread would do nothing.
      await store.setValue(threadKey(created.channel, created.ts), id, refTtlMs);
      await store.setValue(messageKey(id), JSON.stringify(created), refTtlMs);
    } catch (error) {
      // Posted already: retrying would post twice. This process still updates it; another replica finds it
      // by its metadata (given the history scopes) once it takes over.
      logger.error(
        { err: error, incident: id, ...created },
        'slack incident message posted but not stored; a replica taking over looks for it before posting another',
      );
    }
    // Posted in a public channel rollbot may not be in (chat:write.public): a 📌 in the thread is heard only once
    // it is. Never throws: the message is posted.
    await hearPinsIn(created.channel);
    // A lost post shows the state of its own try: draw this one's (a failure retries it, as an update).
    if (found) await client.chat.update({ ...created, text, blocks: blocks as Blocks });
  }

  async function postReply(
    incidentId: string,
    runbookChannel: string,
    content: SlackMessageContent,
    once: PostOnce,
  ): Promise<MessageRef> {
    const ref = await findRef(incidentId);
    if (!ref) {
      throw new DeliveryError('no_message', `${incidentId} has no message to reply under`, {
        hint: 'its first post failed: see the error logged before this one',
      });
    }
    const { text, blocks } = content;
    const args = { channel: ref.channel, thread_ts: ref.ts, text, unfurl_links: false };
    const { ref: posted } = await postOnce(
      blocks ? { ...args, blocks: blocks as Blocks } : args,
      runbookChannel,
      once,
    );
    return posted;
  }

  return {
    upsert: upsertMessage,
    reply: postReply,
    known: (incidentId) => refs.has(incidentId),
    sawOpening(incident) {
      if (clock.now() - incident.openedAt < POSTER_CLAIM_MS) remember(openers, incident.id, true);
    },
  };
}
