/**
 * Paging: who gets woken up, through PagerDuty or Opsgenie. The types, and the one delivery loop both
 * providers share (bounded retries of throttling and provider failures, clear errors for the rest).
 */
import { RollbotError, ServingError, type ErrorCode } from '../core/errors.js';
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

/** A paging provider. `send` rejects with a RollbotError when the provider did not take the page. */
export interface Pager {
  send(page: Page): Promise<void>;
}

/** Retry settings shared by the providers. */
export interface DeliveryOptions {
  /** Retries after the first attempt for 429, 5xx and network errors (default 3). */
  retries?: number;
  /** First backoff, doubled each retry (default 1000ms); a Retry-After wins, capped at 10s. */
  baseMs?: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

const MAX_WAIT_MS = 10_000;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends one provider call, retrying transient failures (429, 5xx, timeouts, network errors) a bounded number
 * of times. Throws a RollbotError: `UNAVAILABLE` once retries are exhausted, or the status's code (400 →
 * `BAD_REQUEST`, …) at once for a refusal, with the provider's reason in the message and `hint`.
 */
export async function deliver(
  call: JsonRequest,
  expectStatus: number,
  hint: string,
  options: DeliveryOptions = {},
): Promise<JsonResponse> {
  const retries = options.retries ?? 3;
  const baseMs = options.baseMs ?? 1_000;
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
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
      if (attempt > retries) {
        throw new RollbotError('UNAVAILABLE', `${error.message} (gave up after ${attempt} attempts)`, {
          hint,
          details: error.details,
          cause: error,
        });
      }
      await sleep(Math.min(MAX_WAIT_MS, Math.max(baseMs * 2 ** (attempt - 1), retryAfterMs(error))));
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

function retryable(error: ServingError): boolean {
  if (!error.transient) return false;
  return error.status === undefined || error.status === 429 || error.status >= 500;
}

function codeFor(status: number | undefined): ErrorCode {
  if (status === 400 || status === 422) return 'BAD_REQUEST';
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  return 'UNAVAILABLE';
}

function retryAfterMs(error: ServingError): number {
  const details = error.details as { retryAfter?: unknown } | undefined;
  const seconds = Number(details?.retryAfter);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1_000 : 0;
}
