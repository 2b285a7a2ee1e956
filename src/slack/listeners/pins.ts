import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { capturePin } from '../../engine/pinned.js';
import type { SlackContext } from '../context.js';
import { platformErrorCode, slackErrorText } from '../notifier/errors.js';
import { incidentOfThread } from '../notifier/refs.js';
import { CAPTURED_REACTION, messageAt, pinOf, type Pin } from '../pins.js';

/**
 * 📌 on a message in an incident's thread (or on the incident's message) puts the message on the incident's
 * timeline (engine/pinned.ts). The event carries only where the message is: it is read with conversations.replies
 * (the history scopes), its thread's incident found from what the notifier stored (notifier/refs.ts). A captured
 * message gets a ✅ reaction (again when pinned again, should the first have failed): quieter than a thread
 * reply, which would notify everyone following the thread and wait in the channel's 1 message/s queue behind the
 * incident's own updates. A captured message's link is asked of `chat.getPermalink` (no scope needed; hundreds of
 * calls a minute allowed; it knows the workspace's address and how Slack links a thread reply), only once the
 * engine is about to capture it. A pin in no incident's thread is ignored without a word. Bolt acks events before
 * listeners run, so Slack never sends a pin again once it is heard: the engine tries the store part again while
 * the store fails (capturePin), not the Slack read, which the client retries itself. Retries of one event are
 * dropped by event_id in app.ts, and a second pin of the message by the engine.
 */
export function registerPins(app: App, context: SlackContext): void {
  const { deps } = context;
  // BOT_EVENTS (ids.ts) lists this event for manifest.yml.
  app.event('reaction_added', async ({ event, client }) => {
    const pin = pinOf(event);
    if (!pin) return;
    const logger = deps.logger.child({ channel: pin.channel, ts: pin.ts, pinnedBy: pin.by });
    let message;
    try {
      // From the message on (oldest, inclusive): the message itself, also when it is a reply. Two, because the
      // answer may start with the thread's parent whatever the range (messageAt finds it by its ts).
      const answer = await client.conversations.replies({
        channel: pin.channel,
        ts: pin.ts,
        oldest: pin.ts,
        inclusive: true,
        limit: 2,
        // Tells rollbot's own posts (their metadata), whose words are on the timeline already.
        include_all_metadata: true,
      });
      message = messageAt(answer.messages, pin.ts);
    } catch (error) {
      logger.warn({ err: error }, `cannot read the pinned message (${slackErrorText(error)}); not captured`);
      deps.metrics.messagePinned('unreadable');
      return;
    }
    if (!message) {
      logger.warn({}, 'Slack did not return the pinned message; not captured');
      deps.metrics.messagePinned('unreadable');
      return;
    }
    // Tracked, so that a shutdown waits for a capture waiting out a store failure rather than lose it.
    const { outcome, incidentId } = await deps.inFlight.track(
      capturePin(
        deps,
        () => incidentOfThread(deps.store, pin.channel, message.threadTs),
        {
          channel: pin.channel,
          ts: pin.ts,
          author: message.author,
          pinnedBy: pin.by,
          text: message.text,
          byRollbot: message.byRollbot ?? false,
        },
        () => permalinkOf(client, pin),
      ),
      'pin',
    );
    // A message on the timeline already (captured before, or rollbot's own post) is marked too: a first ✅ may have
    // failed (Slack busy), and a missing ✅ is what makes people pin it once more. Slack answers already_reacted
    // when the mark is there.
    if (outcome !== 'captured' && outcome !== 'duplicate' && outcome !== 'rollbot_post') return;
    try {
      await client.reactions.add({ channel: pin.channel, timestamp: pin.ts, name: CAPTURED_REACTION });
    } catch (error) {
      // Captured all the same; only the mark is missing (or was there already).
      if (platformErrorCode(error) !== 'already_reacted')
        logger.warn(
          { err: error, incident: incidentId },
          `cannot mark the captured message: ${slackErrorText(error)}`,
        );
    }
  });
}

/** The pinned message's link, from Slack; rejects with Slack's error code (`message_not_found`) as its message. */
async function permalinkOf(client: WebClient, pin: Pin): Promise<string | undefined> {
  try {
    return (await client.chat.getPermalink({ channel: pin.channel, message_ts: pin.ts })).permalink;
  } catch (error) {
    throw new Error(slackErrorText(error), { cause: error });
  }
}
