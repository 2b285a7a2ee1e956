/**
 * How a failed Prometheus call becomes a RollbotError. Two outcomes only, because they ask for different
 * actions: `BAD_REQUEST` when the query itself is wrong (someone fixes the runbook) and `UNAVAILABLE` when
 * Prometheus could not answer (someone fixes the connection, the credentials or Prometheus). Every message
 * names the query (its `subject`), so that a failed check on the timeline and in the report says which one; a
 * check's capped row leaves it out (core/check-error.ts).
 */
import { RollbotError, type RollbotErrorOptions } from '../core/errors.js';
import { MAX_RANGE_STEPS } from './range-limit.js';

/** The longest query text quoted in a message; runbook queries can run to many lines. */
const QUERY_CHARS = 120;

export const HINT_REACH = 'check PROMETHEUS_URL and that Prometheus is reachable from rollbot';
export const HINT_PROMQL = 'fix the PromQL of this check in the runbook';
// Each hint starts with what to do: where a line is capped (a check's row in Slack) its start may be all that shows.
export const HINT_AUTH =
  'check PROMETHEUS_AUTHORIZATION, the full Authorization header value rollbot sends (e.g. "Bearer …"): ' +
  'Prometheus, or the proxy in front of it, refused the credentials';
const HINT_HEALTH = "check Prometheus' health and logs (/-/ready), then retry";
const HINT_SLOW =
  'make the query cheaper (shorter ranges, fewer series) or Prometheus less loaded: it gave up on the query';
const HINT_LIMITED =
  "raise the query limit for rollbot's tenant or user in Prometheus' query frontend (Mimir, Thanos, Cortex), or " +
  'give the runbooks fewer or cheaper checks: it refused the query as one too many';
const HINT_URL = 'check PROMETHEUS_URL: it must point at the Prometheus HTTP API, including any path prefix';

/** `errorType` values (web/api/v1/api.go) that mean the query is at fault rather than Prometheus. */
const QUERY_FAULTS = new Set(['bad_data', 'execution', 'not_acceptable']);
/** Statuses that, without an envelope, say the request did not reach the API's query handler: the URL is at fault. */
const NOT_THE_API = new Set([400, 404, 422]);
/** `errorType` values where Prometheus gave up on a query it could not finish in time. */
const SLOW = new Set(['timeout', 'canceled']);

/** What a Prometheus error envelope says, when the body was one. */
export interface ErrorEnvelope {
  errorType?: string | undefined;
  error?: string | undefined;
}

/** The query as quoted in messages: one line, at most ~120 characters. */
export function quoteQuery(promql: string): string {
  const line = promql.replace(/\s+/g, ' ').trim();
  return JSON.stringify(line.length > QUERY_CHARS ? `${line.slice(0, QUERY_CHARS - 1)}…` : line);
}

function failure(
  code: 'BAD_REQUEST' | 'UNAVAILABLE',
  promql: string,
  what: string,
  options: RollbotErrorOptions & { details?: Record<string, unknown> },
): RollbotError {
  return new RollbotError(code, what, {
    ...options,
    subject: `Prometheus query ${quoteQuery(promql)}`,
    details: { query: promql, ...options.details },
  });
}

/** The query ran but returned something a check cannot use (a range vector, a string, histograms). */
export function unusableResult(promql: string, what: string, hint: string): RollbotError {
  return failure('BAD_REQUEST', promql, what, { hint });
}

