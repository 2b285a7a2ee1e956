import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { ServingError } from '../core/errors.js';

export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** false only when a kubeconfig says insecure-skip-tls-verify. */
  rejectUnauthorized?: boolean;
}

export interface JsonRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** Sent as is when a string, JSON-encoded otherwise. */
  body?: unknown;
  contentType?: string;
  /** For the whole call, from sending to the last byte of the answer. */
  timeoutMs: number;
  tls?: TlsOptions;
  /** What the call is, for messages: "PATCH InferenceService ml-prod/fraud-scorer". */
  what: string;
}

export interface JsonResponse {
  status: number;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
  /**
   * After a 303 See Other to a call that changes something (status 303): the call was accepted, and this says
   * where its result is and whether it was read (`body` is then the result's).
   */
  seeOther?: string;
}

/**
 * One HTTP call to a serving layer, over node:http(s) so that TLS material (Kubernetes CAs and client
 * certificates) can be given per call. A 2xx answers, and so does a 303 See Other to a call that changes
 * something (seeOther); any other redirect is not followed (redirectError); an answer over MAX_ANSWER_BYTES is
 * cut off (answerTooLarge); anything else becomes a ServingError that says whether retrying can help (5xx,
 * 429, 409, timeouts and network errors can), whether the layer may have acted on the call all the same
 * (`effectUnknown`: see `mayHaveActed`) and what to check.
 */
export function requestJson(call: JsonRequest): Promise<JsonResponse> {
  const url = new URL(call.url);
  const payload =
    call.body === undefined
      ? undefined
      : typeof call.body === 'string'
        ? call.body
        : JSON.stringify(call.body);
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  if (payload !== undefined) {
    headers['content-type'] = call.contentType ?? headers['content-type'] ?? 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  // A deadline on the whole exchange, not a socket idle timeout: a server that trickles a byte now and then
  // (a proxy's keep-alive, a stuck stream) would reset an idle timeout forever and hang the rollback.
  const deadline = AbortSignal.timeout(call.timeoutMs);
  const options: RequestOptions = { method: call.method, headers, signal: deadline, ...call.tls };
  const https = url.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  // Whether the request can have reached the server: only once connected (for https, once the handshake is
  // done) do its bytes leave. A failure before that (refused, DNS, TLS, a connect that hangs) changed nothing.
  let sent = false;
  const failed = (error: Error): ServingError =>
    deadline.aborted
      ? new ServingError(
          `${call.what}: ${sent ? 'no answer' : 'could not connect'} within ${call.timeoutMs}ms`,
          {
            transient: true,
            effectUnknown: sent,
            hint: `check that ${url.host} is reachable from rollbot`,
          },
        )
      : networkError(call, error, sent);
  return new Promise<JsonResponse>((resolve, reject) => {
    const req = send(url, options, (res) => {
      const status = res.statusCode ?? 0;
      const tooLarge = (): void => {
        res.destroy();
        reject(answerTooLarge(call, status, res.headers['retry-after'] !== undefined));
      };
      if (Number(res.headers['content-length']) > MAX_ANSWER_BYTES) return tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) tooLarge();
        else chunks.push(chunk);
      });
      res.on('error', (error) => reject(failed(error)));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = parseBody(text);
        if (status >= 200 && status < 300) resolve({ status, body });
        else if (status === 303 && !isRead(call.method)) resolve(seeOther(call, res.headers.location));
        else if (status >= 300 && status < 400) reject(redirectError(call, status, res.headers.location));
        else reject(statusError(call, status, body, res.headers['retry-after']));
      });
    });
    req.on('socket', (socket) => {
      // A kept-alive socket is connected already.
      if (!socket.connecting) sent = true;
      else socket.once(https ? 'secureConnect' : 'connect', () => (sent = true));
    });
    req.on('error', (error) => reject(failed(error)));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/**
 * The most of an answer rollbot reads: far above any real one (the largest are an MLflow version search page,
 * up to 10,000 versions of about half a kilobyte by the server's default, and a Kubernetes list of one
 * rollout's ReplicaSets, each object capped at 1.5 MiB by etcd), and low enough that a URL pointing at a file
 * server or a proxy page that never ends cannot fill rollbot's memory during a rollback.
 */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/**
 * An answer cut off at MAX_ANSWER_BYTES. Not transient: the same URL answers the same way. Its status still
 * says whether the request was processed: a read changed nothing, and neither did a call refused with a 4xx;
 * a call accepted (2xx) or failed by a 5xx that can follow the work (mayHaveActed) may have changed the
 * layer, and rollbot cannot read what it did, so its effect is unknown and it is not sent again unread.
 */
