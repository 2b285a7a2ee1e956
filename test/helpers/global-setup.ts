import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startRedis, type RedisProcess } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

let redis: RedisProcess | undefined;
let scratch: string | undefined;

/**
 * One real Redis for the whole run (or the one in REDIS_URL); tests isolate themselves with key prefixes. And one
 * scratch folder as every test's (and every process it starts) temporary directory, removed at the end: the runbook
 * folders, Prometheus rules and Redis data the tests write were left in /tmp, a thousand folders a run.
 */
export async function setup(project: TestProject): Promise<void> {
  scratch = mkdtempSync(join(tmpdir(), 'rollbot-tests-'));
  // Read by os.tmpdir() in the test workers, which start after this, and by the processes the tests start.
  process.env.TMPDIR = scratch;
  const external = process.env.REDIS_URL;
  if (external) {
    project.provide('redisUrl', external);
    return;
  }
  redis = await startRedis();
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
