import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';

/**
 * A delivery problem the notifier found itself (unknown channel, private channel it cannot join, store
 * unreachable), with a stable `reason` for counters and a `hint` that says what a person should do.
 */
export class DeliveryError extends Error {
  readonly reason: string;
  readonly hint: string | undefined;
  readonly transient: boolean;

  constructor(
    reason: string,
    message: string,
    options: { hint?: string; transient?: boolean; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryError';
    this.reason = reason;
    this.hint = options.hint;
    this.transient = options.transient ?? false;
  }
}

/** What the queue does with a failed send. */
export type Failure =
  /** Slack answered 429: wait `retryAfterMs`, then try again; not counted as an attempt. */
  | { type: 'rate-limited'; retryAfterMs: number; reason: string }
  /** Network, timeout, 5xx, Slack-side hiccup: retry with backoff up to the bound. */
  | { type: 'transient'; reason: string; message: string }
  /** Retrying cannot help (bad channel, missing scope, a bug): drop and record. */
  | { type: 'permanent'; reason: string; message: string; hint?: string };

/** Platform errors (`ok: false`) that are Slack's own trouble, so worth another try. */
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);

/**
 * How web-api reports a 429 whose Retry-After is missing or not a number of seconds (a proxy or gateway in front
 * of Slack often sends none): a plain Error, with no class or code to tell it by but this message.
 */
const RATE_LIMITED_WITHOUT_RETRY_AFTER = /^Retry header did not contain a valid timeout/;
/** The wait after such a 429: Slack's own Retry-After for chat methods is seconds to tens of seconds. */
export const DEFAULT_RETRY_AFTER_MS = 10_000;

/** The Slack error code of an `ok: false` answer (`not_in_channel`, …), if that is what `error` is. */
export function platformErrorCode(error: unknown): string | undefined {
  return error instanceof WebAPIPlatformError ? error.data.error : undefined;
}

/** What went wrong, for a person: Slack's error code when it gave one (`expired_trigger_id`), else the message. */
export function slackErrorText(error: unknown): string {
  return platformErrorCode(error) ?? (error instanceof Error ? error.message : String(error));
}

/** Sorts any error thrown by a send into rate-limited, transient or permanent. */
export function classifyFailure(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof WebAPIRateLimitedError) {
    return {
      type: 'rate-limited',
      retryAfterMs: Math.max(0, error.retryAfter) * 1000,
      reason: 'rate_limited',
    };
  }
  if (error instanceof Error && RATE_LIMITED_WITHOUT_RETRY_AFTER.test(error.message)) {
    // Still "too fast": wait and try again. Taken for a bug, it dropped the message at once.
    return { type: 'rate-limited', retryAfterMs: DEFAULT_RETRY_AFTER_MS, reason: 'rate_limited' };
  }
  if (error instanceof DeliveryError) {
    if (error.transient) return { type: 'transient', reason: error.reason, message };
    return error.hint === undefined
      ? { type: 'permanent', reason: error.reason, message }
      : { type: 'permanent', reason: error.reason, message, hint: error.hint };
  }
  if (error instanceof WebAPIRequestError) return { type: 'transient', reason: 'network', message };
  if (error instanceof WebAPIHTTPError) {
    // Slack's Web API only uses 200 and 429; anything 5xx (or 408) is Slack or a proxy having a bad minute.
    const transient = error.statusCode >= 500 || error.statusCode === 408;
    const reason = `http_${error.statusCode}`;
    return transient ? { type: 'transient', reason, message } : { type: 'permanent', reason, message };
  }
  const code = platformErrorCode(error);
  if (code !== undefined) {
    return TRANSIENT_PLATFORM_ERRORS.has(code)
      ? { type: 'transient', reason: code, message }
      : { type: 'permanent', reason: code, message };
  }
  // Anything else is our own bug (a renderer that throws, …): retrying would throw again.
  return { type: 'permanent', reason: 'error', message };
}
