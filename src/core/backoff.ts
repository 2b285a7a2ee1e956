import type { ServingError } from './errors.js';

/**
 * The wait after the `attempt`-th transient failure (1 = the first): doubling from `baseMs`, or longer when the
 * other side said when to come back (`Retry-After`, in the error's details), never more than `maxWaitMs`.
 * One rule for every call rollbot retries: serving layers and pager providers.
 */
export function backoffMs(
  attempt: number,
  error: ServingError,
  limits: { baseMs: number; maxWaitMs: number },
): number {
  return Math.min(limits.maxWaitMs, Math.max(limits.baseMs * 2 ** (attempt - 1), retryAfterMs(error)));
}

function retryAfterMs(error: ServingError): number {
  const details = error.details as { retryAfter?: unknown } | undefined;
  const seconds = Number(details?.retryAfter);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1_000 : 0;
}
