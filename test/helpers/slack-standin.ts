import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface SlackCall {
  method: string;
  form: Record<string, string>;
  /** What the stand-in answered (e.g. the posted message's ts). */
  answer: Record<string, unknown>;
  /** When the call arrived (epoch ms). */
  at: number;
  /** The token the call carried, as its Authorization header. */
  authorization: string | undefined;
}

/**
 * How Slack misbehaves for one call: an HTTP status (5xx: Slack is down), or a 429 with `Retry-After`
 * in seconds (Slack's rate limit, which clients must honour before calling again).
 */
export type SlackFault = { status: number } | { status: 429; retryAfterSeconds: number };

/** Decides, call by call, whether Slack fails it; undefined answers it normally. */
export type SlackFaultRule = (method: string, form: Record<string, string>) => SlackFault | undefined;

export interface RefusedSlackCall {
  method: string;
  form: Record<string, string>;
  fault: SlackFault;
  at: number;
}

export interface SlackStandIn {
  /** Base URL for SLACK_API_URL (ends with /api/). */
  apiUrl: string;
  /** A response_url for payloads: what is posted there is recorded as method `respond`. */
  responseUrl: string;
  /** Calls answered `ok`, in arrival order. */
  calls: SlackCall[];
  /** Calls failed by the fault rule, in arrival order (they are not in `calls`: nothing was delivered). */
  refused: RefusedSlackCall[];
  /** Makes Slack fail calls by `rule` until it is cleared with `setFault(undefined)`. */
  setFault(rule: SlackFaultRule | undefined): void;
  /** Takes WebSocket upgrades: `apps.connections.open` answers with a ws:// URL on this server. */
  onUpgrade(listener: (req: IncomingMessage, socket: Duplex) => void): void;
  close(): Promise<void>;
}

/** What the stand-in answers a method with, from the call's form fields (added to `ok: true`). */
export type SlackAnswers = Record<string, (form: Record<string, string>) => Record<string, unknown>>;

/**
 * A local stand-in for the Slack Web API: answers every method `ok`, gives posted messages increasing `ts`
 * and opened views ids, and records each call's form fields for the test to read. `answers` says what other
 * methods answer (the messages of conversations.replies, a permalink). `setFault` makes it
 * answer 5xx or 429 for a while, as Slack does during an outage or under rate limiting. Paths outside /api/ are
 * recorded too, named by their path (`/respond` as `respond`).
 */
export async function startSlackStandIn(options: { answers?: SlackAnswers } = {}): Promise<SlackStandIn> {
  const calls: SlackCall[] = [];
  const refused: RefusedSlackCall[] = [];
  let faultRule: SlackFaultRule | undefined;
  let seq = 0;
  let port = 0;
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const at = Date.now();
      const method = (req.url ?? '').replace(/^\/(api\/)?/, '').split('?')[0] ?? '';
      const form = (req.headers['content-type'] ?? '').includes('json')
        ? (JSON.parse(text || '{}') as Record<string, string>)
        : Object.fromEntries(new URLSearchParams(text));
      const fault = faultRule?.(method, form);
      if (fault) {
        refused.push({ method, form, fault, at });
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if ('retryAfterSeconds' in fault) headers['retry-after'] = String(fault.retryAfterSeconds);
        res.writeHead(fault.status, headers);
        res.end(JSON.stringify({ ok: false, error: fault.status === 429 ? 'ratelimited' : 'fatal_error' }));
        return;
      }
      seq += 1;
      const answers: Record<string, Record<string, unknown>> = {
        'chat.postMessage': { channel: form.channel, ts: `1800000000.${String(seq).padStart(6, '0')}` },
        'views.open': { view: { id: `V${seq}` } },
        'usergroups.users.list': { users: [] },
        'apps.connections.open': { url: `ws://127.0.0.1:${port}/socket` },
      };
      const answer = { ok: true, ...(answers[method] ?? options.answers?.[method]?.(form)) };
      calls.push({ method, form, answer, at, authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    responseUrl: `http://127.0.0.1:${port}/respond`,
    calls,
    refused,
    setFault(rule) {
      faultRule = rule;
    },
    onUpgrade(listener) {
      server.on('upgrade', listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
