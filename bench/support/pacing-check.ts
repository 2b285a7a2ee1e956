import type { SlackArrival } from './slack-standin.js';

/** A token bucket: `burst` at once, then `perSecond`. Slack: ~1 message/s per channel, short bursts. */
export interface Limit {
  perSecond: number;
  burst: number;
}

/** The notifier's configured pacing (src/slack/notifier/pacing.ts) as the limit Slack is owed. */
export const CHANNEL_LIMIT: Limit = { perSecond: 1, burst: 3 };
/** chat.update is Tier 3 (50+/min) per workspace, across all channels. */
export const UPDATE_LIMIT: Limit = { perSecond: 50 / 60, burst: 5 };

/** Arrival times jitter by a few ms between rollbot's send and the stand-in's clock; this much is forgiven. */
const JITTER_MS = 50;

export interface PacingReport {
  calls: number;
  /** Calls that found the bucket empty (exceeded the limit). */
  violations: number;
  /** Most calls of one key in any 1-second window. */
  maxPerSecond: number;
  /** Key (channel) of the worst window. */
  worst: string | undefined;
}

/**
 * Replays the arrivals per key through a token bucket and counts calls that exceeded it, plus the busiest
 * 1-second window. `keyOf` returns undefined for calls the limit does not cover.
 */
export function checkPacing(
  arrivals: readonly SlackArrival[],
  limit: Limit,
  keyOf: (arrival: SlackArrival) => string | undefined,
): PacingReport {
  const byKey = new Map<string, number[]>();
  for (const arrival of arrivals) {
    const key = keyOf(arrival);
    if (key !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), arrival.at]);
  }
  const report: PacingReport = { calls: 0, violations: 0, maxPerSecond: 0, worst: undefined };
  for (const [key, times] of byKey) {
    times.sort((a, b) => a - b);
    report.calls += times.length;
    let tokens = limit.burst;
    let last = times[0] ?? 0;
    let windowStart = 0;
    for (const [index, at] of times.entries()) {
      tokens = Math.min(limit.burst, tokens + ((at - last) / 1000) * limit.perSecond);
      last = at;
      // A call is over the limit when the bucket lacks more than the jitter's worth of a token. It spends a
      // token either way: Slack counted it.
      if (tokens < 1 - (JITTER_MS / 1000) * limit.perSecond) report.violations += 1;
      tokens -= 1;
      while ((times[windowStart] ?? at) < at - 1000) windowStart += 1;
      const inWindow = index - windowStart + 1;
      if (inWindow > report.maxPerSecond) {
        report.maxPerSecond = inWindow;
        report.worst = key;
      }
    }
  }
  return report;
}
