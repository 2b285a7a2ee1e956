import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PrometheusQuery {
  /** Which bot asked: the path prefix of its PROMETHEUS_URL. */
  asker: string;
  query: string;
  at: number;
}

export interface HoldingPrometheus {
  /** PROMETHEUS_URL for one bot, with a path prefix that tells its queries apart (rollbot allows a prefix). */
  urlFor(asker: string): string;
  /** Queries held without an answer while holding was on. */
  held: PrometheusQuery[];
  /** Queries answered. */
  answered: PrometheusQuery[];
  /** From now on every query is answered (held ones stay unanswered: their askers are meant to be gone). */
  stopHolding(): void;
  close(): Promise<void>;
}

/**
 * A stand-in for the Prometheus HTTP API that holds, unanswered, every query containing `holdMatching` until
 * `stopHolding()` — so that the bot handling a triage deadline is caught in the middle of it, and the test can
 * see which bot that is. Other queries, and all queries afterwards, get a steady `value` for every point.
 */
export async function startHoldingPrometheus(options: {
  holdMatching: string;
  value: number;
}): Promise<HoldingPrometheus> {
  const held: PrometheusQuery[] = [];
  const answered: PrometheusQuery[] = [];
  let holding = true;
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const match = /^\/([^/]+)\/api\/v1\/(query|query_range)$/.exec(req.url ?? '');
      const form = new URLSearchParams(text);
      const query = { asker: match?.[1] ?? '?', query: form.get('query') ?? '', at: Date.now() };
      if (holding && query.query.includes(options.holdMatching)) {
        held.push(query);
        return;
      }
      answered.push(query);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: resultFor(match?.[2], form, options.value) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    urlFor: (asker) => `http://127.0.0.1:${port}/${asker}/`,
    held,
    answered,
    stopHolding() {
      holding = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One series at `value`: an instant vector, or a matrix with a point per step of the asked range. */
function resultFor(endpoint: string | undefined, form: URLSearchParams, value: number): unknown {
  const sample = String(value);
  if (endpoint !== 'query_range') {
    return { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, sample] }] };
  }
  const start = Number(form.get('start'));
  const end = Number(form.get('end'));
  const step = stepSeconds(form.get('step') ?? '');
  const values: [number, string][] = [];
  for (let at = start; at <= end && step > 0; at += step) values.push([at, sample]);
  return { resultType: 'matrix', result: [{ metric: {}, values }] };
}

/** The step in seconds, as rollbot sends it ("15000ms") or as float seconds ("15"), like Prometheus reads it. */
function stepSeconds(text: string): number {
  return text.endsWith('ms') ? Number(text.slice(0, -2)) / 1000 : Number(text);
}
