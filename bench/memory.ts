/**
 * Memory: rollbot's RSS idle and after 100,000 alerts (50-alert bodies, 50 models), raw and after a forced GC,
 * against the bare ingest server taking the same alerts. Goal: < 150 MB, and flat — RSS after GC grows by no
 * more than 10 % from the 50,000th alert to the 100,000th.
 */
import { AlertFactory } from './support/alerts.js';
import { HttpClient } from './support/http-client.js';
import { countedLoop } from './support/load.js';
import type { ChildServer } from './support/processes.js';
import { ratio, type Figure } from './support/results.js';
import { ALERT_HEADERS, type Stack } from './support/stack.js';
import { mb } from './support/stats.js';

const TOTAL = 100_000;
const PER_BODY = 50;
const CHECKPOINTS = 4;
const CONCURRENCY = 8;
/** Quiet time after start-up before "idle" is read: lazy initialisation and the first poller ticks are over. */
const SETTLE_MS = 4_000;
const MB = 1e6;

interface Reading {
  alerts: number;
  rss: number;
  rssAfterGc: number;
  heapAfterGc: number;
  /** Memory outside the JS heap (Buffers, strings handed to sockets) after GC. */
  externalAfterGc: number;
}

export async function runMemory(stack: Stack): Promise<Figure[]> {
  await stack.reset();
  const [rollbot, bare] = await Promise.all([stack.startRollbot(), stack.startBareIngest()]);
  const factory = new AlertFactory();
  let ours: Reading[];
  let theirs: Reading[];
  try {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    theirs = await readingsUnderLoad(bare, stack, factory);
    ours = await readingsUnderLoad(rollbot, stack, factory);
  } finally {
    await Promise.all([rollbot.stop(), bare.stop()]);
  }
  for (const [name, readings] of [
    ['rollbot', ours],
    ['bare', theirs],
  ] as const) {
    stack.log(
      `memory ${name}: ` +
        readings
          .map(
            (r) =>
              `${r.alerts} alerts: RSS ${mb(r.rss)}, after GC ${mb(r.rssAfterGc)} (heap ${mb(r.heapAfterGc)}, external ${mb(r.externalAfterGc)})`,
          )
          .join('; '),
    );
  }
  const idle = (readings: Reading[]) => readings[0]!;
  const last = (readings: Reading[]) => readings.at(-1)!;
  const half = (readings: Reading[]) => readings.find((r) => r.alerts >= TOTAL / 2) ?? readings[0]!;
  const growth = last(ours).rssAfterGc / half(ours).rssAfterGc - 1;
  // RSS also moves with the allocator and V8's committed pages; the live heap shows retention directly.
  const heapGrowth = last(ours).heapAfterGc / half(ours).heapAfterGc - 1;
  const percent = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;
  const under = (bytes: number) => bytes < 150 * MB;
  return [
    {
      benchmark: 'memory',
      metric: 'RSS idle, after GC',
      rollbot: mb(idle(ours).rssAfterGc),
      baseline: mb(idle(theirs).rssAfterGc),
      ratio: ratio(idle(ours).rssAfterGc, idle(theirs).rssAfterGc),
      goal: '< 150 MB',
      met: under(idle(ours).rssAfterGc),
    },
    {
      benchmark: 'memory',
      metric: `RSS after ${TOTAL.toLocaleString('en-US')} alerts`,
      rollbot: mb(last(ours).rss),
      baseline: mb(last(theirs).rss),
      ratio: ratio(last(ours).rss, last(theirs).rss),
      goal: '< 150 MB',
      met: under(last(ours).rss),
    },
    {
      benchmark: 'memory',
      metric: `RSS after ${TOTAL.toLocaleString('en-US')} alerts, after GC`,
      rollbot: mb(last(ours).rssAfterGc),
      baseline: mb(last(theirs).rssAfterGc),
      ratio: ratio(last(ours).rssAfterGc, last(theirs).rssAfterGc),
      goal: '< 150 MB',
      met: under(last(ours).rssAfterGc),
    },
    {
      benchmark: 'memory',
      metric: 'RSS after GC, 50k → 100k alerts',
      rollbot: percent(growth),
      baseline: percent(last(theirs).rssAfterGc / half(theirs).rssAfterGc - 1),
      ratio: undefined,
      goal: 'flat (≤ +10 %)',
      met: growth <= 0.1,
    },
    {
      benchmark: 'memory',
      metric: 'JS heap after GC, 50k → 100k alerts',
      rollbot: `${mb(half(ours).heapAfterGc)} → ${mb(last(ours).heapAfterGc)} (${percent(heapGrowth)})`,
      baseline: `${mb(half(theirs).heapAfterGc)} → ${mb(last(theirs).heapAfterGc)}`,
      ratio: undefined,
      goal: '',
      met: undefined,
    },
  ];
}

/** Idle reading, then TOTAL alerts in CHECKPOINTS legs with a reading after each. */
async function readingsUnderLoad(
  server: ChildServer,
  stack: Stack,
  factory: AlertFactory,
): Promise<Reading[]> {
  const readings = [await read(server, 0)];
  const client = new HttpClient(server.url, CONCURRENCY);
  const models = stack.runbooks.models;
  const perLeg = TOTAL / PER_BODY / CHECKPOINTS;
  for (let leg = 1; leg <= CHECKPOINTS; leg++) {
    const result = await countedLoop({
      concurrency: CONCURRENCY,
      count: perLeg,
      send: async (index) => {
        const model = models[index % models.length] ?? '';
        const reply = await client.post(
          '/alerts/alertmanager',
          factory.payload(model, PER_BODY).body,
          ALERT_HEADERS,
        );
        if (reply.status !== 202)
          throw new Error(`${server.name} answered ${reply.status}: ${reply.body.slice(0, 200)}`);
      },
    });
    if (result.errors > 0)
      stack.log(`memory: ${server.name}: ${result.errors} failed deliveries: ${result.firstError}`);
    readings.push(await read(server, perLeg * PER_BODY * leg));
  }
  client.close();
  return readings;
}

async function read(server: ChildServer, alerts: number): Promise<Reading> {
  const rss = await server.rssBytes();
  const usage = await server.collectGarbage();
  return { alerts, rss, rssAfterGc: usage.rss, heapAfterGc: usage.heapUsed, externalAfterGc: usage.external };
}
