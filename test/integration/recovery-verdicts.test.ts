/**
 * What a restarted bot (a new engine on the same store) concludes about a rollback its predecessor was waiting on,
 * when the serving layer has a definite answer: the change failed (the layer said so, ChangeFailed) is recorded,
 * counted and escalated exactly as this process records a failure it sees itself, not as "outcome unknown"; the
 * change landed ends the rollback stage, observed once in rollbot_stage_duration_seconds with the duration the
 * incident records. A layer that could not be read still leaves the outcome unknown. Nothing executes twice, and
 * two replicas settling at once say and count it once. On both stores alike.
 */
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../src/engine/intake.js';
import type { Store } from '../../src/engine/ports.js';
import { recoverInterruptedRollbacks } from '../../src/engine/recovery.js';
import { rollback } from '../../src/engine/rollback.js';
import { ChangeFailed } from '../../src/engine/serving-port.js';
import type { Metrics } from '../../src/observability/metrics.js';
import { firing } from '../helpers/alerts.js';
import { dyingStore } from '../helpers/dying-store.js';
import { makeDeps, metricValue, TestClock, type TestDeps, ONCALL_ROLLBACK } from '../helpers/engine.js';
import { FakeServing, permanent } from '../helpers/fake-serving.js';
import {
  lapsed,
  pollFor,
  replicaBackends,
  rollbackDiesLanding,
  useRedisStores,
} from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

const request = ONCALL_ROLLBACK;

/** What a layer says when its deployment of the old version finished with an error. */
const deployFailed = () =>
  new ChangeFailed('deployment of v41 on fake ml-prod/model failed: quota exceeded for n1-standard-4', {
    hint: 'traffic stays where it was; check the quota, then roll back again',
  });

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
  await rollbackDiesLanding({ store: store(), survivor: setup.store, clock, fake, request, downFor });
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

/**
 * The escalations about the rollback's outcome (a failure, or an unknown outcome) over every replica: not the
 * rollback target's, which a restart past it sends as well.
 */
function failureEscalations(replicas: readonly TestDeps[]) {
  return replicas
    .flatMap((deps) => deps.notifier.ofType('escalation'))
    .filter((event) => event.about === 'rollback-failed' || event.about === 'outcome-unknown');
}

/** The timeline entries of `type`, as what they say: text and data. */
async function entries(store: Store, type: string) {
  return (await store.list('INC-1'))
    .filter((entry) => entry.type === type)
    .map(({ text, data }) => ({ text, data }));
}

