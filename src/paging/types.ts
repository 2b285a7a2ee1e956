/**
 * Paging: who gets woken up, through PagerDuty or Opsgenie. The types, and the one delivery loop both
 * providers share (throttling and provider failures retried for a few minutes, clear errors for the rest).
 */
import { backoffMs } from '../core/backoff.js';
import { formatDuration } from '../core/duration.js';
import { RollbotError, ServingError, type ErrorCode } from '../core/errors.js';
import type { Clock } from '../engine/ports.js';
import { MAX_TIMER_MS } from '../engine/timer.js';
import { requestJson, type JsonRequest, type JsonResponse } from '../serving/request.js';

/** What a page does to the provider's alert for an incident. */
export type PageAction = 'trigger' | 'acknowledge' | 'resolve';

/** The provider-neutral severity of a page. */
export type PageSeverity = 'critical' | 'error' | 'warning' | 'info';

/** One event for a paging provider. */
export interface Page {
  action: PageAction;
  /** Stable per incident (`rollbot-<incident id>`) so trigger, acknowledge and resolve meet one alert. */
  dedupKey: string;
  summary: string;
  severity: PageSeverity;
  /** Who raised it, for the provider's UI: `rollbot`. */
  source: string;
  details?: Record<string, unknown>;
}

/**
 * A paging provider. `send` rejects with a RollbotError when the provider did not take the page; once `signal`
 * aborts, it stops retrying and rejects. A provider that accepts a page before processing it (Opsgenie: 202, then a
 * request to poll) calls `onAccepted` with the provider's request id once it has the page, before send() returns.
 */
export interface Pager {
  send(page: Page, signal?: AbortSignal, onAccepted?: (requestId: string) => void): Promise<void>;
}

/** Retry settings shared by the providers. */
export interface DeliveryOptions {
  /** First wait after a transient failure, doubled after each one (default 1 s). */
  baseMs?: number;
  /** Longest wait between two attempts, a Retry-After included (default 30 s). */
  maxWaitMs?: number;
  /** How long a page keeps being retried before it is given up (default 5 min). */
  retryForMs?: number;
  /** Injectable for tests: the wait between attempts, and the clock that window is measured on. */
  sleep?: (ms: number) => Promise<void>;
  clock?: Clock;
}

/**
 * A page must survive a provider outage of a few minutes (a 30-second 503, a 429 storm): a lost SEV-1 trigger
 * is silence at 2am. Waits stay at most 30 s so that a page goes soon after the provider is back.
 */
const DEFAULT_RETRY = { baseMs: 1_000, maxWaitMs: 30_000, retryForMs: 5 * 60_000 };

// Unref'd: a retry wait must not hold a stopping process open; shutdown has its own deadline (notifier idle()).
// At most MAX_TIMER_MS, which setTimeout would fire at once past (waits are maxWaitMs at most: 30 s by default).
export const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.min(ms, MAX_TIMER_MS)).unref());

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Sends one provider call, retrying transient failures (408, 429, 5xx, timeouts, network errors) with exponential
 * backoff for up to `retryForMs`. Throws a RollbotError: `UNAVAILABLE` once that window is spent (or `signal`
 * aborted), or the status's code (400 → `BAD_REQUEST`, …) at once for a refusal, with the provider's reason
 * in the message and `hint`.
 */
export async function deliver(
  call: JsonRequest,
  expectStatus: number,
  hint: string,
  options: DeliveryOptions = {},
  signal?: AbortSignal,
): Promise<JsonResponse> {
  const retry = { ...DEFAULT_RETRY, ...options };
  const sleep = options.sleep ?? defaultSleep;
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) {
      throw new RollbotError('UNAVAILABLE', `${call.what}: stopped retrying after ${attempt - 1} attempts`, {
        hint,
      });
    }
    let response: JsonResponse;
    try {
      response = await requestJson(call);
    } catch (error) {
      if (!(error instanceof ServingError)) throw error;
      if (!retryable(error)) {
        throw new RollbotError(codeFor(error.status), `${error.message} (not retried)`, {
          hint,
          details: error.details,
          cause: error,
        });
      }
      const waitMs = backoffMs(attempt, error, retry);
      const elapsedMs = clock.now() - startedAt;
      if (elapsedMs + waitMs > retry.retryForMs) {
        throw new RollbotError(
          'UNAVAILABLE',
          `${error.message} (gave up after ${attempt} attempts over ${formatDuration(elapsedMs)})`,
          { hint, details: error.details, cause: error },
        );
      }
      await pause(waitMs, sleep, signal);
      continue;
    }
    if (response.status !== expectStatus) {
      throw new RollbotError(
        'UNAVAILABLE',
        `${call.what}: HTTP ${response.status}, expected ${expectStatus}`,
        { hint, details: { status: response.status } },
      );
    }
    return response;
  }
}

/** Sleeps `ms`, or less when `signal` aborts meanwhile (a shutdown must not wait out a 30 s backoff). */
async function pause(
  ms: number,
  sleep: (ms: number) => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!signal) return sleep(ms);
  if (signal.aborted) return;
  let onAbort = (): void => undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([sleep(ms), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Whether another attempt can deliver: no answer, throttling, a provider failure, or a 408 (the request timed out
 * before it was taken: a proxy's, an idle connection's). Safe to send again: the dedup key or alias joins a second
 * trigger to the first. A 409's transience is a serving layer's (a rollback in progress), not the providers'.
 */
function retryable(error: ServingError): boolean {
  if (!error.transient) return false;
  return error.status === undefined || error.status === 408 || error.status === 429 || error.status >= 500;
}

function codeFor(status: number | undefined): ErrorCode {
  if (status === 400 || status === 422) return 'BAD_REQUEST';
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  return 'UNAVAILABLE';
}
