/**
 * Slack ack latency under an alert storm: signed `/incident list` commands and Acknowledge button presses while
 * 1,000 alerts/s arrive, rollbot against a bare Bolt app (same Bolt, same HTTPReceiver, listeners that only ack)
 * that takes the same alert stream on a bare route. Goal: p99 < 50 ms and within 2× of the bare app.
 * A short phase without alerts first shows what the Slack path costs by itself.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ACTIONS } from '../src/slack/ids.js';
import { buttonPress, slackSignature, slashCommand, type SlackPost } from '../test/helpers/slack.js';
import { AlertFactory } from './support/alerts.js';
import { alertStream } from './support/alert-stream.js';
import { HttpClient } from './support/http-client.js';
import { paced } from './support/load.js';
import type { ChildServer } from './support/processes.js';
import { ratio, type Figure } from './support/results.js';
import { BENCH_USER, channelFor } from './support/runbooks.js';
import { ALERT_HEADERS, type Stack } from './support/stack.js';
import { latencyOf, ms } from './support/stats.js';

const ALERTS_PER_SECOND = 1_000;
/** Alertmanager groups alerts; ten per body keeps the request rate (100/s) realistic for one sender. */
const ALERTS_PER_BODY = 10;
/** Interactive requests per second (commands and buttons alternate) while measuring. */
const INTERACTIVE_PER_SECOND = 40;
const ROUNDS = 3;
const WARMUP_MS = 1_000;
const MEASURE_MS = 5_000;
const QUIET_MS = 2_000;

type Kind = 'command' | 'button';
type Samples = Record<Kind, number[]>;
const LABEL: Record<Kind, string> = { command: 'slash command', button: 'button' };

export async function runAckLatency(stack: Stack): Promise<Figure[]> {
  await stack.reset();
  const [rollbot, bare] = await Promise.all([stack.startRollbot(), stack.startBareBolt()]);
  const servers = [bare, rollbot];
  const factory = new AlertFactory();
  const quiet = new Map(servers.map((server) => [server, noSamples()]));
  const loaded = new Map(servers.map((server) => [server, noSamples()]));
  const alertRates = new Map(servers.map((server) => [server, [] as number[]]));
  /** The bench's own event-loop delay p99 while measuring: the noise floor of every latency it reports. */
  const benchLag: number[] = [];
  // One keep-alive client per server for the interactive requests, as Slack keeps its connections.
  const clients = new Map(servers.map((server) => [server, new HttpClient(server.url, 32)]));
  const measure = async (server: ChildServer, into: Samples, durationMs: number) => {
    // Warm-up (JIT, connections, Bolt's first-request work) with interactive traffic too, not counted.
    await measureAcks(server, clients.get(server)!, stack, noSamples(), WARMUP_MS);
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    await measureAcks(server, clients.get(server)!, stack, into, durationMs);
    lag.disable();
    benchLag.push(lag.percentile(99) / 1e6);
  };
  try {
    await openIncidents(rollbot, stack.runbooks.models, factory);
    for (const server of servers) await measure(server, quiet.get(server)!, QUIET_MS);
    for (let round = 0; round < ROUNDS; round++) {
      for (const server of servers) {
        const stream = alertStream({
          url: server.url,
          models: stack.runbooks.models,
          alertsPerSecond: ALERTS_PER_SECOND,
          perBody: ALERTS_PER_BODY,
          durationMs: WARMUP_MS + MEASURE_MS,
          factory,
        });
        await measure(server, loaded.get(server)!, MEASURE_MS);
        const background = await stream;
        alertRates.get(server)!.push((background.accepted * 1000) / background.elapsedMs);
        if (background.shed > 0) stack.log(`${server.name} fell behind: ${background.shed} alerts shed`);
      }
    }
  } finally {
    for (const client of clients.values()) client.close();
    await Promise.all([rollbot.stop(), bare.stop()]);
  }
  stack.log(`bench event-loop delay p99 per phase: ${benchLag.map((lag) => ms(lag)).join(', ')}`);
  const figures: Figure[] = [];
  for (const kind of ['command', 'button'] as const) {
    const [ours, theirs] = [latencyOf(loaded.get(rollbot)![kind]), latencyOf(loaded.get(bare)![kind])];
    const [ourQuiet, theirQuiet] = [latencyOf(quiet.get(rollbot)![kind]), latencyOf(quiet.get(bare)![kind])];
    stack.log(
      `ack ${LABEL[kind]} under alerts: rollbot p50 ${ms(ours.p50)} p99 ${ms(ours.p99)} max ${ms(ours.max)} ` +
        `(n=${ours.count}); bare Bolt p50 ${ms(theirs.p50)} p99 ${ms(theirs.p99)} max ${ms(theirs.max)}; ` +
        `without alerts: rollbot p50 ${ms(ourQuiet.p50)} p99 ${ms(ourQuiet.p99)}, bare p50 ${ms(theirQuiet.p50)} ` +
        `p99 ${ms(theirQuiet.p99)} (n=${ourQuiet.count})`,
    );
    figures.push(
      row(`${LABEL[kind]} ack p50, no alerts`, ourQuiet.p50, theirQuiet.p50),
      row(`${LABEL[kind]} ack p50`, ours.p50, theirs.p50),
      {
        ...row(`${LABEL[kind]} ack p99 (n=${ours.count})`, ours.p99, theirs.p99),
        goal: '< 50 ms and ≤ 2× bare',
        met: ours.p99 < 50 && ours.p99 <= 2 * theirs.p99,
      },
    );
  }
  const mean = (values: number[]) =>
    values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  const [ourRate, theirRate] = [mean(alertRates.get(rollbot)!), mean(alertRates.get(bare)!)];
  figures.push({
    benchmark: 'ack latency',
    metric: `alerts/s accepted meanwhile (offered ${ALERTS_PER_SECOND})`,
    rollbot: `${ourRate.toFixed(0)}/s`,
    baseline: `${theirRate.toFixed(0)}/s`,
    ratio: ratio(ourRate, theirRate),
    goal: '',
    met: undefined,
  });
  return figures;
}

