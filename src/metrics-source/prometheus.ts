/**
 * The MetricsSource for Prometheus and anything that speaks its HTTP API (Thanos, Mimir, VictoriaMetrics,
 * Amazon Managed Prometheus behind a signing proxy). Queries go out as form-encoded POSTs, because triage
 * queries can outgrow a URL, and every answer is checked against the API's JSON shapes before a check sees it.
 */
import { z } from 'zod';
import { RollbotError } from '../core/errors.js';
import type { MetricsSource } from '../engine/metrics-port.js';
import {
  answerError,
  answerTooLarge,
  invalidRange,
  mebibytes,
  notPrometheus,
  redirectedAnswer,
  transportError,
} from './errors.js';
import {
  evaluatedAt,
  instantSamples,
  rangeSeries,
  resultData,
  type ResultData,
} from './prometheus-results.js';
import { MAX_RANGE_STEPS, stepsOverLimit } from './range-limit.js';

/** How long one call may take, body included, unless the caller says otherwise. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The most of one answer rollbot reads. Read whole, an unaggregated query over thousands of series could take
 * hundreds of MB, and the bot's heap (384 MB in the image) with it: a crash at every retry of the triage. A check
 * reduces its series to one value per step, so an aggregated query's answer is far smaller: 11,001 points of one
 * series are ~300 kB.
 */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface PrometheusSourceOptions {
  /** Base URL of the HTTP API, with any path prefix: `http://prometheus:9090`, `http://thanos:9090/prometheus/`. */
  url: string;
  /** Per call, reading the body included. Default 10 s. */
  timeoutMs?: number;
  /** A full Authorization header value, sent as is: `Bearer …`, `Basic …`. Absent: no header. */
  authorization?: string;
  /** Defaults to the global fetch; injectable for tests and custom transports. */
  fetch?: typeof fetch;
}

const envelope = z.object({
  status: z.enum(['success', 'error']),
  data: z.unknown().optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
  // Read only from a successful answer (`answerWarnings`): a malformed one must not hide an error envelope.
  warnings: z.unknown().optional(),
  // `infos` (Prometheus ≥ 2.52) are left out on purpose: "potential query issues that may or may not be false
  // positives" (e.g. "metric might not be a counter"), raised on every run of such a query. They say nothing
  // about the data being partial, and holding every verdict on them would stop confirmation for good.
});

/** `null` is Go's nil slice from a server without `omitempty`: no warnings. */
const warningList = z.array(z.string()).nullable().optional();

/**
 * A MetricsSource over the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`). Throws
 * INVALID_CONFIG for a URL it cannot use; the returned source rejects with RollbotErrors (`BAD_REQUEST`,
 * `UNAVAILABLE`) that name the query.
 */
export function createPrometheusSource(options: PrometheusSourceOptions): MetricsSource {
  const base = baseUrl(options.url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const send = options.fetch ?? fetch;
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded',
  };
  if (options.authorization !== undefined) headers.authorization = options.authorization;

  async function call(
    endpoint: string,
    promql: string,
    params: Record<string, string>,
  ): Promise<{ data: ResultData; warnings: string[]; status: number }> {
    const signal = AbortSignal.timeout(timeoutMs);
    let status: number;
    let text: string | undefined;
    let redirectedTo: string | undefined;
    try {
      const response = await send(new URL(`api/v1/${endpoint}`, base), {
        method: 'POST',
        headers,
        // Prometheus' own `timeout` as well: it stops evaluating a query rollbot has given up on.
        body: new URLSearchParams({ query: promql, ...params, timeout: step(timeoutMs) }).toString(),
        signal,
      });
      status = response.status;
      if (response.redirected) redirectedTo = response.url;
      // Under the same signal: a server that sends headers and then stalls times out too.
      text = await readAtMost(response, MAX_ANSWER_BYTES);
    } catch (error) {
      throw transportError(promql, error, { host: base.host, timeoutMs, timedOut: signal.aborted });
    }
    if (text === undefined) {
      if (status >= 200 && status <= 299) throw answerTooLarge(promql, MAX_ANSWER_BYTES);
      text = `an answer of over ${mebibytes(MAX_ANSWER_BYTES)}, not read`;
    }
    const answer = envelope.safeParse(parseJson(text));
    const failed = answer.success && answer.data.status === 'error' ? answer.data : undefined;
    if (failed || status < 200 || status > 299) {
      throw redirectedTo === undefined
        ? answerError(promql, status, failed, text)
        : redirectedAnswer(promql, status, failed, text, redirectedTo);
    }
    if (!answer.success) throw notPrometheus(promql, status, 'the body is not the JSON envelope');
    const data = resultData.safeParse(answer.data.data);
    if (!data.success) throw notPrometheus(promql, status, oneLine(data.error));
    const warnings = warningList.safeParse(answer.data.warnings);
    if (!warnings.success) {
      throw notPrometheus(
        promql,
        status,
        `its warnings are not a list of strings (${oneLine(warnings.error)})`,
      );
    }
    return { data: data.data, warnings: warnings.data ?? [], status };
  }

  return {
    async query(promql, at) {
      // Without `at`, Prometheus' own clock decides "now", so clock skew cannot put the query in its future.
      const { data, warnings } = await call('query', promql, at === undefined ? {} : { time: seconds(at) });
      return { samples: instantSamples(promql, data), warnings };
    },
    async range(promql, start, end, stepMs) {
      checkRange(promql, start, end, stepMs);
      const params = { start: seconds(start), end: seconds(end), step: step(stepMs) };
      const { data, warnings } = await call('query_range', promql, params);
      return { series: rangeSeries(promql, data), warnings };
    },
    async now() {
      // Sent without `time`, so Prometheus evaluates it at its own "now": the moment the answer is stamped with.
      const { data, status } = await call('query', TIME, {});
      const at = evaluatedAt(data);
      if (at === undefined)
        throw notPrometheus(TIME, status, `no evaluation time in its ${data.resultType} answer`);
      return at;
    },
  };
}

