import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runbookDir, startBotProcess } from '../helpers/bot-process.js';
import { runbookYaml } from '../helpers/engine.js';
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
});
