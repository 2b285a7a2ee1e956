import { rm } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { startRedis, type RedisProcess } from '../../test/helpers/redis-server.js';
import { SIGNING_SECRET } from '../../test/helpers/slack.js';
import { buildForBench } from './build.js';
import { startChild, type ChildServer } from './processes.js';
import { productionRuntimeEnv } from './production-env.js';
import { startSlackStandIn, type SlackStandIn } from './slack-standin.js';
import { writeRunbooks } from './runbooks.js';

export const ALERT_TOKEN = 'bench-alert-token';
export const API_TOKEN = 'bench-api-token';
export { SIGNING_SECRET };

/** Everything a benchmark needs, started once per run. */
export interface Stack {
  redis: RedisProcess;
  slack: SlackStandIn;
  /** 50 models, one channel each (the storm's shape). */
  runbooks: { dir: string; models: string[] };
  log(line: string): void;
  /** Empties Redis and the stand-in's record: each benchmark starts from nothing. */
  reset(): Promise<void>;
  /** rollbot as production runs it (compiled), on the real Redis, Slack over HTTP to the stand-in. */
  startRollbot(options?: { runbooksDir?: string }): Promise<ChildServer>;
  /** The bare ingest baseline; `postToSlack` adds one chat.postMessage per request (first-call baseline). */
  startBareIngest(options?: { postToSlack?: boolean }): Promise<ChildServer>;
  /** The bare Bolt baseline: ack-only listeners, plus the bare alert route. */
  startBareBolt(): Promise<ChildServer>;
  stop(): Promise<void>;
}

export async function startStack(log: (line: string) => void): Promise<Stack> {
  const [buildDir, redis, slack, runbooks] = await Promise.all([
    buildForBench(log),
    startRedis(),
    startSlackStandIn(),
    writeRunbooks(50),
  ]);
  const admin = new Redis(redis.url);
  // startRedis's server is not one of ours to track in processes.ts; make sure it dies with the bench too.
  process.once('exit', () => redis.process.kill('SIGKILL'));
  // BENCH_CPU_PROF=<dir>: rollbot writes a V8 CPU profile there when it stops (open it in Chrome DevTools).
  const profileDir = process.env.BENCH_CPU_PROF;
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const preload = `${buildDir}/bench/support/gc-preload.js`;
  const common = { REDIS_URL: redis.url, LOG_LEVEL: 'info' };
  // rollbot runs with the image's runtime settings (Dockerfile ENV); the bare baselines with Node's defaults.
  const productionEnv = productionRuntimeEnv();
  const slackEnv = {
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
  };
  return {
    redis,
    slack,
    runbooks,
    log,
    async reset() {
      await admin.flushall();
      slack.reset();
    },
    startRollbot(options = {}) {
      return startChild({
        name: 'rollbot',
        script: `${buildDir}/src/main.js`,
        preload,
        nodeArgs: profile,
        env: {
          ...common,
          ...slackEnv,
          RUNBOOKS_DIR: options.runbooksDir ?? runbooks.dir,
          ALERT_WEBHOOK_TOKEN: ALERT_TOKEN,
          API_TOKEN,
          ...productionEnv,
        },
      });
    },
    startBareIngest(options = {}) {
      return startChild({
        name: 'bare ingest server',
        script: `${buildDir}/bench/support/bare-ingest-server.js`,
        preload,
        env: { ...common, ...(options.postToSlack ? { BARE_SLACK_API_URL: slack.apiUrl } : {}) },
      });
    },
    startBareBolt() {
      return startChild({
        name: 'bare Bolt app',
        script: `${buildDir}/bench/support/bare-bolt.js`,
        preload,
        env: { ...common, ...slackEnv },
      });
    },
    async stop() {
      admin.disconnect();
      await Promise.all([slack.close(), redis.stop(), rm(runbooks.dir, { recursive: true, force: true })]);
    },
  };
}

/** Headers of an authenticated Alertmanager delivery (the baselines ignore the token). */
export const ALERT_HEADERS = {
  'content-type': 'application/json',
  authorization: `Bearer ${ALERT_TOKEN}`,
} as const;

/** Headers of an API call: with API_TOKEN set, reads need the bearer token as writes do. */
export const API_HEADERS = { authorization: `Bearer ${API_TOKEN}` } as const;
