import { withHint } from '../../core/errors.js';
import { classifyFailure, type Failure } from './errors.js';
import {
  backoffMs,
  DEFAULT_RATES,
  DEFAULT_RETRY,
  realTimer,
  TokenBucket,
  type QueueRates,
  type RetryPolicy,
} from './pacing.js';
import type { OutgoingItem, OutgoingQueue, OutgoingQueueOptions } from './types.js';

export type { DeliveryKind, OutgoingItem, OutgoingQueue, OutgoingQueueOptions, QueueStats } from './types.js';

interface Entry {
  item: OutgoingItem;
  enqueuedAt: number;
  attempts: number;
  notBefore: number;
  inFlight: boolean;
}

/** One channel: FIFO, one call in flight at a time, which is what keeps an incident's events in order. */
interface Lane {
  name: string;
  entries: Entry[];
  bucket: TokenBucket;
  pausedUntil: number;
  inFlight: boolean;
  cancelTimer: (() => void) | undefined;
}

/** Creates the queue. See OutgoingQueue. */
export function createOutgoingQueue(options: OutgoingQueueOptions): OutgoingQueue {
  const { clock, logger } = options;
  const setTimer = options.setTimer ?? realTimer;
  const rates: QueueRates = { ...DEFAULT_RATES, ...options.rates };
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const maxItems = options.maxItemsPerChannel ?? 1000;
  // Lanes are kept when empty: a fresh lane starts with a full bucket, which would defeat the pacing.
  const lanes = new Map<string, Lane>();
  const updates = { bucket: new TokenBucket(rates.updates, clock.now()), pausedUntil: 0 };
  let idleWaiters: (() => void)[] = [];
  let state: 'open' | 'closing' | 'closed' = 'open';
  let closing: Promise<void> | undefined;

  function laneFor(name: string): Lane {
    let lane = lanes.get(name);
    if (!lane) {
      lane = {
        name,
        entries: [],
        bucket: new TokenBucket(rates.channel, clock.now()),
        pausedUntil: 0,
        inFlight: false,
        cancelTimer: undefined,
      };
      lanes.set(name, lane);
    }
    return lane;
  }

  /** Tells the item's owner what became of it; a callback must never break delivery. */
  function told(entry: Entry, delivered: boolean): void {
    try {
      entry.item.onSettled?.(delivered);
    } catch (error) {
      logger.error({ err: error, label: entry.item.label }, 'slack queue: onSettled threw');
    }
  }

  function record(lane: Lane, entry: Entry, reason: string, message: string, hint?: string): void {
    told(entry, false);
    const { kind, label } = entry.item;
    logger.error(
      { channel: lane.name, kind, label, reason, attempts: entry.attempts, ...(hint ? { hint } : {}) },
      `slack ${kind} for ${label} in ${lane.name} not delivered: ${withHint(message, hint)}`,
    );
    try {
      options.onDeliveryFailed?.(kind, reason);
    } catch {
      // A metrics callback must never break delivery.
    }
  }

  function remove(lane: Lane, entry: Entry): void {
    const index = lane.entries.indexOf(entry);
    if (index >= 0) lane.entries.splice(index, 1);
  }

  /** Makes room for one more item: the oldest waiting reply goes first, then any droppable item. */
  function makeRoom(lane: Lane): boolean {
    if (lane.entries.length < maxItems) return true;
    const waiting = lane.entries.filter((entry) => !entry.inFlight);
    const victim =
      waiting.find((entry) => entry.item.kind === 'reply') ?? waiting.find((entry) => !entry.item.keep);
    if (!victim) return false;
    remove(lane, victim);
    record(lane, victim, 'queue_full', `queue for ${lane.name} is full (${maxItems}); dropped the oldest`);
    return true;
  }

  function checkIdle(): void {
    for (const lane of lanes.values()) if (lane.inFlight || lane.entries.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function pump(lane: Lane): void {
    if (state === 'closed' || lane.inFlight) return;
    // A new entry may be able to go before the one the lane is waiting for (see nextEntry): decide again.
    lane.cancelTimer?.();
    lane.cancelTimer = undefined;
    const now = clock.now();
    const head = nextEntry(lane, now);
    if (!head) return checkIdle();
    const isUpdate = head.item.kind === 'update';
    const bucket = isUpdate ? updates.bucket : lane.bucket;
    const gate = Math.max(lane.pausedUntil, head.notBefore, isUpdate ? updates.pausedUntil : 0);
    const wait = Math.max(gate - now, bucket.waitMs(now));
    if (wait > 0 && head.item.optional) {
      remove(lane, head);
      told(head, false);
      return pump(lane);
    }
    if (wait > 0) {
      lane.cancelTimer = setTimer(() => {
        lane.cancelTimer = undefined;
        pump(lane);
      }, wait);
      return;
    }
    bucket.take(now);
    head.inFlight = lane.inFlight = true;
    head.attempts += 1;
    void Promise.resolve()
      .then(() => head.item.send())
      .then(
        () => undefined,
        (error: unknown) => classifyFailure(error),
      )
      .then((failure) => settle(lane, head, failure))
      .catch((error: unknown) =>
        logger.error({ err: error, channel: lane.name }, 'slack queue failed to settle'),
      );
  }

  /**
   * The lane's first entry — unless it is an update held back by the workspace-wide update allowance (50/min)
   * while the first post or reply behind it could go sooner: that one goes first, since a coalesced update that
   * waits simply shows the incident's state as of when it is sent. Posts and replies keep their order among
   * themselves: only the first of them may pass, and while it backs off after a failure the ones behind it wait
   * (taking the next ready one instead posted an incident's thread replies out of order). One that may not
   * overtake (a reply whose parent the update may post) waits for the updates in front of it.
   */
  function nextEntry(lane: Lane, now: number): Entry | undefined {
    const first = lane.entries[0];
    if (first?.item.kind !== 'update') return first;
    const updateWait = Math.max(updates.pausedUntil - now, updates.bucket.waitMs(now));
    if (updateWait <= 0) return first;
    const next = lane.entries.find((entry) => entry.item.kind !== 'update');
    if (!next || next.item.mayOvertake?.() === false) return first;
    const nextWait = Math.max(next.notBefore - now, lane.bucket.waitMs(now));
    return nextWait < updateWait ? next : first;
  }

  function settle(lane: Lane, entry: Entry, failure: Failure | undefined): void {
    entry.inFlight = lane.inFlight = false;
    if (state === 'closed') {
      // Was in flight when close() abandoned the rest: only a failure is left to record.
      if (failure) record(lane, entry, failure.reason, `failed during shutdown: ${failure.type}`);
      else told(entry, true);
      return;
    }
    const now = clock.now();
    const tooOld = now - entry.enqueuedAt >= retry.maxAgeMs;
    if (!failure) {
      remove(lane, entry);
      told(entry, true);
    } else if (failure.type === 'permanent') {
      remove(lane, entry);
      record(lane, entry, failure.reason, failure.message, failure.hint);
    } else if (failure.type === 'rate-limited') {
      // Slack's own answer to "too fast": not the item's fault, so not an attempt. It pauses what the item is
      // paced by: chat.update is limited per workspace, so its 429 holds back every channel's updates, but not
      // this channel's posts and replies (an escalation must not wait for a redraw's limit), and vice versa.
      entry.attempts -= 1;
      const until = now + failure.retryAfterMs;
      if (entry.item.kind === 'update') updates.pausedUntil = Math.max(updates.pausedUntil, until);
      else lane.pausedUntil = Math.max(lane.pausedUntil, until);
      logger.warn(
        { channel: lane.name, kind: entry.item.kind, retryAfterMs: failure.retryAfterMs },
        'slack rate limit: pausing',
      );
      if (tooOld) {
        remove(lane, entry);
        record(lane, entry, failure.reason, `still rate limited after ${retry.maxAgeMs} ms`);
      }
    } else if (entry.attempts >= retry.attempts || tooOld) {
      remove(lane, entry);
      record(lane, entry, failure.reason, `gave up after ${entry.attempts} attempts: ${failure.message}`);
    } else {
      entry.notBefore = now + backoffMs(retry, entry.attempts);
      logger.warn(
        { channel: lane.name, kind: entry.item.kind, reason: failure.reason, attempts: entry.attempts },
        `slack ${entry.item.kind} failed, retrying: ${failure.message}`,
      );
    }
    pump(lane);
  }

  /** Flushes within the deadline, then abandons (and records) whatever is left. */
  async function shutDown(deadlineMs: number): Promise<void> {
    state = 'closing';
    let cancelDeadline = (): void => {};
    const deadline = new Promise<void>((resolve) => {
      // Kept alive on purpose: shutdown waits for the deadline rather than exiting with messages unsent.
      cancelDeadline = setTimer(resolve, deadlineMs, true);
    });
    await Promise.race([flush(), deadline]);
    cancelDeadline();
    state = 'closed';
    for (const lane of lanes.values()) {
      lane.cancelTimer?.();
      lane.cancelTimer = undefined;
      for (const entry of lane.entries) {
        if (!entry.inFlight) record(lane, entry, 'abandoned', `not sent within ${deadlineMs} ms of shutdown`);
      }
      lane.entries = [];
      lane.inFlight = false;
    }
    checkIdle();
  }

  function flush(): Promise<void> {
    return new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      checkIdle();
    });
  }

  return {
    enqueue(channel, item) {
      const lane = laneFor(channel);
      const entry: Entry = { item, enqueuedAt: clock.now(), attempts: 0, notBefore: 0, inFlight: false };
      if (state === 'closed') return record(lane, entry, 'closed', 'the notifier is closed');
      if (item.coalesceKey !== undefined) {
        const pending = lane.entries.find((e) => !e.inFlight && e.item.coalesceKey === item.coalesceKey);
        if (pending) {
          // Keeps its place in line: ordering with the post before it holds.
          if (!item.optional)
            pending.item = { ...item, onSettled: both(pending.item.onSettled, item.onSettled) };
          return;
        }
      }
      if (!makeRoom(lane)) return record(lane, entry, 'queue_full', `queue for ${channel} is full`);
      lane.entries.push(entry);
      pump(lane);
    },

    flush,

    close(deadlineMs = 5_000) {
      closing ??= shutDown(deadlineMs);
      return closing;
    },

    stats() {
      let queued = 0;
      let inFlight = 0;
      for (const lane of lanes.values()) {
        queued += lane.entries.filter((entry) => !entry.inFlight).length;
        if (lane.inFlight) inFlight += 1;
      }
      return { queued, inFlight };
    },
  };
}

/** One callback that tells both: a replaced update's owner learns what became of its replacement. */
function both(
  first: OutgoingItem['onSettled'],
  second: OutgoingItem['onSettled'],
): OutgoingItem['onSettled'] {
  if (!first || !second) return first ?? second;
  return (delivered) => {
    first(delivered);
    second(delivered);
  };
}