function noSamples(): Samples {
  return { command: [], button: [] };
}

function row(metric: string, ours: number, theirs: number): Figure {
  return {
    benchmark: 'ack latency',
    metric,
    rollbot: ms(ours),
    baseline: ms(theirs),
    ratio: ratio(ours, theirs),
    goal: '',
    met: undefined,
  };
}

/** One alert per model first, so that the buttons acknowledge incidents that exist (INC-1 … INC-50). */
async function openIncidents(rollbot: ChildServer, models: readonly string[], factory: AlertFactory) {
  const client = new HttpClient(rollbot.url, 8);
  for (const model of models) {
    const reply = await client.post('/alerts/alertmanager', factory.payload(model, 1).body, ALERT_HEADERS);
    if (reply.status !== 202) throw new Error(`rollbot answered ${reply.status}: ${reply.body}`);
  }
  client.close();
}

/** Signed commands and button presses, alternating, at INTERACTIVE_PER_SECOND for `durationMs`. */
async function measureAcks(
  server: ChildServer,
  client: HttpClient,
  stack: Stack,
  samples: Samples,
  durationMs: number,
): Promise<void> {
  const models = stack.runbooks.models;
  await paced({
    perSecond: INTERACTIVE_PER_SECOND,
    count: (INTERACTIVE_PER_SECOND * durationMs) / 1000,
    send: async (index) => {
      const kind: Kind = index % 2 === 0 ? 'command' : 'button';
      const model = models[index % models.length] ?? '';
      const post =
        kind === 'command'
          ? slashCommand('/incident', 'list', BENCH_USER, {
              channel_id: channelFor(model),
              response_url: `${stack.slack.respondUrl}/${index}`,
            })
          : buttonPress(
              ACTIONS.acknowledge,
              { incidentId: `INC-${(index % models.length) + 1}`, model },
              BENCH_USER,
            );
      const started = performance.now();
      try {
        const reply = await sendSigned(client, post);
        if (reply.status === 200) samples[kind].push(performance.now() - started);
        else stack.log(`${server.name} answered ${reply.status} to a ${kind}: ${reply.body.slice(0, 200)}`);
      } catch (error) {
        stack.log(`${server.name}: ${kind} failed: ${String(error)}`);
      }
    },
  });
}

/** A request signed as Slack signs it (slack-platform.md §1), over the exact body sent. */
function sendSigned(client: HttpClient, post: SlackPost) {
  const timestamp = Math.floor(Date.now() / 1000);
  return client.post('/slack/events', post.body, {
    'content-type': post.contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(post.body, timestamp),
  });
}
