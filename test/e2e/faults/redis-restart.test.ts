/**
 * Faults (issue 8 §3): Redis restarts in the middle of an incident (same port, same AOF directory). The bot
 * says it is not ready while Redis is gone, reconnects by itself, and carries on where it was: nothing stored
 * is lost, an alert sent during the outage is taken once, and a deadline that came due meanwhile fires once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/free-port.js';
import { eventually, runbookDir, type BotProcess } from '../../helpers/bot-process.js';
import { startRedis, type RedisProcess } from '../../helpers/redis-server.js';
import {
  entries,
  incident,
  postAlert,
  readiness,
  requestRollback,
  type AlertResponse,
  type IncidentJson,
} from '../cluster/api.js';
import { BotFleet, botEnv } from '../cluster/bots.js';
import { startFakeServing, type FakeServing, type ServedModel } from '../cluster/fake-serving.js';
import { runbookFiles, uniqueModel } from '../cluster/runbooks.js';

const MODEL = uniqueModel('churn');
/** Short enough to come due while Redis is down. */
const TRIAGE_TARGET_MS = 8_000;

const fleet = new BotFleet();
let redisDir: string;
let redisPort: number;
let redis: RedisProcess | undefined;
let serving: FakeServing;
let served: ServedModel;
let bot: BotProcess;

beforeAll(async () => {
  // Our own Redis (not the shared one): it is stopped and started again on the same port and directory.
  redisDir = await mkdtemp(join(tmpdir(), 'rollbot-e2e-redis-'));
  redisPort = await freePort();
  [redis, serving] = await Promise.all([startRedis({ port: redisPort, dir: redisDir }), startFakeServing()]);
  served = serving.serve(MODEL, { active: 'v2', previous: 'v1' });
  const dir = await runbookDir(
    runbookFiles({
      model: MODEL,
      servingUrl: serving.url,
      targets: { triage: `${TRIAGE_TARGET_MS / 1000}s` },
    }),
  );
  bot = await fleet.start(botEnv({ redisUrl: redis.url, runbooksDir: dir }));
}, 60_000);

afterAll(async () => {
  await fleet.stopAll();
  await Promise.all([redis?.stop(), serving?.close()]);
  await rm(redisDir, { recursive: true, force: true });
});

/** Sends an alert the way Alertmanager does: a notification that got no 2xx is sent again. */
async function deliverUntilAccepted(body: unknown): Promise<{ attempts: number; response: AlertResponse }> {
  let attempts = 0;
  const response = await eventually(
    async () => {
      attempts++;
      const answer = await postAlert(bot.url, body).catch(() => undefined);
      return answer?.status === 202 ? answer : undefined;
    },
    60_000,
    'the alert to be accepted',
  );
  return { attempts, response };
}

/** A generic alert; with its own startsAt, so that a re-sent notification is recognised as the same alert. */
const alert = (fingerprint: string) => ({
  model: MODEL,
  severity: 'critical',
  summary: `${MODEL} error rate above 5%`,
  fingerprint,
  startsAt: new Date(Date.now() - 60_000).toISOString(),
});

describe('Redis restarted mid-incident', () => {
  it('is not ready while Redis is down, reconnects, and continues the incident with nothing lost', async () => {
    const opened = await postAlert(bot.url, alert('fp-first'));
    const incidentId = opened.body.results?.[0]?.incidentId ?? '';
    const before: IncidentJson = await eventually(
      async () => {
        const detail = await incident(bot.url, incidentId);
        return entries(detail, 'decision.requested').length > 0 ? detail : undefined;
      },
      15_000,
      'triage to ask for a decision',
    );
    expect(await readiness(bot.url)).toBe(200);

    await redis?.stop();
    redis = undefined;
    await eventually(
      async () => ((await readiness(bot.url)) === 503 ? true : undefined),
      15_000,
      '/readyz 503',
    );
    // An alert during the outage: Alertmanager keeps sending it until the bot takes it.
    const duringOutage = deliverUntilAccepted(alert('fp-during-outage'));
    // Let the triage target come due while Redis is down, so that its deadline waits in the store.
    const triageDueAt = (before.stages.find((s) => s.stage === 'triage')?.startedAt ?? 0) + TRIAGE_TARGET_MS;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, triageDueAt - Date.now()) + 1_000));
    expect(await readiness(bot.url)).toBe(503);

    redis = await startRedis({ port: redisPort, dir: redisDir });
    await eventually(
      async () => ((await readiness(bot.url)) === 200 ? true : undefined),
      30_000,
      '/readyz 200',
    );

    const { response } = await duringOutage;
    // 'duplicate' if an earlier attempt was stored but not answered: what counts is that it is stored once.
    expect(response.body.results).toEqual([
      expect.objectContaining({ outcome: expect.stringMatching(/^(attached|duplicate)$/), incidentId }),
    ]);
    const breached = await eventually(
      async () => {
        const detail = await incident(bot.url, incidentId);
        return entries(detail, 'stage.breached').length > 0 ? detail : undefined;
      },
      30_000,
      'the triage target escalation after the restart',
    );
    // What was stored before the outage is all still there, in order, with the new entries after it.
    expect(breached.timeline.slice(0, before.timeline.length)).toEqual(before.timeline);
    expect(breached.alerts.map((a) => a.fingerprint)).toEqual(['fp-first', 'fp-during-outage']);

    // And the incident moves on: a rollback after the restart runs and is recorded.
    const rolled = await requestRollback(bot.url, {
      model: MODEL,
      reason: 'errors after v2',
      requestedBy: 'oncall',
    });
    expect(rolled.status).toBe(200);
    expect(served.rollbackCalls).toHaveLength(1);
    expect(served.active).toBe('v1');
    const after = await incident(bot.url, incidentId);
    expect(after.phase).toBe('confirm');
    expect(entries(after, 'incident.opened')).toHaveLength(1);
    expect(entries(after, 'alert.attached')).toHaveLength(1);
    expect(entries(after, 'stage.breached')).toEqual([
      expect.objectContaining({ text: expect.stringContaining(`triage target missed for ${MODEL}`) }),
    ]);
    expect(entries(after, 'rollback.succeeded')).toHaveLength(1);
  });
});
