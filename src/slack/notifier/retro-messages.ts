import type { ChatPostMessageArguments, WebClient } from '@slack/web-api';
import type { Logger, Store } from '../../engine/ports.js';
import { platformErrorCode } from './errors.js';
import { parseRef, readStoredRef, remember, type MessageRef } from './refs.js';
import type { SlackMessageContent } from './render.js';

type Blocks = NonNullable<Extract<ChatPostMessageArguments, { blocks: unknown }>['blocks']>;

/** The store value key of where an incident's retrospective message is, and the template it was posted with. */
export function retroMessageKey(incidentId: string): string {
  return `slack:retro-message:${incidentId}`;
}

/** Where the retrospective's message is, and the text (intro and template) it was drawn from. */
interface RetroMessageRef extends MessageRef {
  text: string;
}

function parseRetroRef(raw: string | undefined): RetroMessageRef | undefined {
  const ref = parseRef(raw);
  if (!ref || raw === undefined) return undefined;
  const { text } = JSON.parse(raw) as { text?: unknown };
  return typeof text === 'string' ? { ...ref, text } : undefined;
}

export interface RetroMessagesOptions {
  client: WebClient;
  store: Pick<Store, 'getValue' | 'setValue'>;
  logger: Logger;
  /** How long refs are kept in the store (as the incident messages'). */
  refTtlMs: number;
}

/**
 * Each retrospective's message in its incident's thread (the template, Complete retrospective): where it is, kept
 * in the store when it is posted, so that whichever replica the retrospective is completed on redraws it.
 */
export interface RetroMessages {
  /** Keeps where the retrospective message of `incidentId` was posted, and the text it was drawn from. */
  posted(incidentId: string, ref: MessageRef, text: string): Promise<void>;
  /** Redraws it: `draw` makes its content from the text it was posted with. */
  redraw(incidentId: string, draw: (text: string) => SlackMessageContent): Promise<void>;
}

export function createRetroMessages(options: RetroMessagesOptions): RetroMessages {
  const { client, store, logger, refTtlMs } = options;
  const refs = new Map<string, RetroMessageRef>();

  async function findRef(incidentId: string): Promise<RetroMessageRef | undefined> {
    const known = refs.get(incidentId);
    if (known) return known;
    const where = `${incidentId}'s retrospective message`;
    const ref = parseRetroRef(await readStoredRef(store, retroMessageKey(incidentId), where));
    if (ref) remember(refs, incidentId, ref);
    return ref;
  }

  return {
    async posted(incidentId, ref, text) {
      const kept = { channel: ref.channel, ts: ref.ts, text };
      remember(refs, incidentId, kept);
      try {
        await store.setValue(retroMessageKey(incidentId), JSON.stringify(kept), refTtlMs);
      } catch (error) {
        // Posted already: retrying would post it twice. This process still redraws it; another one cannot.
        logger.error(
          { err: error, incident: incidentId, channel: ref.channel, ts: ref.ts },
          'slack retrospective message posted but not stored; only this process can show it completed',
        );
      }
    },
    async redraw(incidentId, draw) {
      const ref = await findRef(incidentId);
      if (!ref) {
        // Posted before rollbot kept where (an upgrade), or its post was given up: the thread's reply says it.
        logger.warn({ incident: incidentId }, 'slack retrospective message not known; not redrawn');
        return;
      }
      const { text, blocks } = draw(ref.text);
      try {
        await client.chat.update({
          channel: ref.channel,
          ts: ref.ts,
          text,
          ...(blocks ? { blocks: blocks as Blocks } : {}),
        });
      } catch (error) {
        if (platformErrorCode(error) !== 'message_not_found') throw error;
        logger.warn(
          { incident: incidentId, channel: ref.channel, ts: ref.ts },
          'slack retrospective message was deleted',
        );
      }
    },
  };
}
