import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { IncidentDetail } from '../engine/views.js';
import { envValue } from '../env.js';
import { startBot, type RunningBot } from '../main.js';
import type { Runbook } from '../runbooks/schema.js';
import { loadRunbooksOrThrow } from '../runbooks/load.js';
import { alertmanagerFiring, botClient, type BotClient } from './bot-client.js';
import { Narrator, terminalWidth } from './narrator.js';
import { stageTable, timeline } from './report.js';
import { SimulatedMetrics, formatSignal, signalsOf, type VersionHealth } from './simulated-metrics.js';
import { SimulatedServingLayer } from './simulated-serving.js';

/** The demo's runbook folder: one file, validated by the real loader like any other. */
export const DEMO_RUNBOOKS = fileURLToPath(new URL('./runbooks/', import.meta.url));

/** v1 is healthy; v2 fails 6.5 % of requests and triples p99 latency. Approvals dip but stay above 80 %. */
const HEALTH: Record<string, VersionHealth> = {
  v1: { error: 0.004, business: 0.86, latency: 0.12, requests: 120 },
  v2: { error: 0.065, business: 0.83, latency: 0.41, requests: 120 },
};
/** The simulated `rate(…[window])`: how fast a change shows in the metrics. */
const RATE_WINDOW_MS = 4_000;
/** How long the simulated router takes to move all traffic onto the warm v1. */
const FLIP_MS = 3_000;
/** The simulated Prometheus alert rule's `for:`: the error rate must stay above threshold this long. */
const ALERT_FOR_MS = 5_000;

