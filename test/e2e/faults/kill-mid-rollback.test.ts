/**
 * Faults (issue 8 §3): the bot is SIGKILLed while the serving layer is executing rollbacks, and restarted at
 * once. The restarted bot must never execute again: it marks the outcome unknown and re-reads the serving
 * layer. Three models, killed in the same instant (beforeAll); each test checks one of them.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_TIMING } from '../../../src/engine/context.js';
import { eventually, runbookDir, type BotProcess } from '../../helpers/bot-process.js';
import {
  entries,
  incident,
  metricSum,
  postAlert,
  requestRollback,
  type IncidentJson,
} from '../cluster/api.js';
import { BotFleet, botEnv } from '../cluster/bots.js';
import { startFakeServing, type FakeServing, type ServedModel } from '../cluster/fake-serving.js';
import { runbookFiles, uniqueModel } from '../cluster/runbooks.js';

/** Its rollback request moved traffic, but the answer never came. */
const APPLIED = uniqueModel('search-applied');
/** Its rollback request never did anything. */
const LOST = uniqueModel('search-lost');
/** Like APPLIED, with a rollback target that comes due while the dead bot's lock still stands. */
const SHORT = uniqueModel('search-short');
/**
 * Longer than the rollback lock's lease (DEFAULT_TIMING.lockTtlMs, 60 s): when the target comes due the dead
 * bot's lock has lapsed, so the restarted bot knows that nobody is rolling back any more.
 */
const LONG_TARGET = '70s';
const SHORT_TARGET = '20s';

const fleet = new BotFleet();
let serving: FakeServing;
const served: Record<string, ServedModel> = {};
const incidentIds: Record<string, string> = {};
let restarted: BotProcess;
let killedAt: number;

beforeAll(async () => {
  serving = await startFakeServing();
  const runbooks = [
    { model: APPLIED, switchFirst: true, target: LONG_TARGET },
    { model: LOST, switchFirst: false, target: LONG_TARGET },
    { model: SHORT, switchFirst: true, target: SHORT_TARGET },
  ].map(({ model, switchFirst, target }) => {
    const layer = serving.serve(model, { active: 'v2', previous: 'v1' });
    layer.behaviour = { kind: 'hang', switchFirst };
    served[model] = layer;
    return { model, servingUrl: serving.url, servingTimeout: '60s', targets: { rollback: target } };
  });
  const env = botEnv({
    redisUrl: inject('redisUrl'),
    runbooksDir: await runbookDir(runbookFiles(...runbooks)),
  });

  const first = await fleet.start(env);
  for (const { model } of runbooks) {
    const opened = await postAlert(first.url, {
      model,
      severity: 'critical',
      summary: `${model} p99 doubled`,
    });
    incidentIds[model] = opened.body.results?.[0]?.incidentId ?? '';
  }
  // The requests hang at the serving layer; they end (with a socket error) when the bot dies.
  const pending = runbooks.map(({ model }) =>
    requestRollback(first.url, { model, reason: 'p99 doubled after v2', requestedBy: 'oncall' }).catch(
      (error: unknown) => error,
    ),
  );
  await eventually(
    async () => Object.values(served).every((model) => model.rollbackCalls.length === 1) || undefined,
    20_000,
    'every rollback request at the serving layer',
  );
  await first.kill('SIGKILL');
  killedAt = Date.now();
  await Promise.all(pending);
  restarted = await fleet.start(env);
}, 90_000);

afterAll(async () => {
  await fleet.stopAll();
  await serving?.close();
});

const idOf = (model: string): string => incidentIds[model] ?? '';
function servedModel(model: string): ServedModel {
  const found = served[model];
  if (!found) throw new Error(`${model} is not served`);
  return found;
}

/**
 * Waits until the restarted bot has re-read the serving layer for the model's incident: its verdict follows
 * the first "outcome unknown" entry, as "took effect" or as a second "outcome unknown" that asks a person.
 */