describe.each(replicaBackends(redisStore))('a restart during a rollback, on %s', (_name, storesOn) => {
  /**
   * A replica died while its change landed, another is up, and a settler is cut off from the store right after its
   * second look at the layer (the dead opener's being the first), for longer than its settlement lock lives: past
   * its lock's TTL (on the test's clock for the memory store, in real time on Redis). `answers` sets what the layer
   * says before anyone looks.
   */
  /** diedWhileLanding on this backend, with one bot restarted, on a clock of its own. */
  async function restartedBot() {
    const clock = new TestClock();
    const {
      fake,
      restarted: [bot],
    } = await diedWhileLanding(storesOn(clock), clock);
    if (!bot) throw new Error('no restarted bot');
    return { fake, bot, clock };
  }

  async function stalledSettlement(answers: (layer: FakeServing) => void = () => {}) {
    const clock = new TestClock();
    const storeOf = storesOn(clock);
    const { fake, restarted } = await diedWhileLanding(storeOf, clock, 1);
    const [other] = restarted;
    if (!other) throw new Error('no replica');
    answers(fake);
    const reads = () => fake.calls.filter((call) => call === 'onTarget').length;
    const stalling = dyingStore(storeOf(), 0, () => reads() >= 2);
    const settler = makeDeps({ store: stalling.store, clock, fake });
    settler.timing = { ...settler.timing, lockTtlMs: 500 };
    const settling = recoverInterruptedRollbacks(settler);
    await stalling.died;
    clock.advance(1_000);
    await lapsed(other.store, 'settle:INC-1');
    return { fake, other, settler, stalling, settling };
  }

  it('whose change the layer says FAILED records, counts and escalates the failure as the rollback itself would', async () => {
    // The same failure seen by the rollback's own wait, in one process, for what it records and says.
    const inProcess = makeDeps({ store: storesOn(new TestClock())(), fake: new FakeServing() });
    inProcess.fake.regime = 'redeploy';
    inProcess.fake.targetErrors = [deployFailed()];
    await ingestAlerts(inProcess, [firing('fraud-scorer', inProcess.clock.now())]);
    expect(await rollback(inProcess, request)).toMatchObject({ outcome: 'failed' });

    const { fake, bot } = await restartedBot();
    fake.targetErrors = [deployFailed()];
    expect(await recoverInterruptedRollbacks(bot)).toBe(1);

    const incident = await bot.store.getIncident('INC-1');
    expect(incident?.rollback).toMatchObject({
      attempt: 1,
      status: 'failed',
      error: deployFailed().message,
    });
    // The failure's record: the same entry, first unescalated, then its escalation's mark.
    const failed = await entries(bot.store, 'rollback.failed');
    expect(failed).toEqual(await entries(inProcess.store, 'rollback.failed'));
    expect(failed.map((entry) => entry.data?.escalated === true)).toEqual([false, true]);
    // Said as the rollback's own failure is: same words, same buttons, same people.
    const [escalation, ...more] = bot.notifier.ofType('escalation');
    const [seen] = inProcess.notifier.ofType('escalation');
    expect(more).toEqual([]);
    expect(escalation).toMatchObject({
      about: 'rollback-failed',
      stage: 'rollback',
      mention: ['S0PLATFORM'],
      text: seen?.text,
    });
    expect(escalation?.text).toBe(
      `rollback of fraud-scorer to v41 FAILED: ${deployFailed().message}. Traffic may still be on v42; decide now.`,
    );
    // Nobody is told the outcome is unknown: it is not.
    const unknown = await entries(bot.store, 'rollback.unknown');
    expect(unknown.map((entry) => entry.text)).toEqual([
      'outcome unknown: rollbot stopped while rolling back to v41; re-reading fake ml-prod/model instead of executing again',
    ]);
    expect(await rollbacksCounted([bot], 'failed')).toBe(1);
    expect(await rollbacksCounted([bot], 'unknown')).toBe(0);
    expect((await rollbackStageObserved([bot])).count).toBe(0);

    // The stand-ins that come due later (the settlement's, the failure escalation's) add nothing; the rollback
    // target, missed meanwhile, is escalated as it is after any failure.
    await pollFor(bot, 5 * MINUTE);
    expect(failureEscalations([bot])).toHaveLength(1);
    expect(await entries(bot.store, 'rollback.failed')).toHaveLength(2);
    expect(await rollbacksCounted([bot], 'failed')).toBe(1);
    expect(fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
  });

  it('whose change was still landing, then FAILED, is failed at the look that finds it, not at the bound', async () => {
    const { fake, bot, clock } = await restartedBot();
    // Not landed yet at the restart: the settlement waits, saying so, and looks again every 15 s.
    fake.stuck = true;
    expect(await recoverInterruptedRollbacks(bot)).toBe(1);
    expect((await entries(bot.store, 'rollback.waiting')).map((entry) => entry.text)).toEqual([
      expect.stringContaining(
        'escalates if the layer says the change failed, or traffic is not on v41 by then',
      ),
    ]);
    await pollFor(bot, MINUTE);
    expect(failureEscalations([bot])).toEqual([]);

    // The deployment then fails; the next look finds it, long before the attempt's bound (twice a 10m ETA).
    const failedAt = clock.now();
    fake.targetErrors = [deployFailed()];
    await pollFor(bot, 30_000);
    expect((await bot.store.getIncident('INC-1'))?.rollback).toMatchObject({
      status: 'failed',
      error: deployFailed().message,
    });
    expect((await bot.store.getIncident('INC-1'))?.rollback?.endedAt).toBeLessThanOrEqual(failedAt + 30_000);
    expect(failureEscalations([bot])).toMatchObject([{ about: 'rollback-failed' }]);
    expect(await rollbacksCounted([bot], 'failed')).toBe(1);
    expect(await rollbacksCounted([bot], 'unknown')).toBe(0);
    expect(fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
  });

  it('whose failure two replicas find at once is recorded, counted and escalated once', async () => {
    const clock = new TestClock();
    const { fake, restarted } = await diedWhileLanding(storesOn(clock), clock, 2);
    fake.targetErrors = [deployFailed(), deployFailed()];

    const settled = await Promise.all(restarted.map((deps) => recoverInterruptedRollbacks(deps)));
    const [first] = restarted;
    if (!first) throw new Error('no replica');
    await pollFor(first, 5 * MINUTE);

    expect(settled.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect((await first.store.getIncident('INC-1'))?.rollback?.status).toBe('failed');
    expect(await entries(first.store, 'rollback.failed')).toHaveLength(2);
    expect(failureEscalations(restarted)).toHaveLength(1);
    expect(await rollbacksCounted(restarted, 'failed')).toBe(1);
    expect(await rollbacksCounted(restarted, 'unknown')).toBe(0);
    expect(fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
  });

  it('whose layer could not be read leaves the outcome unknown: only the layer saying it failed is a verdict', async () => {
    const { fake, bot } = await restartedBot();
    fake.targetErrors = [permanent()];
    expect(await recoverInterruptedRollbacks(bot)).toBe(1);

    expect((await bot.store.getIncident('INC-1'))?.rollback?.status).toBe('unknown');
    const [escalation] = bot.notifier.ofType('escalation');
    expect(escalation).toMatchObject({ about: 'outcome-unknown' });
    expect(escalation?.text).toContain('could not be checked (HTTP 403: forbidden (check RBAC))');
    expect(await entries(bot.store, 'rollback.failed')).toEqual([]);
    expect(await rollbacksCounted([bot], 'unknown')).toBe(1);
    expect(await rollbacksCounted([bot], 'failed')).toBe(0);
  });

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
    const { fake, other, settler, stalling, settling } = await stalledSettlement();

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

  it('whose settler stalled after the layer said the change failed, its stand-in settling meanwhile, says it once', async () => {
    const { fake, other, settler, stalling, settling } = await stalledSettlement((layer) => {
      layer.targetErrors = [deployFailed(), deployFailed()];
    });

    await pollFor(other, 2 * MINUTE);
    expect((await other.store.getIncident('INC-1'))?.rollback?.status).toBe('failed');
    stalling.resume();
    expect(await settling).toBe(1);
    await pollFor(other, 2 * MINUTE);

    const failed = await entries(other.store, 'rollback.failed');
    expect(failed.map((entry) => entry.data?.escalated === true)).toEqual([false, true]);
    expect(failureEscalations([settler, other])).toHaveLength(1);
    expect(await rollbacksCounted([settler, other], 'failed')).toBe(1);
    expect(await rollbacksCounted([settler, other], 'unknown')).toBe(0);
    expect(fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
  });
});
