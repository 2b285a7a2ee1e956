import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { ingestAlerts } from '../../src/engine/intake.js';
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
  /** A folder with fraud-scorer's runbook, for RUNBOOKS_DIR. */
  dir: string;
  /** On the keys the CLI opens in-process on REDIS_URL (prefix rollbot:): to seed and inspect. */
  deps: TestDeps;
}

/**
 * For a file of CLI tests run in-process on Redis: a Redis of its own, fraud-scorer's runbook (with `runbook`, more
 * of its YAML) in a folder, and before each test an empty store in which an alert has opened INC-1, as the bot
 * would have. The fields are filled by the hooks this registers.
 */
export function useSeededRedis(runbook: string): SeededRedis {
  const seeded = {} as SeededRedis;
  beforeAll(async () => {
    seeded.redis = await startRedis();
    seeded.dir = await runbookDir({ 'fraud-scorer.yml': runbookYaml('fraud-scorer', runbook) });
  });
  afterAll(() => seeded.redis.stop());
  beforeEach(async () => {
    const client = new Redis(seeded.redis.url);
    await client.flushall();
    client.disconnect();
    const clock = new TestClock(Date.now());
    seeded.deps = makeDeps({
      runbooks: [makeRunbook('fraud-scorer', runbook)],
      clock,
      store: createRedisStore({ redis: seeded.redis.url }),
    });
    await ingestAlerts(seeded.deps, [firing('fraud-scorer', clock.now())]);
  });
  afterEach(() => seeded.deps.store.close());
  return seeded;
}
