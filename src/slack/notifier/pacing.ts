export { realTimer, type SetTimer } from '../../engine/timer.js';

/** Sustained rate and burst of one bucket. */
export interface Rate {
  perSecond: number;
  burst: number;
}

/**
 * A token bucket on an injected clock: starts full (`burst` sends at once), then refills at `perSecond`.
 * It never sleeps itself; `waitMs` says how long until the next send may go.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly rate: Rate,
    now: number,
  ) {
    this.tokens = rate.burst;
    this.at = now;
  }

  /** Milliseconds until a token is available; 0 when one is available now. */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate.perSecond) * 1000);
  }

  /** Spends a token (call only after waitMs returned 0). */
  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.at);
    this.tokens = Math.min(this.rate.burst, this.tokens + (elapsed / 1000) * this.rate.perSecond);
    this.at = now;
  }
}

export interface QueueRates {
  /** Posts and replies per channel: Slack allows about 1 message per second per channel, short bursts. */
  channel: Rate;
  /** chat.update across the whole workspace (Tier 3: 50+ per minute), whatever the channel. */
  updates: Rate;
}

export const DEFAULT_RATES: QueueRates = {
  channel: { perSecond: 1, burst: 3 },
  // Slack allows a burst of about 5; one token stays in reserve. The queue paces a send when it starts, and an
  // update reaches Slack only after its store reads, which a storm can slow: with the whole burst spent, a
  // burst that arrived late and the next update that did not would reach Slack closer together than allowed.
  updates: { perSecond: 50 / 60, burst: 4 },
};

/** Retry bound for transient failures: exponential backoff, at most `attempts` sends or `maxAgeMs` old. */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxAgeMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  // With this backoff (2 s, 4 s, … then every 60 s), 15 sends span about maxAgeMs: a Slack outage of up to
  // ten minutes loses nothing (6 gave up after 62 s, and an escalation's ping was gone for good).
  attempts: 15,
  baseDelayMs: 2_000,
  maxDelayMs: 60_000,
  maxAgeMs: 10 * 60_000,
};

/** The wait after the `attempt`-th failed send (1-based): base, 2×base, 4×base, … capped. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}