export interface DemoOptions {
  /** The environment rollbot's config is read from (Slack tokens, LOG_LEVEL); the demo sets the rest. */
  env: NodeJS.ProcessEnv;
  out: NodeJS.WritableStream;
  /** A Slack channel (ID or #name) instead of the runbook's `#rollbot-demo`. */
  channel?: string;
  /** Give up when the runbook has not finished within this long. */
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `npm run demo`: starts the real bot (src/main.ts) with the demo runbook, a simulated serving layer and a
 * simulated metrics source; records a deployment v1 → v2 as CI would; lets v2 degrade until the simulated alert
 * rule fires; posts the alert to the bot's Alertmanager route; and follows the incident through triage,
 * automatic rollback, confirmation and resolution to the retrospective. True when all of that happened.
 */
export async function runDemo(options: DemoOptions): Promise<boolean> {
  const now = () => Date.now();
  const startedAt = now();
  const narrator = new Narrator(options.out, startedAt, now, terminalWidth(options.out, options.env));
  narrator.enter('start');
  const runbooksDir = options.channel ? await withChannel(options.channel) : DEMO_RUNBOOKS;
  const {
    runbooks: [runbook],
  } = await loadRunbooksOrThrow(runbooksDir);
  if (!runbook) throw new Error(`no runbook in ${runbooksDir}`);
  const { serving, metrics } = simulations(runbook, narrator, now);
  const tokens = { alerts: randomBytes(16).toString('hex'), api: randomBytes(16).toString('hex') };
  const bot = await startBot(demoEnv(options.env, runbooksDir, tokens), {
    serving: serving.adapterFactory(),
    metricsSource: metrics,
  }).finally(async () => {
    // Runbooks are read once at start-up: a --channel copy is not needed after this.
    if (runbooksDir !== DEMO_RUNBOOKS) await rm(runbooksDir, { recursive: true, force: true });
  });
  try {
    describeBot(narrator, bot, runbook, runbooksDir, ignoredOf(options.env));
    const client = botClient(bot.url, tokens);
    await deploy(narrator, client, serving, runbook);
    const onset = await degrade(narrator, metrics, runbook);
    const incidentId = await fireAlert(narrator, client, runbook, onset);
    const { detail, problem } = await follow(client, incidentId, options.timeoutMs ?? 60_000);
    report(narrator, bot, detail);
    const failure = problem ?? unexpectedEnd(detail);
    if (failure) {
      narrator.line(`The demo did NOT complete: ${failure}`);
      return false;
    }
    const seconds = ((now() - startedAt) / 1000).toFixed(1);
    narrator.line(
      `Done in ${seconds}s: ${detail.id} ${detail.phase}, rolled back v2 → v1 automatically, retrospective open.`,
    );
    return true;
  } finally {
    await bot.stop();
  }
}

/** The simulated serving layer and, derived from its traffic history, the simulated metrics. */
function simulations(runbook: Runbook, narrator: Narrator, now: () => number) {
  const serving = new SimulatedServingLayer({
    now,
    initial: 'v1',
    flipMs: FLIP_MS,
    report: (event) => narrator.serving(event),
  });
  const metrics = new SimulatedMetrics({
    now,
    traffic: (at) => serving.trafficAt(at),
    health: HEALTH,
    signals: signalsOf(runbook),
    rateWindowMs: RATE_WINDOW_MS,
    report: (event) => narrator.metrics(event),
  });
  return { serving, metrics };
}

/**
 * The caller's variables the demo does not pass on: in memory whatever the shell says (the demo must not write a
 * fake incident into a real Redis), its own simulated metrics, its own alert token, the bot it starts.
 */
const IGNORED = [
  'REDIS_URL',
  'PROMETHEUS_URL',
  'PROMETHEUS_AUTHORIZATION',
  'ALLOW_UNAUTHENTICATED_ALERTS',
  'ROLLBOT_URL',
] as const;

/** Those of IGNORED the caller set, to say so: the bot's own log calls them "not set" (it never sees them). */
function ignoredOf(env: NodeJS.ProcessEnv): string[] {
  return IGNORED.filter((name) => envValue(env, name) !== undefined);
}

/** The bot's environment: the caller's (Slack tokens, LOG_LEVEL) plus what makes the demo self-contained. */
function demoEnv(env: NodeJS.ProcessEnv, runbooksDir: string, tokens: { alerts: string; api: string }) {
  const kept = Object.fromEntries(
    Object.entries(env).filter(([name]) => !(IGNORED as readonly string[]).includes(name)),
  );
  return {
    ...kept,
    RUNBOOKS_DIR: runbooksDir,
    HOST: '127.0.0.1',
    PORT: '0',
    ALERT_WEBHOOK_TOKEN: tokens.alerts,
    API_TOKEN: tokens.api,
    // The bot's JSON logs would drown the walkthrough; errors (a Slack delivery failing) still show. A LOG_LEVEL
    // set to nothing is unset (src/env.ts), not the bot's default of info.
    LOG_LEVEL: envValue(env, 'LOG_LEVEL') ?? 'error',
  };
}

/** A copy of the demo runbook that posts to `channel`, in a fresh folder. */
async function withChannel(channel: string): Promise<string> {
  const file = 'fraud-scorer.yml';
  const doc = parseDocument(await readFile(join(DEMO_RUNBOOKS, file), 'utf8'));
  doc.set('channel', channel);
  const dir = await mkdtemp(join(tmpdir(), 'rollbot-demo-'));
  await writeFile(join(dir, file), doc.toString());
  return dir;
}

function describeBot(
  narrator: Narrator,
  bot: RunningBot,
  runbook: Runbook,
  dir: string,
  ignored: string[],
): void {
  const slack = bot.deps.config.slack.mode;
  narrator.line(`  rollbot listening on ${bot.url}`);
  narrator.line(
    `  runbook ${join(dir, `${runbook.model}.yml`)}: valid (the same loader as \`rollbot validate\`)`,
  );
  narrator.line(
    `  policy ${runbook.rollback.policy}; triage every ${runbook.triage.interval / 1000}s, ${runbook.triage.failing} of ${runbook.triage.samples} must breach; confirm ${runbook.confirm.consecutive} passes ${runbook.confirm.interval / 1000}s apart`,
  );
  narrator.line(
    `  store: in memory; messages: ${slack === 'off' ? 'this console (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN, for Slack)' : `Slack (${slack} mode), channel ${runbook.channel}`}`,
  );
  if (ignored.length > 0)
    narrator.line(
      `  ignored here: ${ignored.join(', ')} (the demo touches no real store, metrics or serving layer)`,
    );
}

async function deploy(
  narrator: Narrator,
  client: BotClient,
  serving: SimulatedServingLayer,
  runbook: Runbook,
): Promise<void> {
  narrator.enter('deploy');
  narrator.line(`  [simulated serving] v1 has served 100% of ${runbook.model} traffic for weeks`);
  const deployment = { model: runbook.model, version: 'v2', previousVersion: 'v1', strategy: 'blue-green' };
  const { status } = await client.recordDeployment(deployment);
  narrator.demo('CI', `POST /api/deployments ${JSON.stringify(deployment)} → ${status}`);
  serving.deploy('v2');
}

/** Lets v2 take traffic until the simulated alert rule has been active for `for:`. Returns when it became active. */
async function degrade(narrator: Narrator, metrics: SimulatedMetrics, runbook: Runbook): Promise<number> {
  narrator.enter('degrade');
  const threshold = runbook.triage.checks.find((check) => check.kind === 'error')?.max ?? 0.02;
  const rule = `error rate > ${formatSignal('error', threshold)} for ${ALERT_FOR_MS / 1000}s`;
  let activeAt: number | undefined;
  for (let tick = 0; tick < 30; tick++) {
    await sleep(1_000);
    const at = Date.now();
    const values = runbook.triage.checks.map(
      (check) => `${check.name} ${formatSignal(check.kind, metrics.valueAt(check.kind, at))}`,
    );
    if (activeAt === undefined && metrics.valueAt('error', at) > threshold) activeAt = at;
    const pending = activeAt === undefined ? 0 : at - activeAt;
    const state =
      activeAt === undefined
        ? 'inactive'
        : pending >= ALERT_FOR_MS
          ? 'FIRING'
          : `pending ${Math.round(pending / 1000)}s`;
    narrator.line(`  [simulated metrics] ${values.join(' · ')}   alert rule "${rule}": ${state}`);
    if (activeAt !== undefined && pending >= ALERT_FOR_MS) return activeAt;
  }
  throw new Error(`the simulated alert rule "${rule}" never fired`);
}

async function fireAlert(
  narrator: Narrator,
  client: BotClient,
  runbook: Runbook,
  startsAt: number,
): Promise<string> {
  narrator.enter('detect');
  const error = runbook.triage.checks.find((check) => check.kind === 'error');
  const payload = alertmanagerFiring({
    model: runbook.model,
    name: 'ModelErrorRateHigh',
    summary: `${runbook.model} error rate above ${formatSignal('error', error?.max ?? 0.02)} since v2`,
    startsAt,
    expr: `${error?.query ?? 'error_rate'} > ${error?.max ?? 0.02}`,
  });
  narrator.demo(
    'Alertmanager',
    `POST /alerts/alertmanager (webhook v4): ModelErrorRateHigh firing, startsAt ${payload.alerts[0]?.startsAt}`,
  );
  const { status, body } = await client.postAlertmanager(payload);
  const opened = body.results.find((result) => result.incidentId !== undefined);
  if (!opened?.incidentId) throw new Error(`the alert did not open an incident: ${JSON.stringify(body)}`);
  narrator.demo('Alertmanager', `← ${status}: ${opened.outcome} ${opened.incidentId}`);
  return opened.incidentId;
}

/** Follows the incident over the API until its retrospective is open, or something stops the runbook. */
async function follow(
  client: BotClient,
  id: string,
  timeoutMs: number,
): Promise<{ detail: IncidentDetail; problem?: string }> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const detail = await client.incident(id);
    const problem = problemOf(detail);
    if (problem) return { detail, problem };
    // The retro.opened entry is written just before the message goes out: the run is complete.
    if (detail.timeline.some((entry) => entry.type === 'retro.opened')) return { detail };
    if (Date.now() > giveUpAt) return { detail, problem: `still ${detail.phase} after ${timeoutMs / 1000}s` };
    await sleep(250);
  }
}