/** `16 MiB`: a byte limit as people read it. */
export function mebibytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MiB`;
}

/**
 * A successful answer over the most rollbot reads: an unaggregated query over many series. The query is at fault
 * (someone fixes the runbook), whatever Prometheus managed to send.
 */
export function answerTooLarge(promql: string, limit: number): RollbotError {
  return failure('BAD_REQUEST', promql, `it returned over ${mebibytes(limit)}, more than rollbot reads`, {
    hint:
      'aggregate the query (sum by, max, histogram_quantile …) so that it returns a few series: a check ' +
      'reduces them to one value per step anyway',
  });
}

/** A range query rollbot refuses before sending, because Prometheus would refuse it too. */
export function invalidRange(promql: string, what: string): RollbotError {
  return failure('BAD_REQUEST', promql, what, {
    hint:
      'use a positive step in whole milliseconds and end ≥ start, with at most ' +
      `${MAX_RANGE_STEPS.toLocaleString('en-US')} steps between them`,
  });
}

/** The answer is not the Prometheus JSON envelope or its `data` is not a result rollbot knows. */
export function notPrometheus(promql: string, status: number, why: string): RollbotError {
  return failure(
    'UNAVAILABLE',
    promql,
    `the answer (HTTP ${status}) is not from the Prometheus HTTP API: ${why}`,
    { hint: HINT_URL, details: { status } },
  );
}

/**
 * fetch rejected: no connection, DNS, TLS, reset, or our own timeout (`timedOut`: the abort signal fired, which
 * is checked rather than the error's name because fetch implementations wrap aborts differently).
 */
export function transportError(
  promql: string,
  error: unknown,
  context: { host: string; timeoutMs: number; timedOut: boolean },
): RollbotError {
  if (context.timedOut) {
    return failure('UNAVAILABLE', promql, `no answer from ${context.host} within ${context.timeoutMs}ms`, {
      // Our own clock ran out, so either the network or Prometheus is slow: both are worth checking.
      hint: `${HINT_REACH}; if it is, it is overloaded or the query is too expensive`,
      cause: error,
    });
  }
  return failure('UNAVAILABLE', promql, `cannot reach ${context.host}: ${reasonOf(error)}`, {
    hint: HINT_REACH,
    cause: error,
  });
}

/**
 * A non-2xx answer or an error envelope. Credentials come first (a proxy's 401 says nothing about the query),
 * then Prometheus' own `errorType`, then the HTTP status for answers without an envelope.
 */
export function answerError(
  promql: string,
  status: number,
  envelope: ErrorEnvelope | undefined,
  body: string,
): RollbotError {
  const { errorType, said, details } = whatItSaid(status, envelope, body);
  if (status === 401 || status === 403) {
    return failure('UNAVAILABLE', promql, `credentials refused (${said})`, { hint: HINT_AUTH, details });
  }
  // A rate limit (a query frontend's, whatever errorType it gives) says nothing about the query nor Prometheus' health.
  if (status === 429) {
    return failure('UNAVAILABLE', promql, `too many queries (${said})`, { hint: HINT_LIMITED, details });
  }
  const kind = classify(status, errorType, envelope !== undefined);
  if (kind === 'query') {
    return failure('BAD_REQUEST', promql, `Prometheus refused it (${said})`, { hint: HINT_PROMQL, details });
  }
  const hint =
    kind === 'slow' ? HINT_SLOW : envelope === undefined && NOT_THE_API.has(status) ? HINT_URL : HINT_HEALTH;
  return failure('UNAVAILABLE', promql, `Prometheus could not answer (${said})`, { hint, details });
}

/**
 * An error answer that came after fetch followed a redirect of PROMETHEUS_URL. A 301, 302 or 303 turns the POST
 * into a GET without its body, so Prometheus sees no query at all ("no expression found in input") and a
 * cross-origin redirect drops the Authorization header: the error would blame the runbook's PromQL or the
 * credentials when the URL is at fault. fetch does not say which redirect it was, so both fixes are named.
 */
export function redirectedAnswer(
  promql: string,
  status: number,
  envelope: ErrorEnvelope | undefined,
  body: string,
  location: string,
): RollbotError {
  const { said, details } = whatItSaid(status, envelope, body);
  return failure('UNAVAILABLE', promql, `PROMETHEUS_URL redirected to ${location}, which answered ${said}`, {
    hint:
      'set PROMETHEUS_URL to the address it redirects to: a 301, 302 or 303 redirect turns the query into a ' +
      'request without it, and one to another host drops the Authorization header; if it already does, ' +
      HINT_PROMQL,
    details: { ...details, redirectedTo: location },
  });
}

/** `HTTP 400 bad_data: <reason>`: what an error answer said, and its status and errorType for the details. */
function whatItSaid(status: number, envelope: ErrorEnvelope | undefined, body: string) {
  const errorType = envelope?.errorType;
  const reason = envelope?.error ?? snippet(body);
  const details = errorType === undefined ? { status } : { status, errorType };
  return {
    errorType,
    said: `HTTP ${status}${errorType === undefined ? '' : ` ${errorType}`}: ${reason}`,
    details,
  };
}

/**
 * Prometheus' own errorType decides when it is known; the HTTP status only when it is absent or new (look-alikes
 * such as VictoriaMetrics put the status there), and only in an envelope: Prometheus answers a query it refuses
 * with one, so a 400 or 422 without is a proxy's page (nginx's "plain HTTP request was sent to HTTPS port").
 */
function classify(
  status: number,
  errorType: string | undefined,
  enveloped: boolean,
): 'query' | 'slow' | 'down' {
  if (errorType !== undefined && QUERY_FAULTS.has(errorType)) return 'query';
  if (errorType !== undefined && SLOW.has(errorType)) return 'slow';
  if (errorType === 'unavailable' || errorType === 'internal') return 'down';
  return enveloped && (status === 400 || status === 422) ? 'query' : 'down';
}

/** The most telling part of a fetch failure: undici hides the socket error (ECONNREFUSED, ENOTFOUND) in `cause`. */
function reasonOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    parts.push(
      typeof code === 'string' && !current.message.includes(code)
        ? `${current.message} (${code})`
        : current.message,
    );
    current = current.cause;
  }
  return parts.length === 0 ? String(error) : parts.join(': ');
}

/** The start of a body that is not an envelope (an HTML error page, a proxy's text), on one line. */
function snippet(body: string): string {
  const line = body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (line === '') return 'empty body';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