function answerTooLarge(call: JsonRequest, status: number, retryAfter: boolean): ServingError {
  const url = new URL(call.url);
  const reads = isRead(call.method);
  const accepted = status >= 200 && status < 300;
  const effectUnknown = !reads && (accepted || mayHaveActed(status, retryAfter));
  const why = accepted ? 'the request was accepted' : `an HTTP ${status} can come after the work was done`;
  return new ServingError(
    `${call.what}: HTTP ${status}: the answer is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB, which no serving layer sends` +
      (effectUnknown ? `; ${why}, so it may have changed the serving layer` : ''),
    {
      transient: false,
      status,
      effectUnknown,
      hint:
        `check that ${url.origin}${url.pathname} is the serving layer's API (not a file server, a download or a proxy's page): the URL in the runbook serving block` +
        (effectUnknown ? '; check what the serving layer serves before rolling back again' : ''),
      details: { status, maxAnswerBytes: MAX_ANSWER_BYTES },
    },
  );
}

const isRead = (method: string): boolean => method === 'GET' || method === 'HEAD';

/**
 * A 303 See Other to a call that changes something (POST, PUT, PATCH, DELETE): the server processed it and put
 * the result at Location (RFC 9110 §15.4.4). The call succeeded, so this never fails: a failure would be
 * reported as a failed rollback, and retried, sending the rollback again. The result is read with a GET, as
 * fetch does, only on the same origin (scheme, host, port): the request's headers carry credentials, which must
 * not go to a host they were not meant for, so a result elsewhere is only named.
 */
async function seeOther(call: JsonRequest, location: string | undefined): Promise<JsonResponse> {
  const target = locationOf(call.url, location);
  if (target === undefined) {
    return { status: 303, body: undefined, seeOther: 'accepted; no usable Location for the result' };
  }
  // Origin and path only: a query may carry a signature.
  const where = `${target.origin}${target.pathname}`;
  if (target.origin !== new URL(call.url).origin) {
    const seeOther = `accepted; the result is at ${where}, another host, which rollbot does not send the request or its credentials to`;
    return { status: 303, body: undefined, seeOther };
  }
  const headers = Object.fromEntries(
    Object.entries(call.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'content-type'),
  );
  try {
    const result = await requestJson({
      method: 'GET',
      url: target.href,
      headers,
      timeoutMs: call.timeoutMs,
      ...(call.tls === undefined ? {} : { tls: call.tls }),
      what: `${call.what} → GET ${where}`,
    });
    return {
      status: 303,
      body: result.body,
      seeOther: `accepted; the result at ${where}: HTTP ${result.status}`,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      status: 303,
      body: undefined,
      seeOther: `accepted; the result at ${where} could not be read: ${reason}`,
    };
  }
}

