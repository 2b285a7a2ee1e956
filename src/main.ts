/**
 * The bot's process: HTTP on the configured address, the deadline poller, the message ticker and the drill planner,
 * around the engine's dependencies that compose.ts builds; and the entry point `npm start` runs.
 */
import { createServer, type Server } from 'node:http';
import { isIPv6 } from 'node:net';
import { pathToFileURL } from 'node:url';
import { compose, type AdapterOverrides, type Composition } from './compose.js';
import { isRollbotError } from './core/errors.js';
import { listenError } from './listen-error.js';
import { loadConfig } from './config.js';
import { startMessageTicker } from './engine/message-tick.js';
import { startDeadlinePoller } from './engine/poller.js';
import { startDrillPlanner } from './scheduling/drills.js';
import { startGroupSnapshots } from './scheduling/group-snapshots.js';
import { recoverInterruptedRollbacks } from './engine/recovery.js';
import { createApp } from './http/app.js';
import { reportSlackSetup } from './slack/setup-check.js';
import { alertRoutesWarning, apiWarning } from './start-warnings.js';
import { drainDeadline, finishWorkUnderWay, ROLLBACK_DRAIN_MS } from './shutdown-drain.js';

export interface RunningBot {
  url: string;
  server: Server;
  deps: Composition;
  stop(): Promise<void>;
}

/**
 * How long an idle connection is kept open: longer than the load balancer or ingress in front of the bot keeps its
 * connections to it idle (AWS ALB and nginx ingress 60 s, Google's load balancers 600 s). Node's default, 5 s, closes
 * connections the balancer still counts open, and a request it sends on one in that instant fails: a 502 for a
 * Slack button press, which Slack does not send again. Stopping closes idle connections at once whatever this is.
 */
const KEEP_IDLE_CONNECTIONS_MS = 620_000;

/** How a bot stops; tests shorten the drain. */
export interface ShutdownOptions {
  /** How long stop() waits for the work under way, rollbacks above all (default ROLLBACK_DRAIN_MS). */
  rollbackDrainMs?: number;
}

/**
 * Starts the bot: HTTP on the configured address, the deadline poller and the message ticker. `overrides`: see
 * AdapterOverrides.
 */
export async function startBot(
  env: NodeJS.ProcessEnv = process.env,
  overrides: AdapterOverrides = {},
  shutdown: ShutdownOptions = {},
): Promise<RunningBot> {
  const config = loadConfig(env);
  const deps = await compose(config, { env, overrides });
  const app = createApp({
    deps,
    alerts: config.alerts,
    apiToken: config.apiToken,
    registry: deps.metrics.registry,
    groupsOf: deps.groupsOf,
    ...(deps.slack?.app.requestListener ? { slack: deps.slack.app.requestListener } : {}),
  });
  const server = createServer({ keepAliveTimeout: KEEP_IDLE_CONNECTIONS_MS }, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenError(error, config.http)));
    server.listen(config.http.port, config.http.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  // An IPv6 HOST (`::`, `::1`) in brackets: `http://::1:3000` is no URL, and the log line's is pasted into curl.
  const host = isIPv6(config.http.host) ? `[${config.http.host}]` : config.http.host;
  const url = `http://${host}:${port}`;
  await deps.slack?.app.start();
  // Not awaited: a look at the setup, which must not hold up the start nor fail it.
  if (deps.slack) void reportSlackSetup(deps, deps.slack.checkSetup);
  const poller = startDeadlinePoller(deps);
  const ticker = startMessageTicker(deps);
  const drills = startDrillPlanner(deps);
  const snapshots = deps.groupDirectory ? startGroupSnapshots(deps, deps.groupDirectory) : undefined;
  // A rollback that was executing when a bot died is settled by reading the serving layer, never re-run.
  const recovered = await recoverInterruptedRollbacks(deps);
  if (recovered > 0) deps.logger.warn({ recovered }, 'settled rollbacks interrupted by a restart');
  deps.logger.info(
    {
      url,
      runbooks: deps.runbooks.models(),
      store: config.redisUrl ? 'redis' : 'memory',
      slack: config.slack.mode,
    },
    `rollbot listening on ${url} with runbooks: ${deps.runbooks.models().join(', ')}`,
  );
  for (const warning of [alertRoutesWarning(config, url), apiWarning(config, url)]) {
    if (warning) deps.logger.warn({}, warning);
  }
  let stopped: Promise<void> | undefined;
  return {
    url,
    server,
    deps,
    stop() {
      stopped ??= (async () => {
        // One drain for all the work under way: an API request and a deadline handler may each be running a
        // rollback (minutes for a redeploy), and waiting for them without a bound would use up Kubernetes'
        // grace period before Slack and the pages below are flushed.
        const drain = drainDeadline(shutdown.rollbackDrainMs ?? ROLLBACK_DRAIN_MS);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Past the drain, the requests still open (a rollback's) are cut: their clients see the connection drop.
        if (!(await drain.within(closed))) server.closeAllConnections();
        await drills.stop();
        await snapshots?.stop();
        // Handlers still running past the drain leave their deadlines claimed: another replica takes them.
        await drain.within(poller.stop());
        await ticker.stop();
        await deps.slack?.app.stop();
        await finishWorkUnderWay(deps, drain.remainingMs());
        drain.cancel();
        await deps.slack?.notifier.close();
        await deps.paging.idle();
        await deps.store.close();
      })();
      return stopped;
    },
  };
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && import.meta.url === pathToFileURL(entry).href;
}

if (isEntryPoint()) {
  startBot().then(
    (bot) => {
      const shutdown = (signal: string) => {
        bot.deps.logger.info({ signal }, 'shutting down');
        bot.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    },
    (error: unknown) => {
      if (isRollbotError(error)) {
        console.error(`rollbot cannot start: ${error.message}${error.hint ? `\nfix: ${error.hint}` : ''}`);
      } else {
        console.error('rollbot cannot start:', error);
      }
      process.exit(1);
    },
  );
}