/** The cheapest query there is: a scalar computed from nothing but the evaluation time. */
const TIME = 'time()';

/** Refuses what Prometheus would refuse with a less specific message, without a round trip. */
function checkRange(promql: string, start: number, end: number, stepMs: number): void {
  if (![start, end, stepMs].every(Number.isFinite))
    throw invalidRange(promql, 'start, end and step must be numbers');
  if (stepMs <= 0) throw invalidRange(promql, `step ${stepMs}ms is not positive`);
  if (!Number.isInteger(stepMs)) throw invalidRange(promql, `step ${stepMs}ms is not whole milliseconds`);
  if (end < start) throw invalidRange(promql, 'end is before start');
  const steps = stepsOverLimit(end - start, stepMs);
  if (steps !== undefined) {
    const limit = MAX_RANGE_STEPS.toLocaleString('en-US');
    throw invalidRange(
      promql,
      `${steps} steps of ${stepMs}ms (${steps + 1} points per series) exceed Prometheus' limit of ${limit} steps`,
    );
  }
}

/** Epoch ms → the API's unix seconds, fractional: 1795311891520 → "1795311891.52". */
function seconds(ms: number): string {
  return String(ms / 1000);
}

/**
 * A step in Prometheus' duration format: 4100 → "4100ms". Not as float seconds: Prometheus turns "4.1" into
 * 4.1 × 1e9 ns truncated (4.099999999 s), then whole ms (4099), so the points would fall off rollbot's 4.1 s grid
 * and triage would read all but the newest step as no data.
 */
function step(ms: number): string {
  return `${ms}ms`;
}

/** The API root as a directory URL, so that `api/v1/…` resolves below any path prefix. */
function baseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RollbotError('INVALID_CONFIG', `Prometheus URL ${JSON.stringify(url)} is not a URL`, {
      hint: 'set PROMETHEUS_URL to e.g. http://prometheus:9090',
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RollbotError('INVALID_CONFIG', `Prometheus URL must be http(s), not ${parsed.protocol}`, {
      hint: 'set PROMETHEUS_URL to e.g. http://prometheus:9090',
    });
  }
  // fetch refuses URLs with credentials; say so here rather than on every query.
  if (parsed.username !== '' || parsed.password !== '') {
    throw new RollbotError('INVALID_CONFIG', 'Prometheus URL must not contain credentials', {
      hint: 'put them in PROMETHEUS_AUTHORIZATION instead, e.g. "Basic <base64 of user:password>"',
    });
  }
  if (!parsed.pathname.endsWith('/')) parsed.pathname += '/';
  parsed.search = '';
  parsed.hash = '';
  return parsed;
}

/** The body as text, or undefined once it is over `limit` bytes: the rest is not read. */
async function readAtMost(response: Response, limit: number): Promise<string | undefined> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > limit) {
      // Not awaited: a server that keeps pouring must not hold the caller; cancelling closes the connection.
      reader.cancel().catch(() => undefined);
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
}

/**
 * The first problem, on one line, and how many more: an answer of many malformed series has one for each, and
 * all of them would make a message of megabytes, kept whole on the incident.
 */
function oneLine(error: z.ZodError): string {
  const [first, ...rest] = error.issues;
  const shown = z.prettifyError(first ? new z.ZodError([first]) : error).replace(/\s+/g, ' ');
  return rest.length === 0 ? shown : `${shown}, and ${rest.length} more problem${rest.length > 1 ? 's' : ''}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
