/**
 * `Idempotency-Key` on the API's writes (draft-ietf-httpapi-idempotency-key-header): a write retried with the same
 * key — a CI job whose connection broke after it sent, a script's retry loop — is done once. The retry is answered
 * with the first answer again (`Idempotent-Replayed: true`) instead of rolling back a second time, one version
 * further, or recording a deployment or a note twice.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RollbotError, isRollbotError } from '../core/errors.js';
import type { EngineDeps } from '../engine/context.js';
import { readApiBody } from './request.js';
import type { Handler } from './router.js';

/** How long a key is remembered: a day covers any CI retry, and a replay after that would be a surprise. */
const KEY_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_KEY_LENGTH = 255;
const HINT =
  'send a new Idempotency-Key for each request, and the same one only when retrying that request as it was';

/** What a key holds: the request it was first given for, and once answered, that answer. */
interface Held {
  request: string;
  answer?: { status: number; type: string; body: string };
}

/**
 * `handler` done once per Idempotency-Key. Only an answer the handler gave is kept (a 2xx, a failed rollback's
 * 502): a refusal of rollbot's (thrown: bad input, a lock held, 403) changed nothing, so its key is given back for
 * the request to be sent again, corrected or later. A key in use for another request, or still being answered, is
 * 409.
 */
export function idempotent(deps: Pick<EngineDeps, 'store' | 'logger'>, handler: Handler): Handler {
  return async (req, res, params) => {
    const key = keyOf(req);
    if (key === undefined) return handler(req, res, params);
    const body = await readApiBody(req);
    const request = requestPrint(req, body);
    const storeKey = `api-idempotency:${createHash('sha256').update(key).digest('hex')}`;
    const pending = JSON.stringify({ request } satisfies Held);
    if (!(await deps.store.compareAndSetValue(storeKey, undefined, pending, KEY_TTL_MS))) {
      const held = await deps.store.getValue(storeKey);
      if (held === undefined) return idempotent(deps, handler)(req, res, params);
      replay(res, key, request, JSON.parse(held) as Held);
      return;
    }
    const answer = capture(res);
    try {
      await handler(req, res, params);
    } catch (error) {
      // Another fault (the store failing half-way) may have done part of the work: the key stays taken, and a retry
      // is told to look rather than run again.
      if (isRollbotError(error)) await deps.store.takeValueIfHeld(storeKey, pending).catch(() => false);
      throw error;
    }
    const done: Held = {
      request,
      answer: { status: res.statusCode, type: String(res.getHeader('content-type') ?? ''), body: answer() },
    };
    // Answered already: a store that fails now leaves the key pending, so a retry is told to look, not run again.
    await deps.store.setValue(storeKey, JSON.stringify(done), KEY_TTL_MS).catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'the answer to an Idempotency-Key was not kept');
    });
  };
}

/** The key, or undefined without one; 400 for one that is blank or too long to be a key. */
function keyOf(req: IncomingMessage): string | undefined {
  const header = req.headers['idempotency-key'];
  if (header === undefined) return undefined;
  const key = (Array.isArray(header) ? header.join(',') : header).trim();
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new RollbotError(
      'BAD_REQUEST',
      `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters, got ${key.length}; nothing was done`,
      { hint: 'send a unique value per request, such as a UUID, or leave the header out' },
    );
  }
  return key;
}

/** The request a key was given for: method, path and body, so that a key reused for another one is caught. */
function requestPrint(req: IncomingMessage, body: Buffer): string {
  const target = `${req.method ?? 'POST'} ${new URL(req.url ?? '/', 'http://rollbot').pathname}`;
  return `${target} ${createHash('sha256').update(body).digest('hex')}`;
}

function replay(res: ServerResponse, key: string, request: string, held: Held): void {
  if (held.request !== request) {
    const target = request.split(' ').slice(0, 2).join(' ');
    const same = held.request.startsWith(`${target} `);
    throw new RollbotError(
      'CONFLICT',
      `the Idempotency-Key "${key.slice(0, 100)}" was used for another request (${same ? `${target} with another body` : held.request.split(' ').slice(0, 2).join(' ')})`,
      { hint: HINT },
    );
  }
  if (!held.answer) {
    throw new RollbotError(
      'CONFLICT',
      `a request with the Idempotency-Key "${key.slice(0, 100)}" is still being answered (or the bot stopped while answering it)`,
      {
        hint: `wait for its answer; if it never came, look at what it did (GET /api/incidents, GET /api/gate/<model>) before sending the request again with a new key`,
      },
    );
  }
  res.statusCode = held.answer.status;
  if (held.answer.type) res.setHeader('content-type', held.answer.type);
  res.setHeader('idempotent-replayed', 'true');
  res.setHeader('content-length', Buffer.byteLength(held.answer.body));
  res.end(held.answer.body);
}

/** Records what the handler writes to `res` (a JSON answer, or a stream's lines), as it goes out. */
function capture(res: ServerResponse): () => string {
  const chunks: Buffer[] = [];
  const keep = (chunk: unknown) => {
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk);
    return write(chunk, ...rest);
  }) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') keep(chunk);
    return end(chunk, ...rest);
  }) as typeof res.end;
  return () => Buffer.concat(chunks).toString('utf8');
}
