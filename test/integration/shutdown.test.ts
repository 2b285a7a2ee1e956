import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollback } from '../../src/engine/rollback.js';
import { startBot } from '../../src/main.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { eventually, runbookDir, startBotProcess } from '../helpers/bot-process.js';
import { runbookYaml } from '../helpers/engine.js';
import { FakeServing } from '../helpers/fake-serving.js';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';

let redis: RedisProcess;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

describe('SIGTERM', () => {
  it('stops taking work, closes Redis and exits 0, keeping what it stored', async () => {
    const dir = await runbookDir({ 'fraud-scorer.yml': runbookYaml('fraud-scorer') });
    const env = { REDIS_URL: redis.url, RUNBOOKS_DIR: dir, ALERT_WEBHOOK_TOKEN: 't' };
    const bot = await startBotProcess(env);
    const posted = await fetch(`${bot.url}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      body: JSON.stringify({ model: 'fraud-scorer', severity: 'critical', summary: 'errors' }),
    });
    expect(posted.status).toBe(202);

    const exited = new Promise<number | null>((resolve) => bot.child.once('exit', (code) => resolve(code)));
    bot.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(bot.output()).toContain('"msg":"shutting down"');
    await expect(fetch(`${bot.url}/healthz`)).rejects.toThrow();

    const again = await startBotProcess(env);
    try {
      expect(await (await fetch(`${again.url}/api/incidents/INC-1`)).json()).toMatchObject({
        id: 'INC-1',
        phase: 'triage',
      });
    } finally {
      await again.kill('SIGKILL');
    }
  });

  it('lets a rollback started from Slack finish before it closes the store', async () => {
    const dir = await runbookDir({ 'fraud-scorer.yml': runbookYaml('fraud-scorer') });
    const serving = new FakeServing();
    let release = () => {};
    const executing = new Promise<void>((started) => {
      serving.duringExecute = () => {
        started();
        return new Promise<void>((resolve) => (release = resolve));
      };
    });
    const env = { REDIS_URL: redis.url, RUNBOOKS_DIR: dir, PORT: '0', LOG_LEVEL: 'silent' };
    const bot = await startBot(env, { serving: () => serving });
    // As the Slack listener does once it has acked: the rollback runs on after the request was answered.
    const running = rollback(bot.deps, {
      model: 'fraud-scorer',
      reason: 'p99 doubled',
      by: 'U0ANA',
      trigger: 'slack',
    });
    await executing;
    const stopped = bot.stop();
    // Everything else stop() does takes milliseconds: without the wait, the store would be closed by now.
    setTimeout(release, 500);
    await stopped;
    const outcome = await running;
    expect(outcome.outcome).toBe('succeeded');
    const store = createRedisStore({ redis: redis.url });
    try {
      await eventually(
        async () => (await store.getIncident(outcome.incidentId ?? ''))?.phase === 'confirm' || undefined,
        2_000,
        'the incident in confirm',
      );
    } finally {
      await store.close();
    }
  });
});
