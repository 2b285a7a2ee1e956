import { isOpen, retroRunning, type Incident } from '../core/incident.js';
import { webUrl } from '../core/links.js';
import { truncate } from '../core/text.js';
import type { EngineDeps } from './context.js';
import { MAX_NOTE_CHARS, NOTE_LINK_FIELD, NOTE_TYPE } from './notes.js';
import type { TimelineEntry } from './ports.js';
import { retryAfterWaits } from './retry.js';

/** A chat message someone pinned in an incident's thread (📌 in Slack), as the chat adapter read it. */
export interface PinnedMessage {
  /** Where the message is: its channel and ts, which also make its key on the timeline. */
  channel: string;
  ts: string;
  /** Who wrote it: a Slack user ID, or a bot's name. */
  author: string;
  /** Who pinned it: a Slack user ID. */
  pinnedBy: string;
  /** The message's text as people read it in the chat (the adapter turns the chat's markup into plain text). */
  text: string;
  /** rollbot posted it: the incident message or a thread reply, each saying what the timeline records. */
  byRollbot?: boolean;
}

/**
 * Asks the chat for the address of a pinned message (Slack's permalink), for people to go from the note back to
 * it; undefined when the chat gives none. Rejects when the chat cannot say, with an error whose message says why.
 */
export type PermalinkOf = () => Promise<string | undefined>;

/**
 * What became of a pin: `captured` on the timeline; `duplicate`, it was already (a retried event, a second
 * person's pin); `closed`, the incident is over (retrospective done, or dismissed without one);
 * `outside_incident`, the message is in no incident's thread; `unreadable`, the chat did not give the message;
 * `rollbot_post`, rollbot posted it, so what it says is on the timeline already (a copy would say it twice);
 * `store_unavailable`, the store kept failing until rollbot gave up (nothing written). The label of
 * `rollbot_pinned_messages_total`.
 */
export type PinOutcome =
  | 'captured'
  | 'duplicate'
  | 'closed'
  | 'outside_incident'
  | 'unreadable'
  | 'rollbot_post'
  | 'store_unavailable';

/**
 * The waits between attempts at a pin whose store calls failed: about 30 s in all, past a Redis restart or a
 * failover, and bounded, because nothing else will bring the pin back (the chat acknowledged the event before
 * the capture began, so it is never delivered again).
 */
export const PIN_RETRY_WAITS_MS: readonly number[] = [500, 1_000, 2_000, 4_000, 8_000, 15_000];

/** What a message without text (a file, an image) is recorded as. */
export const NO_TEXT = '(a message without text)';

/** The note a pinned message becomes: its text, trimmed and cut to a note's length (nobody is there to shorten it). */
export function pinnedNoteText(text: string): string {
  const trimmed = text.trim();
  return trimmed ? truncate(trimmed, MAX_NOTE_CHARS) : NO_TEXT;
}

/**
 * Whether an incident still takes pinned messages: while it is open and while its retrospective is being written
 * (pins are how a thread's findings reach the retrospective). Once the retrospective is done, or the incident was
 * dismissed without one, its timeline is the finished record: a 📌 added in its old thread months later is more
 * likely a bookmark than a finding. `/incident note` still takes a deliberate late note.
 */
export function takesPins(incident: Pick<Incident, 'phase' | 'stages'>): boolean {
  return isOpen(incident) || retroRunning(incident);
}

/**
 * The pinned message's address, asked of the chat with `permalinkOf`, or undefined: a link that cannot be had
 * (the chat failing, or answering something that is no web address) costs the note its link, never the note. Said
 * at warn, so that a chat that never gives one is noticed.
 */
async function linkTo(
  deps: Pick<EngineDeps, 'logger'>,
  message: PinnedMessage,
  permalinkOf: PermalinkOf | undefined,
): Promise<string | undefined> {
  if (!permalinkOf) return undefined;
  const where = { channel: message.channel, ts: message.ts };
  let answer: string | undefined;
  try {
    answer = await permalinkOf();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    deps.logger.warn(
      { ...where, err: error },
      `cannot get a link to the pinned message (${why}); captured without it`,
    );
    return undefined;
  }
  if (answer === undefined || answer === '') {
    deps.logger.warn(where, 'Slack gave no link to the pinned message; captured without it');
    return undefined;
  }
  const link = webUrl(answer);
  if (!link)
    deps.logger.warn(
      { ...where, link: answer.slice(0, 200) },
      'the link Slack gave to the pinned message is not a web address; captured without it',
    );
  return link;
}

/**
 * Puts a message pinned in an incident's thread on its timeline as a note: the author's (actor), with who
 * pinned it, where the message is and, when `permalinkOf` gives it, its address (`permalink`, for people to go
 * back to it from the exported timeline and the retrospective) in `data`. The address is asked for only when the
 * message is to be captured, and its absence never stops the capture (linkTo). Once per message (channel and
 * ts), whatever replica, retry or second pin asks again. Nobody is told in the thread (the message is there
 * already; the adapter marks it); counted in `rollbot_pinned_messages_total`.
 */