function locationOf(base: string, location: string | undefined): URL | undefined {
  try {
    return location === undefined ? undefined : new URL(location, base);
  } catch {
    return undefined;
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function networkError(call: JsonRequest, error: Error, sent: boolean): ServingError {
  return new ServingError(`${call.what}: ${error.message}`, {
    transient: true,
    // Reset or closed once the request was on its way: the server may have read it and acted.
    effectUnknown: sent,
    hint: `check that ${new URL(call.url).host} is reachable from rollbot (DNS, network policy, TLS)`,
    cause: error,
  });
}

/** A short reason from the usual error bodies (Kubernetes Status, AWS, MLflow, plain text). */
export function reasonOf(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    for (const key of ['message', 'error_message', 'Message', 'error']) {
      const value = record[key];
      if (typeof value === 'string') return `${value}${detailsOf(record)}`.slice(0, 300);
      if (
        value &&
        typeof value === 'object' &&
        typeof (value as { message?: unknown }).message === 'string'
      ) {
        return String((value as { message: string }).message).slice(0, 300);
      }
    }
  }
  return 'no reason given';
}

/**
 * `: a; b` for an answer whose `errors` is a list of texts beside its message: PagerDuty's says only "Event object is
 * invalid" and names the field at fault there.
 */
function detailsOf(record: Record<string, unknown>): string {
  const { errors } = record;
  if (!Array.isArray(errors)) return '';
  const texts = errors.filter((error): error is string => typeof error === 'string' && error.trim() !== '');
  return texts.length ? `: ${texts.join('; ')}` : '';
}

const HINTS: Record<number, string> = {
  400: 'the request was refused as invalid: check the runbook serving block',
  401: 'the credentials were refused: check the token or service account',
  403: 'rollbot is not allowed to do this: check its RBAC / IAM permissions for this call',
  404: 'not found: check the name and namespace (or endpoint, model) in the runbook serving block',
  409: 'another change is in flight: rollbot retries within the rollback target',
  422: 'the change was refused as invalid: check the runbook serving block',
  429: 'throttled: rollbot retries within the rollback target',
  501: 'the server does not support this request: check the method and URL in the runbook serving block',
};

function statusError(
  call: JsonRequest,
  status: number,
  body: unknown,
  retryAfter: string | undefined,
): ServingError {
  // 501: the server does not support the request at all, which no retry changes.
  const transient = (status >= 500 && status !== 501) || status === 429 || status === 409 || status === 408;
  const effectUnknown = mayHaveActed(status, retryAfter !== undefined);
  const hint =
    HINTS[status] ??
    (status >= 500
      ? 'the serving layer failed: rollbot retries within the rollback target'
      : 'check the runbook serving block');
  return new ServingError(`${call.what}: HTTP ${status}: ${reasonOf(body)}`, {
    transient,
    status,
    effectUnknown,
    hint,
    details: retryAfter === undefined ? { status } : { status, retryAfter },
  });
}

/**
 * A redirect, which rollbot does not follow: a redirected POST may come back as a GET, and the request's
 * credentials would go wherever it points. Said with where it points (origin and path only: a query may carry
 * a signature), so that the runbook's URL can be changed to it (an http:// server sending to https://, a
 * moved path), instead of "HTTP 301: <html>…" and a hint to check the serving block.
 */
function redirectError(call: JsonRequest, status: number, location: string | undefined): ServingError {
  const target = locationOf(call.url, location);
  const where =
    target === undefined
      ? 'a redirect without a usable Location'
      : `redirected to ${target.origin}${target.pathname}`;
  return new ServingError(`${call.what}: HTTP ${status}: ${where}`, {
    transient: false,
    status,
    hint:
      target === undefined
        ? 'rollbot does not follow redirects: check the URL in the runbook serving block'
        : `rollbot does not follow redirects: set the URL in the runbook serving block to where it points (${target.origin}/…)`,
    details: { status },
  });
}

/**
 * Whether a server that answered `status` may have done the work all the same. A 5xx can come after it: a
 * handler that failed half-way, a gateway whose upstream acted and then timed out (504) or reset (502, and a
 * proxy's 503 "reset before headers"). Two 5xx say the request was not processed, as every 4xx does (429,
 * 408, 409 included): 501 (not supported) and a 503 with Retry-After (a deliberate "come back later").
 */
export function mayHaveActed(status: number, retryAfter: boolean): boolean {
  if (status < 500 || status === 501) return false;
  return !(status === 503 && retryAfter);
}
