import type { ServerResponse } from 'node:http';
import { RollbotError, isRollbotError, type ErrorCode } from '../core/errors.js';

/** The one place that decides which HTTP status each error code gets. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  UNKNOWN_MODEL: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  ILLEGAL_TRANSITION: 409,
  CONFLICT: 409,
  LOCKED: 409,
  INVALID_CONFIG: 500,
  INVALID_RUNBOOK: 500,
  SERVING_FAILED: 502,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/**
 * Seconds a caller should wait before retrying, for codes that mean "not now" rather than "no". Senders that
 * retry 5xx (Alertmanager, Grafana) come back instead of dropping what they sent.
 */
export const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  UNAVAILABLE: 2,
};

/** A known path asked with a method it does not answer; `allow` is what it does answer, for the Allow header. */
export class MethodNotAllowedError extends RollbotError {
  readonly allow: readonly string[];

  constructor(method: string, path: string, allow: readonly string[]) {
    super('METHOD_NOT_ALLOWED', `${method} is not supported on ${path}`, {
      hint: `use ${allow.join(' or ')}`,
    });
    this.name = 'MethodNotAllowedError';
    this.allow = allow;
  }
}

/** A request without the bearer token a route needs; `challenge` is the WWW-Authenticate value naming the scheme. */
export class UnauthorizedError extends RollbotError {
  readonly challenge: string;

  constructor(message: string, hint: string, challenge: string) {
    super('UNAUTHORIZED', message, { hint });
    this.name = 'UnauthorizedError';
    this.challenge = challenge;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/** The content type of a streamed answer: one JSON document per line (a rollback's steps as they happen). */
export const NDJSON = 'application/x-ndjson; charset=utf-8';

/**
 * Answers with `{error: {code, message, hint, details}}`. Errors that are not ours are a 500 INTERNAL with a
 * generic message: the details go to the log, never to the caller. (A store that does not answer is told apart
 * before, as UNAVAILABLE: app.ts.)
 */
export function sendError(res: ServerResponse, error: unknown): void {
  const known: RollbotError = isRollbotError(error)
    ? error
    : new RollbotError('INTERNAL', 'internal error; the request was not completed', {
        hint: 'retry; if it persists, the bot log has the cause',
      });
  const status = HTTP_STATUS[known.code];
  if (res.headersSent) {
    // A stream under way has committed its 200: a refusal of ours (a rollback refused after reading the layer)
    // becomes its last line, so the caller learns why. Anything else only ends it: the caller cannot tell what
    // happened, and says so, rather than be told to retry something that may have run.
    const streaming = res.getHeader('content-type') === NDJSON;
    res.end(streaming && isRollbotError(error) ? `${JSON.stringify(errorBody(known))}\n` : undefined);
    return;
  }
  // The unread rest of an oversized body must not be drained: closing the connection stops the sender.
  if (known.code === 'PAYLOAD_TOO_LARGE') res.setHeader('connection', 'close');
  // RFC 9110 §15.5.6: a 405 must say which methods the path does answer.
  if (known instanceof MethodNotAllowedError) res.setHeader('allow', known.allow.join(', '));
  // RFC 9110 §11.6.1: a 401 must say which scheme would be accepted.
  if (known instanceof UnauthorizedError) res.setHeader('www-authenticate', known.challenge);
  const retryAfter = RETRY_AFTER_SECONDS[known.code];
  if (retryAfter !== undefined) res.setHeader('retry-after', retryAfter);
  sendJson(res, status, errorBody(known));
}

function errorBody(error: RollbotError) {
  return { error: { code: error.code, message: error.message, hint: error.hint, details: error.details } };
}
