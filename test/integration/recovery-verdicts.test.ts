/**
 * What a restarted bot (a new engine on the same store) concludes about a rollback its predecessor was waiting on,
 * when the serving layer has a definite answer: the change landed ends the rollback stage, observed once in
 * rollbot_stage_duration_seconds with the duration the incident records, whichever replica settles it. Nothing
 * executes twice. On both stores alike.
 */
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../src/engine/intake.js';
import type { Store } from '../../src/engine/ports.js';
import { recoverInterruptedRollbacks } from '../../src/engine/recovery.js';
import { rollback, rollbackLockName, type RollbackRequest } from '../../src/engine/rollback.js';
import type { Metrics } from '../../src/observability/metrics.js';
import { firing } from '../helpers/alerts.js';
import { dyingStore } from '../helpers/dying-store.js';
import { makeDeps, metricValue, TestClock, type TestDeps } from '../helpers/engine.js';
import { FakeServing } from '../helpers/fake-serving.js';
import { lapsed, pollFor, replicaBackends, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

const request: RollbackRequest = {
  model: 'fraud-scorer',
  reason: 'errors after v42',
  by: 'U0ONCALL',
  trigger: 'slack',
};

/**
 * A bot on `store` that started a redeploy to v41, made the change, and died in its first wait for it to land;
 * then, `downFor` later, `replicas` fresh engines on the same store (a restart, or several replicas), sharing the
 * one serving layer.
 */
async function diedWhileLanding(store: () => Store, clock: TestClock, replicas = 1, downFor = 3 * MINUTE) {
  const fake = new FakeServing();
  fake.regime = 'redeploy';
  fake.stuck = true;
  const setup = makeDeps({ store: store(), clock, fake });
  await ingestAlerts(setup, [firing('fraud-scorer', clock.now())]);
  clock.advance(MINUTE);
  const dying = dyingStore(store(), 0, () => fake.calls.includes('onTarget'));
  const opener = makeDeps({ store: dying.store, clock, fake });
  opener.timing = { ...opener.timing, lockTtlMs: 500 };
  opener.sleep = () => new Promise<void>(() => undefined);
  void rollback(opener, request);
  await dying.died;
  clock.advance(downFor);
  await lapsed(setup.store, rollbackLockName('fraud-scorer'));
  fake.stuck = false;
  const restarted = Array.from({ length: replicas }, () => makeDeps({ store: store(), clock, fake }));
  return { fake, restarted };
}

/** rollbot_rollbacks_total by outcome, over every replica's registry. */
async function rollbacksCounted(replicas: readonly TestDeps[], outcome: string): Promise<number> {
  const counts = await Promise.all(
    replicas.map((deps) => metricValue(deps.metrics, 'rollbot_rollbacks_total', { outcome })),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}

/** How many rollback stage durations were observed, and their sum in seconds, over every replica's registry. */
async function rollbackStageObserved(replicas: readonly TestDeps[]): Promise<{ count: number; sum: number }> {
  let count = 0;
  let sum = 0;
  for (const { metrics } of replicas) {
    const { values } = await stageHistogram(metrics).get();
    // A histogram's values each name their series: its buckets, _count and _sum.
    for (const value of values as { metricName?: string; labels: { stage?: unknown }; value: number }[]) {
      if (value.labels.stage !== 'rollback') continue;
      if (value.metricName === 'rollbot_stage_duration_seconds_count') count += value.value;
      if (value.metricName === 'rollbot_stage_duration_seconds_sum') sum += value.value;
    }
  }
  return { count, sum };
}

function stageHistogram(metrics: Metrics) {
  const metric = metrics.registry.getSingleMetric('rollbot_stage_duration_seconds');
  if (!metric) throw new Error('no rollbot_stage_duration_seconds');
  return metric;
}

describe.each(replicaBackends(redisStore))('a restart during a rollback, on %s', (_name, storesOn) => {
  it('whose change landed observes the rollback stage once, with the duration the incident records', async () => {
    const clock = new TestClock();
    const { fake, restarted } = await diedWhileLanding(storesOn(clock), clock, 2, 4 * MINUTE);

    await Promise.all(restarted.map((deps) => recoverInterruptedRollbacks(deps)));
    const [first] = restarted;
    if (!first) throw new Error('no replica');
    await pollFor(first, 5 * MINUTE);

    const incident = await first.store.getIncident('INC-1');
    expect(incident?.rollback?.status).toBe('succeeded');
    const { startedAt, endedAt } = incident?.stages.rollback ?? {};
    if (startedAt === undefined || endedAt === undefined) throw new Error('the rollback stage has not ended');
    // From the decision (a minute after the alert) to the re-read that found traffic on v41: over the 4 minutes
    // the bot was down, not the moments since the restart.
    expect(endedAt - startedAt).toBeGreaterThanOrEqual(4 * MINUTE);
    expect(await rollbackStageObserved(restarted)).toEqual({ count: 1, sum: (endedAt - startedAt) / 1000 });
    expect(await rollbacksCounted(restarted, 'succeeded')).toBe(1);
    expect(fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
  });

  it('whose settler stalled after its re-read, its stand-in settling meanwhile, observes the stage once', async () => {
    const clock = new TestClock();
    const storeOf = storesOn(clock);
    const { fake, restarted } = await diedWhileLanding(storeOf, clock, 1);
    const [other] = restarted;
    if (!other) throw new Error('no replica');
    // The settler is cut off from the store right after it found traffic on v41 (its second look at the layer,
    // the dead opener's being the first), for longer than its settlement lock lives.
    const reads = () => fake.calls.filter((call) => call === 'onTarget').length;
    const stalling = dyingStore(storeOf(), 0, () => reads() >= 2);
    const settler = makeDeps({ store: stalling.store, clock, fake });
    settler.timing = { ...settler.timing, lockTtlMs: 500 };
    const settling = recoverInterruptedRollbacks(settler);
    await stalling.died;
    // Past its lock's TTL: on the test's clock for the memory store, in real time on Redis.
    clock.advance(1_000);
    await lapsed(other.store, 'settle:INC-1');

    // The settlement's stand-in settles it on the other replica; then the settler goes on where it stopped.
    await pollFor(other, 2 * MINUTE);
    expect((await other.store.getIncident('INC-1'))?.rollback?.status).toBe('succeeded');
    stalling.resume();
    expect(await settling).toBe(1);

    const incident = await other.store.getIncident('INC-1');
    const { startedAt = 0, endedAt = 0 } = incident?.stages.rollback ?? {};
    expect(await rollbackStageObserved([settler, other])).toEqual({
      count: 1,
      sum: (endedAt - startedAt) / 1000,
    });
    expect(await rollbacksCounted([settler, other], 'succeeded')).toBe(1);
    expect(fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
  });
});
