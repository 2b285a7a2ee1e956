/**
 * Alert storm: 10,000 alerts across 50 models in 10 s (bodies of 10, one model each, 100 bodies/s; every tenth
 * body a re-send). Checks: 50 incidents; every alert on exactly one timeline or answered "duplicate"; Slack
 * messages within ~1/s per channel and chat.update within Tier 3. Baseline: the bare server taking the same
 * deliveries at the same pace (how long the storm takes to be accepted, and the delivery latency).
 */
import { performance } from 'node:perf_hooks';
import { AlertFactory } from './support/alerts.js';
import { accountForAlerts, type AlertOutcome } from './support/accounting.js';
import { HttpClient } from './support/http-client.js';
import { paced } from './support/load.js';
import { checkPacing, CHANNEL_LIMIT, UPDATE_LIMIT } from './support/pacing-check.js';
import type { ChildServer } from './support/processes.js';
import { ratio, type Figure } from './support/results.js';
import { channelFor } from './support/runbooks.js';
import type { SlackArrival } from './support/slack-standin.js';
import { ALERT_HEADERS, type Stack } from './support/stack.js';
import { latencyOf, ms } from './support/stats.js';
import { stormPlan, type Delivery } from './support/storm-plan.js';

const ALERTS = 10_000;
const PER_BODY = 10;
const STORM_MS = 10_000;
const RESEND_EVERY = 10;
/** After the last answer, how long the Slack queue may take to go quiet before the record is read. */
const DRAIN_MS = 15_000;

interface StormRun {
  outcomes: (AlertOutcome[] | undefined)[];
  latencies: number[];
  /** From the first send to the last answer. */
  acceptedInMs: number;
  /** When each model's first body was sent (bench clock). */
  firstSentAt: Map<string, number>;
  startedAt: number;
  /** Deliveries not answered 202, by status and the start of the error message. */
  failures: Map<string, number>;
}

export async function runStorm(stack: Stack): Promise<Figure[]> {
  await stack.reset();
  const [rollbot, bare] = await Promise.all([stack.startRollbot(), stack.startBareIngest()]);
  const plan = stormPlan(new AlertFactory(), stack.runbooks.models, {
    alerts: ALERTS,
    perBody: PER_BODY,
    resendEvery: RESEND_EVERY,
  });
  try {
    const theirs = await storm(bare, plan);
    stack.slack.reset();
    const ours = await storm(rollbot, plan);
    const drained = await quiet(stack, DRAIN_MS);
    const client = new HttpClient(rollbot.url, 4);
    const account = await accountForAlerts(client, plan, ours.outcomes);
    client.close();
    return report(stack, plan, ours, theirs, account, drained);
  } finally {
    await Promise.all([rollbot.stop(), bare.stop()]);
  }
}

/** Sends the plan at its pace, keeping every answer; nothing is shed (the accounting needs every alert). */
async function storm(server: ChildServer, plan: readonly Delivery[]): Promise<StormRun> {
  const client = new HttpClient(server.url, 256);
  const run: StormRun = {
    outcomes: [],
    latencies: [],
    acceptedInMs: 0,
    firstSentAt: new Map(),
    startedAt: performance.now(),
    failures: new Map(),
  };
  const fail = (why: string) => run.failures.set(why, (run.failures.get(why) ?? 0) + 1);
  const timing = await paced({
    perSecond: (plan.length * 1000) / STORM_MS,
    count: plan.length,
    send: async (index) => {
      const delivery = plan[index]!;
      if (!run.firstSentAt.has(delivery.model)) run.firstSentAt.set(delivery.model, performance.now());
      try {
        const reply = await client.post('/alerts/alertmanager', delivery.body, ALERT_HEADERS);
        run.latencies.push(reply.ms);
        if (reply.status === 202) {
          const answer = JSON.parse(reply.body) as { results?: AlertOutcome[] };
          run.outcomes[index] = answer.results ?? [];
        } else {
          // Grouped by status and message with incident ids blanked, so the log says what failed, once.
          fail(`${reply.status} ${reply.body.replace(/INC-\d+/g, 'INC-n').slice(0, 160)}`);
        }
      } catch (error) {
        // No answer: the accounting counts this delivery as unexplained.
        fail(error instanceof Error ? error.message : String(error));
      }
    },
  });
  client.close();
  run.acceptedInMs = timing.elapsedMs;
  return run;
}

