import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { ingestAlerts } from '../../src/engine/intake.js';
import type { Runbook } from '../../src/runbooks/schema.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { firing } from './alerts.js';
import { runbookDir } from './bot-process.js';
import { makeDeps, makeRunbook, runbookYaml, TestClock, type TestDeps } from './engine.js';
import { startRedis, type RedisProcess } from './redis-server.js';

/** What a CLI run printed, and the Io that collects it. */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (text: string) => out.push(text), err: (text: string) => err.push(text) }, out, err };
}

/** What useSeededRedis gives each test: the Redis, the runbooks folder, and deps on the CLI's store. */
export interface SeededRedis {
  redis: RedisProcess;
  /** A folder with the runbooks, one `<model>.yml` each, for RUNBOOKS_DIR. */
  dir: string;
  /** On the keys the CLI opens in-process on REDIS_URL (prefix rollbot:): to seed and inspect. */
  deps: TestDeps;
}

/** How useSeededRedis lays out the runbooks and the store. */
export interface SeededRedisOptions {
  /** Every runbook's tier, in its file and in `deps` (each runbook's YAML says tier 1 otherwise). */
  tier?: Runbook['tier'];
  /** false: no alert, so the store starts empty. */
  alert?: boolean;
}

/**
 * For a file of CLI tests run in-process on Redis: a Redis of its own, the runbooks in a folder, and before each
 * test an empty store in which an alert for fraud-scorer has opened INC-1 (unless `options.alert` is false), as the
 * bot would have. `runbooks` is fraud-scorer's YAML beyond runbookYaml's, or that of each model it names. The
 * fields are filled by the hooks this registers.
 */
export function useSeededRedis(
  runbooks: string | Readonly<Record<string, string>>,
  options: SeededRedisOptions = {},
): SeededRedis {
  const extras = Object.entries(typeof runbooks === 'string' ? { 'fraud-scorer': runbooks } : runbooks);
  const { tier, alert = true } = options;
  const yamlOf = (model: string, extra: string) =>
    tier === undefined
      ? runbookYaml(model, extra)
      : runbookYaml(model, extra).replace('\ntier: 1\n', `\ntier: ${tier}\n`);
  const runbookOf = (model: string, extra: string) =>
    tier === undefined ? makeRunbook(model, extra) : { ...makeRunbook(model, extra), tier };
  const seeded = {} as SeededRedis;
  beforeAll(async () => {
    seeded.redis = await startRedis();
    seeded.dir = await runbookDir(
      Object.fromEntries(extras.map(([model, extra]) => [`${model}.yml`, yamlOf(model, extra)])),
    );
  });
  afterAll(() => seeded.redis.stop());
  beforeEach(async () => {
    const client = new Redis(seeded.redis.url);
    await client.flushall();
    client.disconnect();
    const clock = new TestClock(Date.now());
    seeded.deps = makeDeps({
      runbooks: extras.map(([model, extra]) => runbookOf(model, extra)),
      clock,
      store: createRedisStore({ redis: seeded.redis.url }),
    });
    if (alert) await ingestAlerts(seeded.deps, [firing('fraud-scorer', clock.now())]);
  });
  afterEach(() => seeded.deps.store.close());
  return seeded;
}