async function reRead(model: string, timeoutMs = 120_000): Promise<IncidentJson> {
  let last: IncidentJson | undefined;
  try {
    return await eventually(
      async () => {
        last = await incident(restarted.url, idOf(model));
        const verdicts = [...entries(last, 'rollback.unknown'), ...entries(last, 'rollback.succeeded')];
        return verdicts.length >= 2 ? last : undefined;
      },
      timeoutMs,
      `the serving layer to be re-read for ${model} (${idOf(model)})`,
    );
  } catch (error) {
    const seen = `rollback ${last?.rollback?.status}, timeline ${last?.timeline.map((e) => e.type).join(', ')}`;
    throw new Error(`${(error as Error).message}; last seen: ${seen}`, { cause: error });
  }
}

const UNKNOWN =
  /^outcome unknown: rollbot stopped while rolling back to v1; re-reading http 127\.0\.0\.1:\d+/;

describe('SIGKILL during a rollback, restarted at once', () => {
  it('neither executes again nor guesses while the dead bot may still hold the lock', async () => {
    for (const model of [APPLIED, LOST, SHORT]) {
      expect((await incident(restarted.url, idOf(model))).rollback?.status).toBe('executing');
    }
    expect(Object.values(served).map((model) => model.rollbackCalls.length)).toEqual([1, 1, 1]);
    expect([APPLIED, LOST, SHORT].map((model) => servedModel(model).active)).toEqual(['v1', 'v2', 'v1']);
  });

  it('settles a rollback that took effect: outcome unknown, re-read, traffic on v1, confirming', async () => {
    const detail = await reRead(APPLIED);

    expect(servedModel(APPLIED).rollbackCalls).toHaveLength(1);
    expect(detail.rollback?.status).toBe('succeeded');
    expect(entries(detail, 'rollback.unknown')).toEqual([
      expect.objectContaining({ text: expect.stringMatching(UNKNOWN) }),
    ]);
    expect(entries(detail, 'rollback.succeeded')).toEqual([
      expect.objectContaining({ text: expect.stringContaining('the interrupted rollback took effect') }),
    ]);
    expect(detail.phase).toBe('confirm');
  }, 150_000);

  it('leaves a rollback that did not take effect unknown, and asks a person to check', async () => {
    const detail = await reRead(LOST);

    expect(servedModel(LOST).rollbackCalls).toHaveLength(1);
    expect(servedModel(LOST).active).toBe('v2');
    expect(detail.rollback?.status).toBe('unknown');
    expect(entries(detail, 'rollback.unknown').map((entry) => entry.text)).toEqual([
      expect.stringMatching(UNKNOWN),
      expect.stringMatching(
        /outcome unknown after a restart; http 127\.0\.0\.1:\d+ does not show traffic on v1/,
      ),
    ]);
    expect(entries(detail, 'rollback.succeeded')).toEqual([]);
    await eventually(
      async () =>
        restarted.output().includes(`rollback of ${LOST} to v1: outcome unknown`) ? true : undefined,
      10_000,
      'the escalation of the unknown outcome',
    );
    expect(
      await metricSum([restarted.url], 'rollbot_rollbacks_total', { model: LOST, outcome: 'unknown' }),
    ).toBe(1);
  }, 150_000);

  // The rollback target came due while the dead bot's lock still stood: recovery is checked again a lease
  // later (engine/recovery.ts recoverOrCheckLater), so the incident does not stay "executing" until a restart.
  it('settles an interrupted rollback whose target came due while the dead bot still held the lock', async () => {
    const lockLapsedBy = killedAt + DEFAULT_TIMING.lockTtlMs;
    const detail = await reRead(SHORT, lockLapsedBy + 30_000 - Date.now());

    expect(servedModel(SHORT).rollbackCalls).toHaveLength(1);
    expect(detail.rollback?.status).toBe('succeeded');
    expect(entries(detail, 'rollback.unknown')).toEqual([
      expect.objectContaining({ text: expect.stringMatching(UNKNOWN) }),
    ]);
  }, 150_000);
});
