import type { TestProject } from 'vitest/node';
import { startRedis, type RedisProcess } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

let redis: RedisProcess | undefined;

/** One real Redis for the whole run (or the one in REDIS_URL); tests isolate themselves with key prefixes. */
export async function setup(project: TestProject): Promise<void> {
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
}
