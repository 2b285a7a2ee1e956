/**
 * One error type for the whole bot: a stable code (for HTTP statuses, Slack messages and tests), a message
 * that says what is wrong, and a hint that says what to do about it. Surfaces map codes to their own
 * responses in one place each (http/errors.ts, cli.ts).
 */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'UNKNOWN_MODEL',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'ILLEGAL_TRANSITION',
  'CONFLICT',
  'LOCKED',
  'INVALID_CONFIG',
  'INVALID_RUNBOOK',
  'SERVING_FAILED',
  'UNAVAILABLE',
  /** A fault of the bot (an unexpected exception), not of the request nor of what it depends on. */
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface RollbotErrorOptions {
  hint?: string;
  details?: unknown;
  cause?: unknown;
  /**
   * What the error is about, put before the message: `Prometheus query "…": <message>`. A line that names it its
   * own way (a check's row names the check) shows `problem`, the message without it.
   */
  subject?: string;
}

export class RollbotError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: unknown;
  /** What went wrong: the message without its `subject`, the message itself when it has none. */
  readonly problem: string;

  constructor(code: ErrorCode, message: string, options: RollbotErrorOptions = {}) {
    const { subject } = options;
    super(
      subject === undefined ? message : `${subject}: ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'RollbotError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
    this.problem = message;
  }
}

/**
 * `message (hint)`: what went wrong and what to do about it, on one line of a record or a message; the message
 * alone without a hint. The one way rollbot puts the two together where they share a line.
 */
export function withHint(message: string, hint: string | undefined): string {
  return hint ? `${message} (${hint})` : message;
}

/** A caught error for people: a RollbotError's message with its hint (`withHint`), any other error's message. */
export function errorText(error: unknown): string {
  if (error instanceof RollbotError) return withHint(error.message, error.hint);
  return error instanceof Error ? error.message : String(error);
}

/** True when `error` is a RollbotError, optionally with the given code. */
export function isRollbotError(error: unknown, code?: ErrorCode): error is RollbotError {
  return error instanceof RollbotError && (code === undefined || error.code === code);
}

/**
 * A serving layer refused or failed a call. `transient` errors (5xx, timeouts, 409 conflicts from an update in
 * flight, throttling) are retried with backoff inside the rollback target; the others (wrong name, forbidden,
 * invalid request) are reported at once, with what to check in `hint`.
 */
export class ServingError extends RollbotError {
  readonly transient: boolean;
  readonly status: number | undefined;
  /**
   * The call failed in a way that leaves unknown whether the layer acted on it (a timeout or a reset after it was
   * sent, a 5xx that can come after the work was done). Sending it again is safe only if it is idempotent or
   * the layer can be read first: see `unlessRepeatable` (serving/universal.ts).
   */
  readonly effectUnknown: boolean;

  constructor(
    message: string,
    options: RollbotErrorOptions & { transient: boolean; status?: number; effectUnknown?: boolean },
  ) {
    super('SERVING_FAILED', message, options);
    this.name = 'ServingError';
    this.transient = options.transient;
    this.status = options.status;
    this.effectUnknown = options.effectUnknown ?? false;
  }
}
