import { isUtf8 } from 'node:buffer';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { RollbotError } from '../core/errors.js';

/** Requests larger than this are refused with 413: no alert or API body needs more. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What to do about a 413 on an alert route: the sender batches alerts. */
const ALERT_BODY_FIX = 'send fewer alerts per request (Alertmanager: set max_alerts on the webhook receiver)';

/** What to do about a 413 on an API write: only a deployment's spec is ever meant to be big. */
const API_BODY_FIX =
  "send a smaller body: a deployment's spec as deployed, without its status or managed fields; " +
  'a note of at most 3,000 characters';

/** Bodies read before their route, by readApiBody: the route's readJson takes the same bytes. */
const readAhead = new WeakMap<IncomingMessage, Buffer>();

/**
 * An API write's body read before its route runs (idempotency.ts compares it with a retry's), with the API's limit;
 * the route's readJson then takes these bytes instead of the spent stream.
 */
export async function readApiBody(req: IncomingMessage): Promise<Buffer> {
  const body = await readBody(req, MAX_BODY_BYTES, API_BODY_FIX);
  readAhead.set(req, body);
  return body;
}

/**
 * Reads the whole body, refusing (413) as soon as it exceeds `limit`, before buffering the rest; `fix` is the
 * refusal's hint, in the terms of the route's callers.
 */
export async function readBody(
  req: IncomingMessage,
  limit = MAX_BODY_BYTES,
  fix = ALERT_BODY_FIX,
): Promise<Buffer> {
  const ahead = readAhead.get(req);
  if (ahead) return ahead;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit, fix);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit, fix);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number, fix: string): RollbotError {
  return new RollbotError('PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`, { hint: fix });
}

/** Parses an API write's JSON body, insisting on a JSON content type. */
export async function readJson(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  return parseJson(await readJsonBody(req, limit, API_BODY_FIX));
}

/** The bytes of a JSON request body, not yet parsed: UNSUPPORTED_MEDIA_TYPE for another content type. */
export async function readJsonBody(
  req: IncomingMessage,
  limit = MAX_BODY_BYTES,
  fix = ALERT_BODY_FIX,
): Promise<Buffer> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new RollbotError(
      'UNSUPPORTED_MEDIA_TYPE',
      `expected content-type application/json, got "${type || 'none'}"`,
      {
        hint: 'send the body as JSON with the header Content-Type: application/json',
      },
    );
  }
  // A compressed body read as it is would be refused as "not UTF-8", which does not say what to change.
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new RollbotError(
      'UNSUPPORTED_MEDIA_TYPE',
      `content-encoding "${encoding.slice(0, 40)}" is not supported`,
      {
        hint: 'send the body uncompressed (no Content-Encoding header, or identity)',
      },
    );
  }
  return readBody(req, limit, fix);
}

/**
 * A body read by readJsonBody, parsed: BAD_REQUEST saying why it is not JSON, or not UTF-8. A leading UTF-8 byte
 * order mark (a file saved by a Windows editor, sent with `curl --data-binary @file`) is skipped, as RFC 8259 §8.1
 * allows: refused, the answer named an invisible token.
 */
export function parseJson(body: Buffer): unknown {
  // Decoding replaces bytes that are not UTF-8 with U+FFFD: a Latin-1 "café" would be stored as "caf\uFFFD", its
  // label no longer matching a runbook and its fingerprint another alert's, with nobody told.
  if (!isUtf8(body)) {
    throw new RollbotError(
      'BAD_REQUEST',
      'body is not UTF-8 text: JSON must be sent as UTF-8 (RFC 8259 §8.1)',
      {
        hint: 're-encode the body as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8) and send it again; nothing was stored',
      },
    );
  }
  const text = body.toString('utf8');
  try {
    return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text) as unknown;
  } catch (error) {
    throw new RollbotError('BAD_REQUEST', `body is not valid JSON: ${parseFailure(error as Error)}`, {
      hint: 'check the payload with a JSON linter; nothing was stored',
    });
  }
}

/**
 * JSON.parse's reason, without the excerpt of the body it quotes for some errors (`Unexpected token 'x',
 * ..."{"token": xoxb-…"... is not valid JSON`): the message is logged and answered, and a body may carry a
 * credential. The excerpt is the raw text, its quotes and line breaks unescaped, with "..." on either side when cut:
 * everything from the comma after the token to the end goes.
 */
function parseFailure(error: Error): string {
  return error.message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '');
}

/**
 * Checks `Authorization: Bearer <token>` in constant time. Both sides are hashed first so that neither the
 * token's content nor its length leaks through timing.
 */
export function hasBearer(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return timingSafeEqual(sha256(match?.[1]?.trim() ?? ''), digestOf(token)) && match !== null;
}

/** The configured tokens' digests, hashed once rather than on every request of an alert storm. */
const tokenDigests = new Map<string, Buffer>();

function digestOf(token: string): Buffer {
  let digest = tokenDigests.get(token);
  if (digest === undefined) {
    digest = sha256(token);
    tokenDigests.set(token, digest);
  }
  return digest;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
