/**
 * The composition root: the only place that chooses adapters and wires them to the engine. `compose()` builds the
 * engine's dependencies from a config; the bot (main.ts) and the in-process CLI (cli.ts) both start from it.
 */
import { Registry } from 'prom-client';
import { createConsoleNotifier } from './console/notifier.js';
import { isOpen } from './core/incident.js';
import type { Config } from './config.js';
import { DEFAULT_TIMING, type EngineDeps } from './engine/context.js';
import { createGroupResolver, type GroupDirectory, type GroupResolver } from './engine/group-membership.js';
import { scheduleDigest } from './engine/digest.js';
import { drillSuccesses } from './engine/drill-overdue.js';
import { retroCounts } from './engine/retro.js';
import { deadlinesOverdue } from './engine/deadlines-overdue.js';
import { schedulePageAtBusinessHours } from './engine/business-hours-page.js';
import type { Clock, Logger, Store } from './engine/ports.js';
import type { ServingAdapterFactory } from './engine/serving-port.js';
import type { MetricsSource } from './engine/metrics-port.js';
import { RunbookSet } from './engine/runbook-set.js';
import { InFlight } from './engine/in-flight.js';
import { createLogger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { loadRunbooksOrThrow } from './runbooks/load.js';
import { createServingFactory } from './serving/index.js';
import { createSlackApp, type SlackApp, type SlackTransport } from './slack/app.js';
import { createSlackClients, createSlackNotifier, type SlackNotifier } from './slack/notifier/notifier.js';
import { createSlackRenderer } from './slack/renderer.js';
import { createChannelDirectory } from './slack/notifier/channels.js';
import { checkSlackSetup, type SetupCheck } from './slack/setup-check.js';
import { compositionNotes, compositionWarnings } from './start-warnings.js';
import { nextDigestAt } from './paging/digest-time.js';
import { createPagingNotifier, type PagingNotifier } from './paging/notifier.js';
import { pagingKeys, pagingRoutes } from './paging/routes.js';
import { slackGroupDirectory } from './slack/usergroups.js';
import { createPrometheusSource } from './metrics-source/prometheus.js';
import { createMemoryStore } from './store/memory.js';
import { createRedisStore } from './store/redis/store.js';

export const systemClock: Clock = { now: () => Date.now() };

export interface Composition extends EngineDeps {
  config: Config;
  metrics: Metrics;
  /** Present when Slack is configured (SLACK_BOT_TOKEN). */
  slack?: {
    app: SlackApp;
    notifier: SlackNotifier;
    /** The Slack setup's problems (slack/setup-check.ts), looked at once the bot has started. */
    checkSetup(): Promise<SetupCheck>;
  };
  /** The notifier the engine uses: messages (Slack or console) plus paging. */
  paging: PagingNotifier;
  /**
   * Who is in a runbook's approver user groups, for Slack, the HTTP API and the in-process CLI alike: Slack when
   * it is configured, else (and when it does not answer) the snapshots a bot stored (engine/group-membership.ts).
   */
  groupsOf: GroupResolver;
  /** Slack's user groups, read live, when Slack is configured: the bot keeps their snapshots fresh. */
  groupDirectory?: GroupDirectory;
}

/**
 * Adapters to use instead of the ones `config` would choose. Only `npm run demo` (src/demo) passes them, to run
 * the real bot against a simulated serving layer and metrics source; production leaves them unset.
 */
export interface AdapterOverrides {
  serving?: ServingAdapterFactory;
  metricsSource?: MetricsSource;
}

/** Chooses and builds every adapter for `config`. Fails fast on invalid runbooks. */
export async function compose(
  config: Config,
  options: {
    out?: NodeJS.WritableStream;
    quiet?: boolean;
    /** The environment the bot runs in (the process's, given by main.ts and cli.ts): variables runbooks name. */
    env: NodeJS.ProcessEnv;
    overrides?: AdapterOverrides;
  },
): Promise<Composition> {
  const { env } = options;
  const loaded = await loadRunbooksOrThrow(config.runbooksDir);
  const runbooks = new RunbookSet(loaded.runbooks, { dir: config.runbooksDir, files: loaded.files });
  // The paging keys the runbooks name are masked in log messages like the tokens in the environment.
  const secrets = [...config.secrets, ...pagingKeys(runbooks, env)];
  const logger = createLogger({ level: config.logLevel, secrets });
  const clock = systemClock;
  const store = createStore(config, clock, logger);
  const metrics = createMetrics(new Registry(), {
    defaultMetrics: true,
    state: {
      drillLastSuccess: () => drillSuccesses({ store }, runbooks),
      retroCounts: () => retroCounts({ store, runbooks }, clock.now()),
      deadlinesOverdue: () => deadlinesOverdue({ store, clock }),
    },
    onStateError: (error) =>
      logger.warn(
        { err: error },
        'cannot read the drill, retrospective and overdue-deadline gauges: /metrics shows their last values',
      ),
  });
  const clients =
    config.slack.mode === 'off'
      ? undefined
      : createSlackClients({ token: config.slack.botToken, apiUrl: config.slack.apiUrl });
  // One directory of runbook channels for the notifier, the setup check and the replies that link a channel:
  // the name list is read once.
  const channels = clients ? createChannelDirectory({ client: clients.notifier, clock }) : undefined;
  const slackNotifier = clients
    ? createSlackNotifier({
        client: clients.notifier,
        ...(channels ? { channels } : {}),
        store,
        renderer: createSlackRenderer(runbooks),
        clock,
        logger,
        onDeliveryFailed: (kind, reason) => metrics.slackDeliveryFailed(kind, reason),
      })
    : undefined;
  const messages =
    slackNotifier ?? createConsoleNotifier({ clock, ...(options.out ? { out: options.out } : {}) });
  const notifier = createPagingNotifier({
    inner: messages,
    pagerFor: pagingRoutes(runbooks, env),
    clock,
    logger: logger.child({ component: 'paging' }),
    // SEV-4 pages nobody: it waits for the channel's daily digest message (engine/digest.ts).
    digest: (event, hours) => {
      scheduleDigest(deps, event.channel, nextDigestAt(hours)).catch((error: unknown) =>
        logger.error({ err: error, incidentId: event.incident.id }, 'cannot schedule the daily digest'),
      );
    },
    // A SEV-3's missed target at night pages when business hours begin, if still unresolved (engine/business-hours-page.ts).
    pageLater: (event, dueAt) => schedulePageAtBusinessHours(deps, event, dueAt),
    // A trigger that lands once its incident is over (resolved on another replica meanwhile) is resolved at once.
    isOver: async (incidentId) => {
      const incident = await store.getIncident(incidentId);
      return incident !== undefined && !isOpen(incident);
    },
  });
  const serving = options.overrides?.serving ?? createServingFactory({ env });
  const metricsSource =
    options.overrides?.metricsSource ??
    (config.prometheus
      ? createPrometheusSource({
          url: config.prometheus.url,
          ...(config.prometheus.authorization ? { authorization: config.prometheus.authorization } : {}),
        })
      : undefined);
  if (!options.quiet) {
    // Injected serving layers (tests, the demo) need no platform credentials.
    const platform = { credentials: options.overrides?.serving === undefined };
    for (const warning of compositionWarnings(config, runbooks, metricsSource, env, platform))
      logger.warn({}, warning);
    for (const note of compositionNotes(runbooks, env, platform)) logger.info({}, note);
  }
  const groupDirectory = clients ? slackGroupDirectory(clients.interactive) : undefined;
  const groupsOf = createGroupResolver({
    store,
    clock,
    logger: logger.child({ component: 'usergroups' }),
    ...(groupDirectory ? { directory: groupDirectory } : {}),
  });
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const deps: Composition = {
    config,
    store,
    notifier,
    metrics,
    clock,
    logger,
    runbooks,
    serving,
    metricsSource,
    paging: notifier,
    groupsOf,
    ...(groupDirectory ? { groupDirectory } : {}),
    sleep,
    timing: DEFAULT_TIMING,
    inFlight: new InFlight(),
  };
  if (clients && channels && slackNotifier && config.slack.mode !== 'off') {
    const transport: SlackTransport =
      config.slack.mode === 'http'
        ? { mode: 'http', signingSecret: config.slack.signingSecret }
        : { mode: 'socket', appToken: config.slack.appToken };
    const app = createSlackApp({
      deps,
      botToken: config.slack.botToken,
      apiUrl: config.slack.apiUrl,
      transport,
      groupsOf,
      channels,
    });
    const checkSetup = () => checkSlackSetup({ client: clients.notifier, channels, runbooks: runbooks.all });
    deps.slack = { app, notifier: slackNotifier, checkSetup };
  }
  return deps;
}

function createStore(config: Config, clock: Clock, logger: Logger): Store {
  return config.redisUrl
    ? createRedisStore({ redis: config.redisUrl, logger: logger.child({ component: 'redis' }) })
    : createMemoryStore({ clock });
}