/** The closing chapter: each stage against its target, then the incident's timeline. */
function report(narrator: Narrator, bot: RunningBot, detail: IncidentDetail): void {
  narrator.enter('resolved');
  narrator.enter('report');
  stageTable(detail).forEach((line) => narrator.line(line));
  narrator.line();
  // Its + times count from the onset, the chapters' from the demo's start: said, or the clock seems to go back.
  narrator.line(
    `  Timeline of ${detail.id} (append-only; + from the degradation onset, the alert's startsAt; GET ${bot.url}/api/incidents/${detail.id}):`,
  );
  timeline(detail).forEach((line) => narrator.line(line));
  narrator.line();
}

/** Why the runbook will not finish on its own, if it will not. */
function problemOf(detail: IncidentDetail): string | undefined {
  if (detail.phase === 'dismissed') return 'the incident was dismissed as not a rollback';
  if (detail.rollback?.status === 'failed')
    return `the rollback failed: ${detail.rollback.error ?? 'unknown error'}`;
  const verdict = detail.confirmation?.verdict;
  if (verdict && verdict !== 'PASS') return `confirmation ended ${verdict}`;
  const asked = detail.timeline.find((entry) => entry.type === 'decision.requested');
  if (asked) return `triage left the decision to a person: ${asked.text}`;
  return undefined;
}

/** The walkthrough's promise: resolved after a successful rollback to v1, with a retrospective. */
function unexpectedEnd(detail: IncidentDetail): string | undefined {
  if (detail.phase !== 'resolved') return `the incident is ${detail.phase}, not resolved`;
  if (detail.rollback?.status !== 'succeeded' || detail.rollback.plan.to !== 'v1')
    return `the rollback did not end on v1 (${detail.rollback?.status ?? 'none'} → ${detail.rollback?.plan.to ?? '?'})`;
  if (!detail.retrospective) return 'no retrospective was opened';
  return undefined;
}
