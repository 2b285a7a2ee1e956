import { rememberNewest } from '../../core/bounded-memory.js';
import type { Values } from '../../engine/ports.js';
import { DeliveryError } from './errors.js';

/** Where an incident's message lives; stored as JSON under `messageKey(incidentId)`. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/** The store value key of an incident's message ref: durable, so another replica or a restart finds it. */
export function messageKey(incidentId: string): string {
  return `slack:message:${incidentId}`;
}

/**
 * The store value key of the incident whose message starts the thread at `ts` in `channel` (a channel ID): how a
 * 📌 on any message of the thread finds its incident (listeners/pins.ts). Stored with the message ref, as long.
 */
export function threadKey(channel: string, ts: string): string {
  return `slack:thread:${channel}:${ts}`;
}

/** The incident whose message starts the thread at `ts` in `channel`, if rollbot posted one there. */
export async function incidentOfThread(
  store: Pick<Values, 'getValue'>,
  channel: string,
  ts: string,
): Promise<string | undefined> {
  return store.getValue(threadKey(channel, ts));
}

/** Remembered per incident in this process; bounded so that a long-running bot does not grow. */
const REMEMBERED_INCIDENTS = 1000;

/** Sets `key` as the newest entry, forgetting the oldest beyond REMEMBERED_INCIDENTS. */
export function remember<V>(map: Map<string, V>, key: string, value: V): void {
  rememberNewest(map, key, value, REMEMBERED_INCIDENTS);
}

/**
 * The value stored at `key` (where `what` is: "INC-7's message"): a store that does not answer is a transient
 * delivery failure, so that the queue tries the send again rather than take the message for never posted.
 */
export async function readStoredRef(
  store: Pick<Values, 'getValue'>,
  key: string,
  what: string,
): Promise<string | undefined> {
  try {
    return await store.getValue(key);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new DeliveryError('store_unavailable', `cannot read where ${what} is: ${detail}`, {
      transient: true,
      cause: error,
    });
  }
}

/** The ref stored under messageKey(), or undefined when absent or not a ref. */
export function parseRef(raw: string | undefined): MessageRef | undefined {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return undefined;
    const { channel, ts } = value as Record<string, unknown>;
    return typeof channel === 'string' && typeof ts === 'string' ? { channel, ts } : undefined;
  } catch {
    return undefined;
  }
}
