/**
 * The whole production-shaped stack on loopback, one per scenario: Redis, two model servers (v1, v2) behind
 * haproxy, steady load, Prometheus scraping them with real alert rules, Alertmanager delivering to rollbot's
 * webhook, the Slack Web API stand-in, and rollbot itself as a separate process.
 */
import { rm } from 'node:fs/promises';
import type { IncidentDetail, IncidentView } from '../../../src/engine/views.js';
import { eventually, runbookDir, startBotProcess, type BotProcess } from '../../helpers/bot-process.js';
import { freePort } from '../../helpers/free-port.js';
import { startPrometheus, type PrometheusProcess } from '../../helpers/prometheus-server.js';
import { startRedis } from '../../helpers/redis-server.js';
import { SIGNING_SECRET } from '../../helpers/slack.js';
import { startSlackStandIn, type SlackStandIn } from '../../helpers/slack-standin.js';
import { startAlertmanager } from './alertmanager.js';
import { startHaproxy, type HaproxyProcess } from './haproxy.js';
import { switchTraffic } from './haproxy-runtime.js';
import { startLoad, summarize, type LoadGenerator } from './load-generator.js';
import { startModelServer, type ModelServer } from './model-servers.js';
import { runbookYaml } from './runbook.js';
import { alertRules, modelQueries } from './signals.js';

export const MODEL = 'fraud-scorer';
export const CHANNEL = 'C0FRAUD01';
const ALERT_TOKEN = 'e2e-alert-token-5d1c0b';
const API_TOKEN = 'e2e-api-token-93aa4e';

export interface Stack {
  bot: BotProcess;
  slack: SlackStandIn;
  haproxy: HaproxyProcess;
  prometheus: PrometheusProcess;
  v1: ModelServer;
  v2: ModelServer;
  load: LoadGenerator;
  /** Deploys v2 as CI would: haproxy moves traffic to v2, and the deployment is recorded in rollbot's ledger. */
  deployV2(): Promise<void>;
  /** The model's newest incident, from the bot's HTTP API. */
  latestIncident(): Promise<IncidentView | undefined>;
  incident(id: string): Promise<IncidentDetail>;
  /** One instant PromQL query; undefined when it returns nothing. */
  query(promql: string): Promise<number | undefined>;
  /** What to look at when a scenario fails: the bot's log, the Slack calls, the load. */
  diagnostics(): string;
  stop(): Promise<void>;
}

