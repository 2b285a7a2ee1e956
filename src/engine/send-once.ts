import { StillOnItsWay, type LateArrival } from './arrival.js';
import type { EngineDeps } from './context.js';
import type { TimelineEntry } from './ports.js';
import { keepLeaseAlive } from './lease-keepalive.js';
import { entriesOfTypes } from './timeline-types.js';

/**
 * How long one sender holds the right to send a message whose proof is a timeline entry: longer than the
 * poller's 60 s lease and a delivery's wait to arrive (arrival.ts), so that a delivery handed out again while
 * the first is still sending waits instead of sending twice. The lock is released as soon as the send ends,
 * failed or not; only a replica that dies while sending leaves it to expire (and then the message may go out
 * twice). A send with no such bound is kept alive instead (OnceMessage `keptAlive`).
 */
export const SEND_LOCK_TTL_MS = 2 * 60_000;

/**
 * A message that goes out once, a mark written after it being the proof that it did: a timeline entry
 * (OnceMessage), or a value of its own (a digest's listed incidents, a two-person request's posted key).
 */
export interface MarkedMessage {
  /** The lock its senders take turns under, e.g. `escalation:INC-7:triage`. */
  lock: string;
  /** Whether its mark is there: it went out. */
  wasSent(): Promise<boolean>;
  /** Notifies, then records the mark: a sender that dies before recording is replaced, never silent. */
  send(): Promise<void>;
  /** Another sender holds the lock: have a deadline look again at `at`, in case that sender dies. */
  lookAgainAt(at: number): Promise<void>;
  /**
   * Hold the lock for as long as `send` runs, extended as a rollback's is (lease-keepalive.ts), rather than for
   * SEND_LOCK_TTL_MS: for a send that can take longer than that (a settlement re-reading a slow serving layer,
   * then waiting for its escalation to arrive), which a second sender must not take over while it runs. The
   * lease then lives `timing.lockTtlMs` past its last extension, so a sender that dies is replaced that soon.
   */
  keptAlive?: { what: string };
}

/** A message that goes out once per incident, the timeline entry written after it being the mark that it did. */
export interface OnceMessage extends Omit<MarkedMessage, 'wasSent'> {
  /**
   * The types of entry its mark can be: only the incident's entries of these are read (entriesOfTypes), not an
   * alert storm's whole timeline.
   */
  markTypes: readonly string[];
  /** Whether `entry`, of one of `markTypes`, is the mark that the message went out; unset: every such entry is. */
  isMark?(entry: TimelineEntry): boolean;
}

/**
 * Sends `message` unless its mark is on the incident's timeline (among its entries of `markTypes`): at least once,
 * and once unless a sender dies between sending and recording. 'sent' by this call, 'was-sent' before it, or
 * 'busy': another sender is at it, and a look after its lock has lapsed is scheduled. A send that fails because
 * its delivery is still on its way (StillOnItsWay with `late`) records the mark should the delivery arrive later
 * (recordOnArrival).
 */
export function sendOnce(
  deps: Pick<EngineDeps, 'store' | 'clock' | 'timing' | 'logger'>,
  incidentId: string,
  message: OnceMessage,
): Promise<'sent' | 'was-sent' | 'busy'> {
  const wasSent = async () =>
    (await entriesOfTypes(deps, incidentId, message.markTypes)).some(
      (entry) => message.isMark?.(entry) ?? true,
    );
  return sendUnlessMarked(deps, { ...message, wasSent });
}

/**
 * Sends `message` unless its mark is there, as sendOnce does with a mark of its own: for a message of no incident
 * (a digest, a two-person request made before any alert), whose mark cannot be on a timeline.
 */
export async function sendUnlessMarked(
  deps: Pick<EngineDeps, 'store' | 'clock' | 'timing' | 'logger'>,
  message: MarkedMessage,
): Promise<'sent' | 'was-sent' | 'busy'> {
  const now = deps.clock.now();
  const ttlMs = message.keptAlive ? deps.timing.lockTtlMs : SEND_LOCK_TTL_MS;
  const lease = await deps.store.acquire(message.lock, 'rollbot', ttlMs, now);
  if (!lease) {
    await message.lookAgainAt(now + ttlMs);
    return 'busy';
  }
  // A kept-alive lease lost all the same (this replica cut off from the store for a whole TTL) is only logged:
  // the send goes on, as one whose lease lapsed always did: twice rather than never, should its successor die too.
  const kept = message.keptAlive ? keepLeaseAlive(deps, lease, message.keptAlive.what) : undefined;
  let late: LateArrival | undefined;
  try {
    if (await message.wasSent()) return 'was-sent';
    await message.send();
    return 'sent';
  } catch (error) {
    if (error instanceof StillOnItsWay) late = error.late;
    throw error;
  } finally {
    kept?.stop();
    await deps.store.release(lease);
    // Only once the lock is released: an arrival in between would find it held, and be recorded by nobody.
    if (late) recordOnArrival(deps, message, late);
  }
}

/**
 * Records a delivery that arrived after its sender stopped waiting, under the message's lock and unless its mark
 * is there: the deadline that comes round again then finds it sent instead of sending it twice. A lock held by
 * another sender is one of the same message, which records it (it joined this delivery) or sends it again. One
 * given up on after all is left unrecorded, for the deadline to send again (an escalation one half of which
 * arrived is noted, LateArrival's `noteHalf`); so is one that arrives on a replica cut off from the store, whose
 * failure is logged.
 */
function recordOnArrival(
  deps: Pick<EngineDeps, 'store' | 'clock' | 'timing' | 'logger'>,
  message: MarkedMessage,
  late: LateArrival,
): void {
  void late.arrival
    .then(async (arrival): Promise<unknown> => {
      if (!arrival.arrived) return arrival.reached ? late.noteHalf?.(arrival) : undefined;
      return sendUnlessMarked(deps, {
        lock: message.lock,
        wasSent: message.wasSent,
        send: () => late.record(arrival),
        lookAgainAt: async () => undefined,
      });
    })
    .catch((error: unknown) =>
      deps.logger.warn(
        { err: error, lock: message.lock },
        'a delivery arrived late but could not be recorded; its deadline may send it again',
      ),
    );
}
