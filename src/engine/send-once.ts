import type { EngineDeps } from './context.js';
import type { TimelineEntry } from './ports.js';

/**
 * How long one sender holds the right to send a message whose proof is a timeline entry: longer than the
 * poller's 60 s lease and a delivery's wait to arrive (arrival.ts), so that a delivery handed out again while
 * the first is still sending waits instead of sending twice. The lock is released as soon as the send ends,
 * failed or not; only a replica that dies while sending leaves it to expire (and then the message may go out
 * twice).
 */
export const SEND_LOCK_TTL_MS = 2 * 60_000;

/** A message that goes out once per incident, the timeline entry written after it being the mark that it did. */
export interface OnceMessage {
  /** The lock its senders take turns under, e.g. `escalation:INC-7:triage`. */
  lock: string;
  /** Whether `entry` is the mark that the message went out. */
  isMark(entry: TimelineEntry): boolean;
  /** Notifies, then records the mark: a sender that dies before recording is replaced, never silent. */
  send(): Promise<void>;
  /** Another sender holds the lock: have a deadline look again at `at`, in case that sender dies. */
  lookAgainAt(at: number): Promise<void>;
}

/**
 * Sends `message` unless its mark is on the incident's timeline: at least once, and once unless a sender dies
 * between sending and recording. 'sent' by this call, 'was-sent' before it, or 'busy': another sender is at it,
 * and a look after its lock has lapsed is scheduled.
 */
export async function sendOnce(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  incidentId: string,
  message: OnceMessage,
): Promise<'sent' | 'was-sent' | 'busy'> {
  const now = deps.clock.now();
  const lease = await deps.store.acquire(message.lock, 'rollbot', SEND_LOCK_TTL_MS, now);
  if (!lease) {
    await message.lookAgainAt(now + SEND_LOCK_TTL_MS);
    return 'busy';
  }
  try {
    const timeline = await deps.store.list(incidentId);
    if (timeline.some((entry) => message.isMark(entry))) return 'was-sent';
    await message.send();
    return 'sent';
  } finally {
    await deps.store.release(lease);
  }
}
