/**
 * Alert ingest throughput: Alertmanager bodies of 1 and 50 alerts, as fast as the server answers (closed loop,
 * keep-alive connections), rollbot against a bare Node server that parses the JSON and makes one Redis write.
 * Goal: rollbot ≥ 0.5× the baseline's alerts/s.
 */
import { AlertFactory } from './support/alerts.js';
import { HttpClient } from './support/http-client.js';
import { closedLoop, type ClosedLoopResult } from './support/load.js';
import type { ChildServer } from './support/processes.js';
import { ratio, type Figure } from './support/results.js';
import { ALERT_HEADERS, type Stack } from './support/stack.js';
import { perSecond } from './support/stats.js';

const CONCURRENCY = 16;
const WARMUP_MS = 1_000;
/** Baseline and rollbot take turns, so that a burst of someone else's work on the machine hits both. */
const ROUNDS = 3;
const ROUND_MS = 2_000;
const SIZES = [1, 50] as const;

export async function runIngest(stack: Stack): Promise<Figure[]> {
  await stack.reset();
  const [rollbot, bare] = await Promise.all([stack.startRollbot(), stack.startBareIngest()]);
  const alerts = new AlertFactory();
  const figures: Figure[] = [];
  try {
    for (const size of SIZES) {
      const targets = [bare, rollbot].map((server) => ({
        server,
        load: loadFor(server, stack, alerts, size),
      }));
      for (const { load } of targets) await load(WARMUP_MS);
      const totals = new Map<ChildServer, ClosedLoopResult[]>();
      for (let round = 0; round < ROUNDS; round++) {
        for (const { server, load } of targets)
          totals.set(server, [...(totals.get(server) ?? []), await load(ROUND_MS)]);
      }
      const rate = (server: ChildServer) => alertsPerSecond(totals.get(server) ?? []);
      const [ours, theirs] = [rate(rollbot), rate(bare)];
      stack.log(
        `ingest ${size}-alert bodies: rollbot ${perSecond(ours.rate, 'alerts')} (${ours.errors} errors), ` +
          `bare ${perSecond(theirs.rate, 'alerts')} (${theirs.errors} errors)${ours.firstError ? `; first error: ${ours.firstError}` : ''}`,
      );
      const share = ratio(ours.rate, theirs.rate);
      figures.push({
        benchmark: 'ingest',
        metric: `alerts/s, ${size}-alert bodies`,
        rollbot: perSecond(ours.rate, 'alerts'),
        baseline: perSecond(theirs.rate, 'alerts'),
        ratio: share,
        goal: '≥ 0.5× bare',
        met: share !== undefined && share >= 0.5 && ours.errors === 0,
      });
    }
  } finally {
    await Promise.all([rollbot.stop(), bare.stop()]);
  }
  return figures;
}

/** A closed-loop load of `size`-alert bodies on `server`, models in turn; each call runs it for `ms`. */
function loadFor(server: ChildServer, stack: Stack, alerts: AlertFactory, size: number) {
  const client = new HttpClient(server.url, CONCURRENCY);
  const models = stack.runbooks.models;
  let next = 0;
  return (ms: number) =>
    closedLoop({
      concurrency: CONCURRENCY,
      durationMs: ms,
      send: async () => {
        const model = models[next++ % models.length] ?? '';
        const reply = await client.post(
          '/alerts/alertmanager',
          alerts.payload(model, size).body,
          ALERT_HEADERS,
        );
        if (reply.status !== 202)
          throw new Error(`${server.name} answered ${reply.status}: ${reply.body.slice(0, 200)}`);
        return size;
      },
    });
}

function alertsPerSecond(results: readonly ClosedLoopResult[]) {
  const units = results.reduce((sum, result) => sum + result.units, 0);
  const ms = results.reduce((sum, result) => sum + result.elapsedMs, 0);
  const errors = results.reduce((sum, result) => sum + result.errors, 0);
  const firstError = results.find((result) => result.firstError)?.firstError;
  return { rate: ms > 0 ? (units * 1000) / ms : 0, errors, firstError };
}