/** Starts everything, or stops what started and rethrows. */
export async function startStack(options: {
  policy: 'auto' | 'approve';
  approvers: string[];
}): Promise<Stack> {
  const stoppers: { name: string; stop: () => Promise<void> }[] = [];
  const started = <T extends { stop(): Promise<void> }>(name: string, thing: T): T => {
    stoppers.push({ name, stop: () => thing.stop() });
    return thing;
  };
  const stop = async (): Promise<void> => {
    const failures: string[] = [];
    // In reverse order of starting: each part stops before the parts it depends on.
    for (const { name, stop: stopOne } of stoppers.splice(0).reverse()) {
      await stopOne().catch((error: unknown) => failures.push(`${name}: ${String(error)}`));
    }
    if (failures.length > 0) throw new Error(`could not stop: ${failures.join('; ')}`);
  };
  try {
    // allSettled, not all: whatever did start must be registered for stopping before a failure is thrown.
    const [slack, redis, v1, v2] = settled(
      await Promise.allSettled([
        startSlackStandIn().then((s) => started('slack stand-in', { ...s, stop: s.close })),
        startRedis().then((r) => started('redis', r)),
        startModelServer(MODEL, 'v1').then((m) => started('model server v1', m)),
        startModelServer(MODEL, 'v2').then((m) => started('model server v2', m)),
      ]),
    );
    // v1 is what production runs when the scenario starts; v2 is deployed by the test (deployV2).
    const haproxy = started(
      'haproxy',
      await startHaproxy({ backend: MODEL, servers: { v1: v1.address, v2: v2.address } }),
    );
    const load = started('load generator', startLoad(`${haproxy.url}/predict`));
    const alertmanagerPort = await freePort();
    const prometheus = started(
      'prometheus',
      await startPrometheus({
        targets: [v1.address, v2.address],
        rules: alertRules(),
        extra: [
          '  - job_name: haproxy',
          `    static_configs: [{ targets: ['${haproxy.metricsAddress}'] }]`,
          'alerting:',
          `  alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:${alertmanagerPort}'] }] }]`,
        ].join('\n'),
      }),
    );
    const runbooks = await runbookDir({
      [`${MODEL}.yml`]: runbookYaml({ model: MODEL, channel: CHANNEL, ...options, haproxy }),
    });
    started('runbook folder', { stop: () => rm(runbooks, { recursive: true, force: true }) });
    const bot = await startBotProcess({
      REDIS_URL: redis.url,
      RUNBOOKS_DIR: runbooks,
      PROMETHEUS_URL: prometheus.url,
      SLACK_API_URL: slack.apiUrl,
      SLACK_BOT_TOKEN: 'xoxb-e2e-real-stack',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      ALERT_WEBHOOK_TOKEN: ALERT_TOKEN,
      API_TOKEN,
    });
    started('rollbot', { stop: () => stopBot(bot) });
    started(
      'alertmanager',
      await startAlertmanager({
        port: alertmanagerPort,
        webhookUrl: `${bot.url}/alerts/alertmanager`,
        token: ALERT_TOKEN,
      }),
    );

    const api = apiClient(bot.url);
    const query = promQuery(prometheus.url);
    // Baselines need history: wait until Prometheus has rates for the traffic on v1.
    const errorRatio = modelQueries(MODEL).errorRatio;
    await eventually(async () => query(errorRatio), 30_000, 'Prometheus to have v1 traffic rates');
    await api.post('/api/deployments', { model: MODEL, version: 'v1', strategy: 'direct', recordedBy: 'ci' });

    return {
      bot,
      slack,
      haproxy,
      prometheus,
      v1,
      v2,
      load,
      async deployV2() {
        await switchTraffic(haproxy.socketPath, haproxy.backend, 'v2');
        await api.post('/api/deployments', {
          model: MODEL,
          version: 'v2',
          previousVersion: 'v1',
          strategy: 'blue-green',
          recordedBy: 'ci',
        });
        const since = Date.now();
        await eventually(
          async () => ((summarize(load.responses, since).byVersion.v2 ?? 0) >= 10 ? true : undefined),
          30_000,
          'v2 to answer the load',
        );
      },
      async latestIncident() {
        const { incidents } = (await api.get(`/api/incidents?model=${MODEL}&limit=1`)) as {
          incidents: IncidentView[];
        };
        return incidents[0];
      },
      incident: async (id) => (await api.get(`/api/incidents/${id}`)) as IncidentDetail,
      query,
      diagnostics: () =>
        [
          `slack calls: ${slack.calls.map((call) => call.method).join(', ')}`,
          `load since start: ${JSON.stringify(summarize(load.responses, 0))}`,
          `rollbot output (tail):\n${bot.output().slice(-8_000)}`,
        ].join('\n'),
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** The values of settled promises, or the first failure. */
function settled<T extends readonly unknown[]>(results: { [K in keyof T]: PromiseSettledResult<T[K]> }): T {
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** SIGTERM (the bot flushes and exits within seconds), SIGKILL if it has not exited after 15 s. */
async function stopBot(bot: BotProcess): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 15_000)));
  const result = await Promise.race([bot.kill('SIGTERM'), late]);
  clearTimeout(timer);
  if (result === 'late') await bot.kill('SIGKILL');
}

function apiClient(baseUrl: string) {
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as unknown;
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown) => call('POST', path, body),
  };
}

function promQuery(baseUrl: string) {
  return async (promql: string): Promise<number | undefined> => {
    const response = await fetch(`${baseUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { data?: { result?: { value: [number, string] }[] } };
    const value = Number(body.data?.result?.[0]?.value[1]);
    return Number.isFinite(value) ? value : undefined;
  };
}
