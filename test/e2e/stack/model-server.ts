/**
 * A model server as its own process: `GET /predict` answers a fraud decision after its configured latency
 * (or fails, at its configured error rate), `GET /metrics` exposes what a real model server exports —
 * requests by status code, a latency histogram and decisions, labelled with model and version — and
 * `POST /control {errorRate, latencyMs}` lets the test degrade it.
 *
 * Run: node --import tsx model-server.ts --model fraud-scorer --version v2 --port 8081
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { Counter, Histogram, Registry } from 'prom-client';

const { values: args } = parseArgs({
  options: { model: { type: 'string' }, version: { type: 'string' }, port: { type: 'string' } },
});
const model = args.model ?? 'model';
const version = args.version ?? 'v0';
const port = Number(args.port ?? '0');

// Healthy: a few milliseconds of "inference", no errors. The test raises both through /control.
const behaviour = { errorRate: 0, latencyMs: 5 };
let served = 0;
let failed = 0;
let decided = 0;

const registry = new Registry();
registry.setDefaultLabels({ model, version });
const requests = new Counter({
  name: 'model_requests_total',
  help: 'Prediction requests by HTTP status code',
  labelNames: ['code'],
  registers: [registry],
});
const latency = new Histogram({
  name: 'model_request_duration_seconds',
  help: 'Prediction latency',
  // Healthy answers fall in the first bucket however busy the machine is, so p99 is stable between versions.
  buckets: [0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});
const decisions = new Counter({
  name: 'model_decisions_total',
  help: 'Fraud decisions (the business metric: share of transactions approved)',
  labelNames: ['decision'],
  registers: [registry],
});
// Series exist from the first scrape, so ratios are 0 rather than "no data" before the first error.
for (const code of ['200', '500']) requests.inc({ code }, 0);
for (const decision of ['approved', 'declined']) decisions.inc({ decision }, 0);

/**
 * Fails `errorRate` of the requests, spread evenly (error n happens when the running total of the rate crosses
 * n), so a 5-second rate window sees the configured ratio rather than a burst.
 */
function shouldFail(): boolean {
  served += 1;
  const due = Math.floor(served * behaviour.errorRate);
  if (due > failed) {
    failed = due;
    return true;
  }
  return false;
}

async function predict(res: ServerResponse): Promise<void> {
  const started = process.hrtime.bigint();
  const fail = shouldFail();
  await new Promise((resolve) => setTimeout(resolve, behaviour.latencyMs));
  latency.observe(Number(process.hrtime.bigint() - started) / 1e9);
  const headers = { 'content-type': 'application/json', 'x-model-version': version };
  if (fail) {
    requests.inc({ code: '500' });
    res.writeHead(500, headers).end(JSON.stringify({ error: 'inference failed', model, version }));
    return;
  }
  // Nine in ten transactions are approved, by both versions, degraded or not: the business metric stays put.
  decided += 1;
  const approved = decided % 10 !== 0;
  decisions.inc({ decision: approved ? 'approved' : 'declined' });
  requests.inc({ code: '200' });
  res.writeHead(200, headers).end(JSON.stringify({ model, version, approved }));
}

async function control(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  const update = JSON.parse(body || '{}') as Partial<typeof behaviour>;
  if (typeof update.errorRate === 'number') behaviour.errorRate = Math.min(1, Math.max(0, update.errorRate));
  if (typeof update.latencyMs === 'number') behaviour.latencyMs = Math.max(0, update.latencyMs);
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version, ...behaviour }));
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
const routes: Record<string, Route> = {
  'GET /predict': (_req, res) => predict(res),
  'POST /control': control,
  'GET /metrics': async (_req, res) => {
    const text = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType }).end(text);
  },
  'GET /healthz': async (_req, res) => void res.writeHead(200).end('ok'),
};

const server = createServer((req, res) => {
  const route = routes[`${req.method ?? ''} ${(req.url ?? '/').split('?')[0] ?? ''}`];
  if (!route) return void res.writeHead(404).end();
  route(req, res).catch((error: unknown) => {
    if (!res.headersSent) res.writeHead(500).end(String(error));
  });
});

server.listen(port, '127.0.0.1', () => console.log(`${model} ${version} listening on ${port}`));
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  // Keep-alive connections from haproxy would hold close() open; they carry no state worth waiting for.
  server.closeAllConnections();
});
