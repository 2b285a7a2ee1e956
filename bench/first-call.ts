/**
 * Alert received → first Slack Web API call: one alert at a time, each for a model with no open incident, so each
 * opens an incident whose message is the first call; the time is from sending the alert to the stand-in
 * receiving chat.postMessage in that model's channel, both on the bench's clock. Baseline: the bare server
 * (parse, one Redis write) making one chat.postMessage per alert. Goal: p99 < 100 ms.
 */
import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { AlertFactory } from './support/alerts.js';
import { HttpClient } from './support/http-client.js';
import type { ChildServer } from './support/processes.js';
import { ratio, type Figure } from './support/results.js';
import { channelFor, writeRunbooks } from './support/runbooks.js';
import { ALERT_HEADERS, type Stack } from './support/stack.js';
import { latencyOf, ms } from './support/stats.js';

/** One fresh model (and channel) per sample: a second incident of a model would wait for its first to close. */
const SAMPLES = 120;
/** Between samples, so that one incident's triage and thread replies are not what the next one measures. */
const SPACING_MS = 40;

export async function runFirstCall(stack: Stack): Promise<Figure[]> {
  await stack.reset();
  const runbooks = await writeRunbooks(SAMPLES);
  const [rollbot, bare] = await Promise.all([
    stack.startRollbot({ runbooksDir: runbooks.dir }),
    stack.startBareIngest({ postToSlack: true }),
  ]);
  const factory = new AlertFactory();
  const samples = new Map<ChildServer, number[]>([
    [rollbot, []],
    [bare, []],
  ]);
  const clients = new Map([rollbot, bare].map((server) => [server, new HttpClient(server.url, 4)]));
  try {
    // A warm-up incident each (JIT, connections): model 0 is not measured.
    for (const [index, model] of runbooks.models.entries()) {
      // Alternate which goes first, so neither always measures right after the other's burst of work.
      const order = index % 2 === 0 ? [bare, rollbot] : [rollbot, bare];
      for (const server of order) {
        const latency = await firstCall(server, clients.get(server)!, stack, factory, model);
        if (index > 0) samples.get(server)!.push(latency);
        await new Promise((resolve) => setTimeout(resolve, SPACING_MS));
      }
    }
  } finally {
    for (const client of clients.values()) client.close();
    await Promise.all([rollbot.stop(), bare.stop()]);
    await rm(runbooks.dir, { recursive: true, force: true });
  }
  const ours = latencyOf(samples.get(rollbot)!);
  const theirs = latencyOf(samples.get(bare)!);
  stack.log(
    `first Slack call: rollbot p50 ${ms(ours.p50)} p99 ${ms(ours.p99)} max ${ms(ours.max)}; ` +
      `bare p50 ${ms(theirs.p50)} p99 ${ms(theirs.p99)} max ${ms(theirs.max)} (n=${ours.count}); ` +
      `slowest rollbot samples ${slowest(samples.get(rollbot)!)}, bare ${slowest(samples.get(bare)!)}`,
  );
  return [
    {
      benchmark: 'first call',
      metric: 'alert → chat.postMessage p50',
      rollbot: ms(ours.p50),
      baseline: ms(theirs.p50),
      ratio: ratio(ours.p50, theirs.p50),
      goal: '',
      met: undefined,
    },
    {
      benchmark: 'first call',
      metric: `alert → chat.postMessage p99 (n=${ours.count})`,
      rollbot: ms(ours.p99),
      baseline: ms(theirs.p99),
      ratio: ratio(ours.p99, theirs.p99),
      goal: '< 100 ms',
      met: ours.p99 < 100,
    },
  ];
}

function slowest(values: readonly number[]): string {
  return [...values]
    .sort((a, b) => b - a)
    .slice(0, 5)
    .map((value) => value.toFixed(0))
    .join('/');
}

/** Sends one alert for `model` and waits for the first chat.postMessage (not a thread reply) in its channel. */
async function firstCall(
  server: ChildServer,
  client: HttpClient,
  stack: Stack,
  factory: AlertFactory,
  model: string,
): Promise<number> {
  const channel = channelFor(model);
  const body = factory.payload(model, 1).body;
  const sentAt = performance.now();
  const arrival = stack.slack.waitFor(
    (call) => call.method === 'chat.postMessage' && call.channel === channel && !call.reply,
    sentAt,
    10_000,
  );
  const reply = await client.post('/alerts/alertmanager', body, ALERT_HEADERS);
  if (reply.status !== 202) throw new Error(`${server.name} answered ${reply.status}: ${reply.body}`);
  return (await arrival).at - sentAt;
}