/** Waits until the stand-in has heard nothing for 2 s (the Slack queue drained), or `maxMs`. */
async function quiet(stack: Stack, maxMs: number): Promise<boolean> {
  const giveUpAt = performance.now() + maxMs;
  for (;;) {
    const last = stack.slack.arrivals.at(-1)?.at ?? 0;
    if (performance.now() - last > 2_000) return true;
    if (performance.now() > giveUpAt) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function report(
  stack: Stack,
  plan: readonly Delivery[],
  ours: StormRun,
  theirs: StormRun,
  account: Awaited<ReturnType<typeof accountForAlerts>>,
  drained: boolean,
): Figure[] {
  const arrivals = stack.slack.arrivals;
  const messages = checkPacing(arrivals, CHANNEL_LIMIT, (call) =>
    call.method === 'chat.postMessage' ? call.channel : undefined,
  );
  const updates = checkPacing(arrivals, UPDATE_LIMIT, (call) =>
    call.method === 'chat.update' ? 'workspace' : undefined,
  );
  const firstCalls = [...ours.firstSentAt].map(([model, sentAt]) => {
    const channel = channelFor(model);
    const post = arrivals.find(
      (call) => call.method === 'chat.postMessage' && call.channel === channel && !call.reply,
    );
    return post ? post.at - sentAt : Number.POSITIVE_INFINITY;
  });
  const first = latencyOf(firstCalls);
  const [ourLatency, theirLatency] = [latencyOf(ours.latencies), latencyOf(theirs.latencies)];
  const resent = plan.filter((delivery) => delivery.resend).length * PER_BODY;
  stack.log(
    `storm: ${account.incidents} incidents (${account.models} models); ${account.onTimeline} alerts on timelines, ` +
      `${account.deduplicated} dedup'd (${resent} re-sent), ${account.lost} lost, ${account.recordedTwice} recorded twice, ` +
      `${account.unexplained} unexplained; accepted in ${(ours.acceptedInMs / 1000).toFixed(1)} s (bare ` +
      `${(theirs.acceptedInMs / 1000).toFixed(1)} s); Slack: ${messages.calls} messages (max ${messages.maxPerSecond} ` +
      `in 1 s in ${messages.worst ?? '—'}, ${messages.violations} over the limit), ${updates.calls} chat.update ` +
      `(${updates.violations} over Tier 3); queue ${drained ? 'drained' : `still sending after ${DRAIN_MS / 1000} s`}`,
  );
  for (const [why, count] of ours.failures) stack.log(`storm: ${count} deliveries failed: ${why}`);
  // Over Tier 3 has been seen once and not reproduced (bench/README.md): the arrivals show how they bunched.
  if (updates.violations > 0) stack.log(`storm: chat.update arrivals: ${updateArrivals(arrivals)}`);
  const accounted = account.onTimeline + account.deduplicated;
  const clean = account.lost === 0 && account.recordedTwice === 0 && account.unexplained === 0;
  return [
    {
      benchmark: 'storm',
      metric: 'incidents for 50 models',
      rollbot: `${account.incidents} (${account.models} models)`,
      baseline: '—',
      ratio: undefined,
      goal: '50',
      met: account.incidents === 50 && account.models === 50,
    },
    {
      benchmark: 'storm',
      metric: `alerts accounted for (of ${account.delivered.toLocaleString('en-US')})`,
      rollbot: `${accounted.toLocaleString('en-US')}: ${account.onTimeline} on timelines + ${account.deduplicated} dedup'd; ${account.lost} lost, ${account.recordedTwice} twice`,
      baseline: '—',
      ratio: undefined,
      goal: 'all, none twice',
      met: clean && accounted === account.delivered,
    },
    {
      benchmark: 'storm',
      metric: `Slack messages per channel (${messages.calls} posts)`,
      rollbot: `max ${messages.maxPerSecond} in 1 s, ${messages.violations} over`,
      baseline: '—',
      ratio: undefined,
      goal: `≤ ${CHANNEL_LIMIT.perSecond}/s, burst ${CHANNEL_LIMIT.burst}`,
      met: messages.violations === 0,
    },
    {
      benchmark: 'storm',
      metric: `chat.update per workspace (${updates.calls} calls)`,
      rollbot: `${updates.violations} over`,
      baseline: '—',
      ratio: undefined,
      goal: 'Tier 3: 50/min, burst 5',
      met: updates.violations === 0,
    },
    {
      benchmark: 'storm',
      metric: '10 s of alerts accepted in',
      rollbot: `${(ours.acceptedInMs / 1000).toFixed(1)} s`,
      baseline: `${(theirs.acceptedInMs / 1000).toFixed(1)} s`,
      ratio: ratio(ours.acceptedInMs, theirs.acceptedInMs),
      goal: '',
      met: undefined,
    },
    {
      benchmark: 'storm',
      metric: 'delivery latency p99 (10-alert bodies)',
      rollbot: ms(ourLatency.p99),
      baseline: ms(theirLatency.p99),
      ratio: ratio(ourLatency.p99, theirLatency.p99),
      goal: '',
      met: undefined,
    },
    {
      benchmark: 'storm',
      metric: 'first alert → incident message, p50 / p99',
      rollbot: `${ms(first.p50)} / ${ms(first.p99)}`,
      baseline: '—',
      ratio: undefined,
      goal: '',
      met: undefined,
    },
  ];
}

/** Each chat.update's arrival, in seconds after the first, with its channel: `0.00 C0BENCH004, 1.20 …`. */
function updateArrivals(arrivals: readonly SlackArrival[]): string {
  const updates = arrivals.filter((call) => call.method === 'chat.update');
  const first = updates[0]?.at ?? 0;
  return updates.map((call) => `${((call.at - first) / 1000).toFixed(2)} ${call.channel ?? '?'}`).join(', ');
}