export async function capturePinnedMessage(
  deps: Pick<EngineDeps, 'store' | 'clock' | 'metrics' | 'logger'>,
  incidentId: string,
  message: PinnedMessage,
  permalinkOf?: PermalinkOf,
): Promise<{ outcome: PinOutcome; entry?: TimelineEntry }> {
  return capture(deps, incidentId, message, () => linkTo(deps, message, permalinkOf));
}

/** capturePinnedMessage, with `link` giving the message's address (or undefined) when it is to be captured. */
async function capture(
  deps: Pick<EngineDeps, 'store' | 'clock' | 'metrics' | 'logger'>,
  incidentId: string,
  message: PinnedMessage,
  link: () => Promise<string | undefined>,
): Promise<{ outcome: PinOutcome; entry?: TimelineEntry }> {
  const outcome = (result: PinOutcome, entry?: TimelineEntry) => {
    deps.metrics.messagePinned(result);
    deps.logger.debug({ incident: incidentId, channel: message.channel, ts: message.ts }, `pin ${result}`);
    return entry ? { outcome: result, entry } : { outcome: result };
  };
  const incident = await deps.store.getIncident(incidentId);
  if (!incident) return outcome('outside_incident');
  if (!takesPins(incident)) return outcome('closed');
  if (message.byRollbot) return outcome('rollbot_post');
  const { channel, ts, author, pinnedBy } = message;
  const permalink = await link();
  const entry = await deps.store.appendOnce(
    {
      incidentId,
      at: deps.clock.now(),
      type: NOTE_TYPE,
      actor: author,
      text: pinnedNoteText(message.text),
      // Added beside the fields older builds read (and only when there is one), which keep their meaning.
      data: { pinnedBy, channel, ts, ...(permalink ? { [NOTE_LINK_FIELD]: permalink } : {}) },
    },
    `pin:${channel}:${ts}`,
  );
  return entry ? outcome('captured', entry) : outcome('duplicate');
}

/**
 * Captures a pin as capturePinnedMessage does, finding its incident first with `incidentOf` (the chat adapter's
 * lookup of the message's thread; undefined: in no incident's thread), and trying both again, after each of
 * PIN_RETRY_WAITS_MS, while the store fails: a pin is heard once, so a store blip would otherwise lose it.
 * Repeating is safe, since a message goes on the timeline once (a write that went through but whose answer was
 * lost comes back `duplicate`); the chat is asked for the message's link once, whatever the store does. When
 * the store still fails, nothing was written: the pin is counted `store_unavailable` and logged as an error that
 * says what to do. Never throws.
 */
export async function capturePin(
  deps: Pick<EngineDeps, 'store' | 'clock' | 'metrics' | 'logger' | 'sleep'>,
  incidentOf: () => Promise<string | undefined>,
  message: PinnedMessage,
  permalinkOf?: PermalinkOf,
): Promise<{ outcome: PinOutcome; incidentId?: string; entry?: TimelineEntry }> {
  const where = { channel: message.channel, ts: message.ts };
  // Asked (and a failure said) once, not at each attempt: the store's failing changes nothing in Slack.
  const link = once(() => linkTo(deps, message, permalinkOf));
  try {
    return await retryAfterWaits(
      async () => {
        const incidentId = await incidentOf();
        if (!incidentId) {
          deps.metrics.messagePinned('outside_incident');
          deps.logger.debug(where, 'pinned message is in no incident thread; ignored');
          return { outcome: 'outside_incident' as const };
        }
        return { ...(await capture(deps, incidentId, message, link)), incidentId };
      },
      PIN_RETRY_WAITS_MS,
      {
        sleep: deps.sleep,
        onRetry: (error, attempt, waitMs) =>
          deps.logger.warn(
            { ...where, err: error, attempt },
            `the store failed while capturing a pinned message; trying again in ${waitMs}ms`,
          ),
      },
    );
  } catch (error) {
    deps.metrics.messagePinned('store_unavailable');
    deps.logger.error(
      {
        ...where,
        err: error,
        hint: 'once the store is back, remove the 📌 and add it again, or add the note with /incident note <id> <text>',
      },
      `cannot capture the pinned message: the store failed ${PIN_RETRY_WAITS_MS.length + 1} times; nothing was written`,
    );
    return { outcome: 'store_unavailable' };
  }
}

/** `ask`, asked at most once: later calls get the first call's answer. */
function once<T>(ask: () => Promise<T>): () => Promise<T> {
  let asked: Promise<T> | undefined;
  return () => (asked ??= ask());
}
