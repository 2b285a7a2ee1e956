import type { Clock, Logger } from '../../engine/ports.js';
import type { QueueRates, RetryPolicy, SetTimer } from './pacing.js';

/** What an outgoing item does in Slack: pacing, dropping and failure counters differ by kind. */
export type DeliveryKind = 'post' | 'update' | 'reply';

/** One Slack call (or a short sequence, e.g. join then post) waiting to be sent. */
export interface OutgoingItem {
  kind: DeliveryKind;
  /** For logs: what it is about, e.g. the incident ID. */
  label: string;
  /** Pending items with the same key replace each other (last write wins): updates of one message. */
  coalesceKey?: string;
  /** Never dropped to make room in a full queue (the incident's first post). */
  keep?: boolean;
  /**
   * A redraw nobody asked for (the clock moved): it only uses spare capacity. It never replaces a pending item
   * with its coalesceKey (that one is as new or newer), and at the head of its lane it is dropped, unrecorded,
   * rather than waiting for a pause, a backoff or the update allowance.
   */
  optional?: boolean;
  /**
   * For a post or reply: whether it may go now ahead of updates waiting in front of it (default: yes). A reply
   * whose parent message is not known to exist says no, since an update in front of it may be what posts it.
   */
  mayOvertake?: (() => boolean) | undefined;
  /** Makes the call(s). Throws Slack errors or DeliveryErrors; the queue classifies and retries them. */
  send(): Promise<void>;
  /**
   * Told once what became of the item: true when it was sent, false when it was given up, dropped, abandoned
   * at shutdown or refused. An update replaced by a newer one is told what becomes of the newer one.
   */
  onSettled?: ((delivered: boolean) => void) | undefined;
}

export interface OutgoingQueueOptions {
  clock: Clock;
  logger: Logger;
  /** Default: setTimeout, unref'd. Tests pass a fake that moves their clock instead of waiting. */
  setTimer?: SetTimer | undefined;
  rates?: Partial<QueueRates> | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  /** Items waiting per channel before the oldest replies are dropped (default 1000). */
  maxItemsPerChannel?: number | undefined;
  /** Called once per item given up on, with a stable reason (`channel_not_found`, `http_503`, `queue_full`, …). */
  onDeliveryFailed?: ((kind: DeliveryKind, reason: string) => void) | undefined;
}

export interface QueueStats {
  /** Items waiting, not counting those being sent. */
  queued: number;
  inFlight: number;
}

/** Per-channel outgoing queues: paced, coalescing, bounded, retrying; enqueue never waits and never throws. */
export interface OutgoingQueue {
  enqueue(channel: string, item: OutgoingItem): void;
  /** Resolves once every queue is empty (with real timers, that takes real time). */
  flush(): Promise<void>;
  /** Sends what it can within `deadlineMs` (default 5000), then abandons the rest, recording each item. */
  close(deadlineMs?: number): Promise<void>;
  stats(): QueueStats;
}
