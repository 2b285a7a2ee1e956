import { ServingError } from '../../core/errors.js';
import type { ServingState } from '../../engine/serving-port.js';

/** A traffic flip onto a warm version: route propagation only. */
export const FLIP_ETA_MS = 30_000;
/** A redeploy of an old version: scheduling, image pull, model download and load. */
export const REDEPLOY_ETA_MS = 5 * 60_000;

/** A refusal that retrying cannot fix: a wrong target, a changed object, an unsupported setup. */
export function refuse(message: string, hint: string): ServingError {
  return new ServingError(message, { transient: false, hint });
}

/**
 * The version a rollback to `to` moves away from: the one with the largest share of traffic other than
 * `to` (the canary during a rollout, the promoted version after it), else the current one.
 */
export function rollbackFrom(state: ServingState, to: string): string | undefined {
  let from: { version: string; percent: number } | undefined;
  for (const entry of state.traffic) {
    if (entry.version !== to && (from === undefined || entry.percent > from.percent)) from = entry;
  }
  return from?.version ?? (state.current === to ? undefined : state.current);
}

/** The version with the largest share, for `ServingState.current`. */
export function largestShare(traffic: readonly { version: string; percent: number }[]): string | undefined {
  let best: { version: string; percent: number } | undefined;
  for (const entry of traffic) if (best === undefined || entry.percent > best.percent) best = entry;
  return best?.version;
}

/** `90% r2, 10% r3`, for summaries. */
export function describeTraffic(traffic: readonly { version: string; percent: number }[]): string {
  return traffic.length === 0
    ? 'no traffic reported'
    : traffic.map((entry) => `${entry.percent}% ${entry.version}`).join(', ');
}
