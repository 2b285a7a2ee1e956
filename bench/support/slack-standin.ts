import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** One call as the stand-in saw it: only what the benchmarks measure, so a storm's record stays small. */
export interface SlackArrival {
  /** `chat.postMessage`, `chat.update`, … or `respond` for a response_url. */
  method: string;
  channel: string | undefined;
  /** A thread reply (chat.postMessage with thread_ts). */
  reply: boolean;
  /** performance.now() in the bench process when the request's body had arrived. */
  at: number;
}

export interface SlackStandIn {
  /** SLACK_API_URL (ends with /api/). */
  apiUrl: string;
  /** A base for response_url values: `${respondUrl}/<anything>`. */
  respondUrl: string;
  arrivals: SlackArrival[];
  /** The first arrival from now on (or already recorded at or after `since`) that `match` accepts. */
  waitFor(match: (arrival: SlackArrival) => boolean, since: number, timeoutMs: number): Promise<SlackArrival>;
  /** Forgets what arrived so far (between benchmarks). */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A local Slack Web API that answers every method `ok` at once and timestamps each arrival on the bench
 * process's clock, the same clock the benchmarks send alerts with. Modelled on test/helpers/slack-standin.ts,
 * which keeps every form field (too much for a 10,000-alert storm) and no arrival times.
 */
export async function startSlackStandIn(): Promise<SlackStandIn> {
  let arrivals: SlackArrival[] = [];
  let waiters: ((arrival: SlackArrival) => void)[] = [];
  let seq = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = performance.now();
      const path = (req.url ?? '').split('?')[0] ?? '';
      const method = path.startsWith('/respond') ? 'respond' : path.replace(/^\/api\//, '');
      const text = Buffer.concat(chunks).toString('utf8');
      const form = (req.headers['content-type'] ?? '').includes('json')
        ? (JSON.parse(text || '{}') as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(text));
      const channel = typeof form.channel === 'string' ? form.channel : undefined;
      const arrival: SlackArrival = { method, channel, reply: typeof form.thread_ts === 'string', at };
      arrivals.push(arrival);
      for (const waiter of waiters) waiter(arrival);
      seq += 1;
      const answers: Record<string, Record<string, unknown>> = {
        'chat.postMessage': { channel, ts: `1800000000.${String(seq).padStart(6, '0')}` },
        'chat.update': { channel, ts: form.ts },
        'views.open': { view: { id: `V${seq}` } },
        'usergroups.users.list': { users: [] },
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, ...answers[method] }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    respondUrl: `http://127.0.0.1:${port}/respond`,
    get arrivals() {
      return arrivals;
    },
    waitFor(match, since, timeoutMs) {
      const known = arrivals.find((arrival) => arrival.at >= since && match(arrival));
      if (known) return Promise.resolve(known);
      return new Promise<SlackArrival>((resolve, reject) => {
        const waiter = (arrival: SlackArrival) => {
          if (arrival.at < since || !match(arrival)) return;
          done();
          resolve(arrival);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no matching Slack call within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters = waiters.filter((other) => other !== waiter);
        };
        waiters.push(waiter);
      });
    },
    reset() {
      arrivals = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
