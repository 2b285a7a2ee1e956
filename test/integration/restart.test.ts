import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { eventually, runbookDir, startBotProcess, type BotProcess } from '../helpers/bot-process.js';
import { runbookYaml } from '../helpers/engine.js';

const TOKEN = 'restart-test-token';
let redis: RedisProcess;
const bots: BotProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const bot of bots) await bot.kill('SIGKILL');
  await redis.stop();
});

interface TimelineEntry {
  type: string;
  text: string;
}

describe('a bot killed with SIGKILL', () => {
  it('keeps the incident and fires its pending triage deadline once after restart', async () => {
    // A 4 s triage target, so the deadline comes due while the first process is dead.
    const dir = await runbookDir({
      'fraud-scorer.yml': runbookYaml('fraud-scorer', 'targets: { triage: 4s }'),
    });
    const env = { REDIS_URL: redis.url, RUNBOOKS_DIR: dir, ALERT_WEBHOOK_TOKEN: TOKEN };

    const first = await startBotProcess(env);
    bots.push(first);
    const posted = await fetch(`${first.url}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ model: 'fraud-scorer', severity: 'critical', summary: 'error rate 9%' }),
    });
    expect(posted.status).toBe(202);
    expect(await posted.json()).toMatchObject({ opened: 1, results: [{ incidentId: 'INC-1' }] });
    await first.kill('SIGKILL');
    expect(first.output()).not.toContain('ESCALATION');

    const second = await startBotProcess(env);
    bots.push(second);
    const incident = (await (await fetch(`${second.url}/api/incidents/INC-1`)).json()) as {
      phase: string;
      timeline: TimelineEntry[];
    };
    expect(incident.phase).toBe('triage');
    expect(incident.timeline.map((entry) => entry.type)).toContain('incident.opened');

    const breached = await eventually(
      async () => {
        const detail = (await (await fetch(`${second.url}/api/incidents/INC-1`)).json()) as {
          timeline: TimelineEntry[];
        };
        const entries = detail.timeline.filter((entry) => entry.type === 'stage.breached');
        return entries.length > 0 ? entries : undefined;
      },
      15_000,
      'the triage escalation',
    );
    expect(breached).toHaveLength(1);
    expect(breached[0]?.text).toContain('triage target missed for fraud-scorer (INC-1)');
    await eventually(
      async () => (second.output().includes('ESCALATION') ? true : undefined),
      5_000,
      'console escalation',
    );

    // Two more poll intervals: still exactly one escalation.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const final = (await (await fetch(`${second.url}/api/incidents/INC-1`)).json()) as {
      timeline: TimelineEntry[];
    };
    expect(final.timeline.filter((entry) => entry.type === 'stage.breached')).toHaveLength(1);
    expect(second.output().match(/ESCALATION/g)).toHaveLength(1);
    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    expect(metrics).toContain('rollbot_target_breaches_total{stage="triage",model="fraud-scorer"} 1');
  });
});
