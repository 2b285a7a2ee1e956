/**
 * What the bot at ROLLBOT_URL answers when it refuses, or what answers there instead of it, as the CLI's errors:
 * the bot's own code, message and hint where it sent them, the fix in the CLI's terms where it differs.
 */
import { ERROR_CODES, RollbotError, type ErrorCode } from '../core/errors.js';
import { WRITE_API_DISABLED } from '../http/api-writes.js';
import { apiUrl, healthCheck } from './bot-url.js';

/**
 * The bot's token refusals in the CLI's terms. The bot's hints are for a client that builds its own request ("send
 * Authorization: Bearer <API_TOKEN>"); the CLI sends API_TOKEN from its environment, so the fix is there. A bot
 * without API_TOKEN takes no writes from anyone: its refusal is not the person's, so it is not FORBIDDEN here
 * (dismiss and gate would advise acting as someone else with --as).
 */
export function forTheCli(error: RollbotError, baseUrl: string, apiToken: string | undefined): RollbotError {
  if (error.code === 'UNAUTHORIZED') {
    const hint = apiToken
      ? `API_TOKEN here is not the one the bot at ${baseUrl} runs with: set it to the bot's API_TOKEN`
      : `API_TOKEN is not set here: set it to the API_TOKEN the bot at ${baseUrl} runs with (the CLI sends it as its bearer token)`;
    return new RollbotError('UNAUTHORIZED', error.message, { hint, cause: error });
  }
  if (error.code === 'FORBIDDEN' && error.message === WRITE_API_DISABLED) {
    return new RollbotError('UNAVAILABLE', error.message, {
      hint: `the bot at ${baseUrl} runs without API_TOKEN, so it takes no writes: start it with API_TOKEN set, and set the same API_TOKEN here`,
      cause: error,
    });
  }
  // The bot's own 404 for a path it has no route for (http/router.ts): its hint (README's routes) is for one who builds the request;
  // the CLI built it from ROLLBOT_URL, whose path is then the likely slip.
  if (error.code === 'NOT_FOUND' && error.message.startsWith('no route ')) {
    return new RollbotError('NOT_FOUND', error.message, {
      hint: `the bot at ${baseUrl} has no such route: the path of ROLLBOT_URL is likely wrong (check that ${healthCheck(baseUrl)}), or that bot is older than this CLI`,
      cause: error,
    });
  }
  return error;
}

/** The `error` of the bot's `{error: {code, message, hint}}`, as it arrives: to be checked before use. */
export interface BotError {
  code?: unknown;
  message?: unknown;
  hint?: unknown;
}

/** The bot's `{error: {code, message, hint}}` as the same error here; any other body is not from rollbot. */
export async function apiError(response: Response, baseUrl: string): Promise<RollbotError> {
  const text = await response.text().catch(() => '');
  let error: BotError | undefined;
  try {
    error = (JSON.parse(text) as { error?: BotError } | null)?.error;
  } catch {
    // Not JSON: a proxy's or another server's error page.
  }
  return (error && fromBotError(error)) ?? notRollbot(response, baseUrl);
}

/**
 * The bot's error as the same error here, keeping its code so that "no such incident" stays NOT_FOUND on this
 * side too; undefined when it has no message (then it is not rollbot's).
 */
export function fromBotError(error: BotError): RollbotError | undefined {
  if (typeof error.message !== 'string') return undefined;
  const code = ERROR_CODES.find((known): known is ErrorCode => known === error.code) ?? 'UNAVAILABLE';
  return new RollbotError(code, error.message, typeof error.hint === 'string' ? { hint: error.hint } : {});
}

/**
 * A redirect at ROLLBOT_URL (http to https, a moved host, a login page), which the CLI does not follow: fetch drops
 * the bearer token on the way to another origin, and the bot there would say that API_TOKEN is wrong; a 301 or 302
 * would also turn a rollback's POST into a GET. `path` is what was asked for under ROLLBOT_URL: where the redirect
 * keeps it, the rest of its address is the bot's.
 */
export function redirected(response: Response, baseUrl: string, path: string): RollbotError {
  const requested = apiUrl(baseUrl, path);
  const location = response.headers.get('location');
  let target: string | undefined;
  try {
    target = location === null ? undefined : new URL(location, requested).href;
  } catch {
    target = location ?? undefined;
  }
  const rest = path.replace(/^\/+/, '');
  const bot = target?.endsWith(rest) ? target.slice(0, -rest.length).replace(/\/$/, '') : undefined;
  return new RollbotError(
    'UNAVAILABLE',
    `${baseUrl} answered ${response.status} ${response.statusText} ${target === undefined ? 'without a location' : `to ${target}`}, which the CLI does not follow (API_TOKEN would not go with it)`,
    {
      hint: bot
        ? `set ROLLBOT_URL to the address the bot answers at itself: ${bot}`
        : `set ROLLBOT_URL to the address the bot answers at itself, not a login page or a redirect: one where GET …/healthz answers {"ok":true}`,
    },
  );
}

/** The fields of an answer the CLI reads, each with its kind: `{ incidents: 'array' }`. */
export type Shape = Readonly<Record<string, 'array' | 'object' | 'string'>>;

/**
 * Parses a body the bot sent as a JSON object with the fields `shape` names; anything else came from something
 * that is not the bot. Another service at ROLLBOT_URL may answer JSON too (`{"status":"ok"}`, `null`): without the
 * fields the CLI reads it would fail on reading them, with a TypeError and its stack instead of the fix.
 */
export function parseJson<T>(text: string, response: Response, baseUrl: string, shape: Shape = {}): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw notRollbot(response, baseUrl);
  }
  if (!hasShape(value, shape)) throw notRollbot(response, baseUrl);
  return value as T;
}

function hasShape(value: unknown, shape: Shape): boolean {
  if (!isObject(value)) return false;
  return Object.entries(shape).every(([field, kind]) => {
    const got = value[field];
    if (kind === 'array') return Array.isArray(got);
    return kind === 'object' ? isObject(got) : typeof got === kind;
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A proxy's error page or another server at ROLLBOT_URL: say so, rather than fail on parsing it. */
function notRollbot(response: Response, baseUrl: string): RollbotError {
  return new RollbotError(
    'UNAVAILABLE',
    `${baseUrl} answered ${response.status} ${response.statusText}, not with rollbot's JSON`,
    {
      hint: `a proxy in front of the bot may be failing, or ROLLBOT_URL points elsewhere: check that ${healthCheck(baseUrl)}`,
    },
  );
}
