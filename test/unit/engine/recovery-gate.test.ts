import { describe, expect, it } from 'vitest';
import { recordDeployment } from '../../../src/engine/deployments.js';
import { scheduleStageTarget } from '../../../src/engine/escalation.js';
import { drillHistory } from '../../../src/engine/drill.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { deploymentGate } from '../../../src/engine/gate.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { recoverInterruptedRollbacks } from '../../../src/engine/recovery.js';
import { ChangeFailed } from '../../../src/engine/serving-port.js';
import { createCommandAdapter } from '../../../src/serving/command/adapter.js';
import { commandConfig } from '../../../src/serving/command/config.js';
import { firing } from '../../helpers/alerts.js';
import { executingRollback } from '../../helpers/incidents.js';
import { makeDeps, makeRunbook, metricValue, type TestDeps } from '../../helpers/engine.js';
import { FakeServing, permanent, transient } from '../../helpers/fake-serving.js';

/** An incident whose rollback was executing when its bot died: the record says so, nobody holds the lock. */
async function interrupted(deps: TestDeps) {
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  const { incident } = await mutateIncident(deps.store, 'INC-1', (current) =>
    executingRollback(current, deps.clock.now()),
  );
  await scheduleStageTarget(deps, incident, 'rollback');
}

/**
 * The bot comes back after the attempt's bound (its 5m rollback target; the flip's ETA is 30s): a change that
 * does not show by then is not landing any more, so the settlement does not look again.
 */
function restartPastBound(deps: TestDeps): void {
  deps.clock.advance(5 * 60_000);
}

/** The outcome-unknown escalations `deps` sent (a missed rollback target is escalated on its own). */
function unknownEscalations(deps: TestDeps): string[] {
  return deps.notifier
    .ofType('escalation')
    .map((event) => event.text)
    .filter((text) => text.includes('outcome unknown'));
}

describe('a rollback interrupted by a crash', () => {
  it('is settled as succeeded when the layer shows traffic on the target — without executing again', async () => {
    const deps = makeDeps();
    await interrupted(deps);
    deps.fake.current = 'v41'; // the dead bot's call had gone through
    expect(await recoverInterruptedRollbacks(deps)).toBe(1);
    expect(deps.fake.calls).not.toContain('execute');
    const incident = await deps.store.getIncident('INC-1');
    expect(incident).toMatchObject({ phase: 'confirm', rollback: { status: 'succeeded' } });
    const texts = (await deps.store.list('INC-1')).map((entry) => entry.text);
    expect(texts).toContain(
      'outcome unknown: rollbot stopped while rolling back to v41; re-reading fake ml-prod/model instead of executing again',
    );
    expect(texts.at(-2)).toContain('the interrupted rollback took effect');
    expect(texts.at(-1)).toContain('no metrics source (PROMETHEUS_URL is not set): confirm by hand');
    expect((await deps.store.deployments('fraud-scorer')).length).toBe(0);
  });

  it('is left "unknown" and escalated when the layer does not show the target by the attempt\'s bound', async () => {
    const deps = makeDeps();
    await interrupted(deps);
    restartPastBound(deps);
    expect(await recoverInterruptedRollbacks(deps)).toBe(1);
    expect(deps.fake.calls).not.toContain('execute');
    expect((await deps.store.getIncident('INC-1'))?.rollback?.status).toBe('unknown');
    expect(deps.notifier.ofType('escalation')[0]?.text).toContain(
      'outcome unknown after a restart; fake ml-prod/model does not show traffic on v41',
    );
    expect(await metricValue(deps.metrics, 'rollbot_rollbacks_total', { outcome: 'unknown' })).toBe(1);
    // Settled once: a second pass finds nothing to do.
    expect(await recoverInterruptedRollbacks(deps)).toBe(0);
  });

  it('looks again while the change may still be landing, on any replica, and follows it once it lands', async () => {
    const first = makeDeps();
    await interrupted(first);
    first.clock.advance(60_000); // the bot restarts a minute into a 30s flip, inside the 5m rollback target
    expect(await recoverInterruptedRollbacks(first)).toBe(1);
    expect(first.notifier.ofType('escalation')).toEqual([]);
    expect((await first.store.getIncident('INC-1'))?.rollback?.status).toBe('unknown');
    const said = first.notifier.ofType('incident.updated').map((event) => event.text);
    expect(said).toEqual([
      'rollbot restarted during the rollback to v41: fake ml-prod/model does not show traffic on v41, but the change may still be landing (the plan expected 30s): rollbot does not run it again; it reads fake ml-prod/model again until 2026-11-22T02:05:00.000Z and escalates if the layer says the change failed, or traffic is not on v41 by then',
    ]);

    // The layer gets there; the next look, due in the store, is taken by another replica (the first died).
    const second = makeDeps({ store: first.store, clock: first.clock, fake: first.fake });
    first.fake.current = 'v41';
    first.clock.advance(15_000);
    await pollDeadlines(second);
    const incident = await first.store.getIncident('INC-1');
    expect(incident).toMatchObject({ phase: 'confirm', rollback: { status: 'succeeded' } });
    expect(first.notifier.ofType('escalation')).toEqual([]);
    expect(second.notifier.ofType('escalation')).toEqual([]);
    expect(await metricValue(second.metrics, 'rollbot_rollbacks_total', { outcome: 'unknown' })).toBe(0);
    expect(await metricValue(first.metrics, 'rollbot_rollbacks_total', { outcome: 'unknown' })).toBe(0);
    expect(first.fake.calls).not.toContain('execute');
    expect((await first.store.pending()).map((deadline) => deadline.kind)).not.toContain('rollback-settle');
  });

  it("escalates a change still not landed only once the attempt's bound (twice a long ETA) has passed", async () => {
    const deps = makeDeps();
    await interrupted(deps);
    const started = deps.clock.now();
    // A redeploy (a SageMaker UpdateEndpoint) expected to take 10m: the rollback itself would wait 20m for it.
    await mutateIncident(deps.store, 'INC-1', (current) =>
      current.rollback
        ? {
            ...current,
            rollback: { ...current.rollback, plan: { ...current.rollback.plan, etaMs: 600_000 } },
          }
        : undefined,
    );
    expect(await recoverInterruptedRollbacks(deps)).toBe(1);

    deps.clock.set(started + 20 * 60_000 - 1); // past the 5m target, inside the 20m bound
    await pollDeadlines(deps);
    expect(unknownEscalations(deps)).toEqual([]);
    expect(await deps.store.pending()).toContainEqual(
      expect.objectContaining({ kind: 'rollback-settle', dueAt: started + 20 * 60_000 }),
    );

    deps.clock.set(started + 20 * 60_000);
    await pollDeadlines(deps);
    expect(unknownEscalations(deps)).toEqual([
      'rollback of fraud-scorer to v41: outcome unknown after a restart; fake ml-prod/model does not show traffic on v41. Check it, then run the rollback again (rollbot rollback fraud-scorer --reason …) or decide otherwise.',
    ]);
    expect(await metricValue(deps.metrics, 'rollbot_rollbacks_total', { outcome: 'unknown' })).toBe(1);
    expect((await deps.store.pending()).map((deadline) => deadline.kind)).not.toContain('rollback-settle');
    expect(deps.fake.calls).not.toContain('execute');
  });

  it.each([
    ['a 503, worth reading again: looks again', transient(), []],
    [
      'a 403, which no later read mends: escalates at once',
      permanent(),
      [
        'rollback of fraud-scorer to v41: outcome unknown after a restart; fake ml-prod/model could not be checked (HTTP 403: forbidden (check RBAC)). Check it, then run the rollback again (rollbot rollback fraud-scorer --reason …) or decide otherwise.',
      ],
    ],
  ])('inside its bound, on a layer that answers %s', async (_case, error, escalated) => {
    const deps = makeDeps();
    await interrupted(deps);
    deps.fake.onTarget = () => Promise.reject(error);
    expect(await recoverInterruptedRollbacks(deps)).toBe(1);
    expect(unknownEscalations(deps)).toEqual(escalated);
    const looks = (await deps.store.pending()).filter((deadline) => deadline.kind === 'rollback-settle');
    expect(looks.map((deadline) => deadline.dueAt)).toEqual(
      escalated.length === 0 ? [deps.clock.now() + 15_000] : [],
    );
  });

  it('records its escalation only once it arrived: a replica killed with it still queued leaves it to another', async () => {
    const first = makeDeps();
    await interrupted(first);
    const second = makeDeps({ store: first.store, clock: first.clock, fake: first.fake });
    // Slack is down: the escalation waits in the settling replica's queue, which then dies (SIGKILL) with it.
    first.timing = { ...first.timing, arrivalWaitMs: 5 };
    first.notifier.arrival = () => new Promise<boolean>(() => undefined);
    restartPastBound(first);
    expect(await recoverInterruptedRollbacks(first)).toBe(1);
    expect(unknownEscalations(first)).toHaveLength(1);
    const escalated = async () =>
      (await first.store.list('INC-1')).filter(
        (entry) => entry.type === 'rollback.unknown' && entry.data?.escalated,
      );
    expect(await escalated()).toEqual([]);

    // The settlement's stand-in comes due on another replica, which sends the escalation, then records it.
    first.clock.advance(2 * 60_000);
    await pollDeadlines(second);
    expect(unknownEscalations(second)[0]).toContain('outcome unknown after a restart');
    expect(await escalated()).toMatchObject([{ data: { delivered: true } }]);
    first.clock.advance(10 * 60_000);
    await pollDeadlines(second);
    expect(await escalated()).toHaveLength(1);
    expect(first.fake.calls).not.toContain('execute');
  });

  it('counts its unknown outcome once, however often its settlement comes round while its escalation is on its way', async () => {
    const deps = makeDeps();
    await interrupted(deps);
    deps.timing = { ...deps.timing, arrivalWaitMs: 5 };
    // Slack is down for minutes: every round of the settlement re-reads the layer and waits in vain.
    deps.notifier.arrival = () => new Promise<boolean>(() => undefined);
    restartPastBound(deps);
    expect(await recoverInterruptedRollbacks(deps)).toBe(1);
    for (let round = 0; round < 2; round++) {
      deps.clock.advance(2 * 60_000);
      await pollDeadlines(deps);
    }
    expect(unknownEscalations(deps).length).toBeGreaterThan(1);
    expect(await metricValue(deps.metrics, 'rollbot_rollbacks_total', { outcome: 'unknown' })).toBe(1);
  });

  it('says it cannot tell, and warns against a blind re-run, when the layer has no status check', async () => {
    const deps = makeDeps();
    // A toggling `helm rollback` without statusArgv: a restarted bot cannot know whether it ran.
    const config = commandConfig.parse({ adapter: 'command', argv: ['helm', 'rollback', 'fraud-scorer'] });
    deps.serving = () => createCommandAdapter(config, { model: 'fraud-scorer', env: {} });
    await interrupted(deps);
    expect(await recoverInterruptedRollbacks(deps)).toBe(1);
    expect((await deps.store.getIncident('INC-1'))?.rollback?.status).toBe('unknown');
    const text = deps.notifier.ofType('escalation')[0]?.text;
    expect(text).toBe(
      'rollback of fraud-scorer to v41: outcome unknown after a restart: fake ml-prod/model has no status check, so rollbot cannot tell whether the rollback landed; check fake ml-prod/model by hand before running it again (a rollback that toggles, like helm rollback, undoes one that landed). If it landed, resolve once the metrics are back (rollbot resolve INC-1 --reason …); to let rollbot check next time, add a status check to the serving block of the runbook (statusArgv for command, status for http).',
    );
    expect(text).not.toContain('does not show traffic');
  });

  it('is left alone while another replica holds the lock', async () => {
    const deps = makeDeps();
    await interrupted(deps);
    await deps.store.acquire('rollback:fraud-scorer', 'U0ONCALL via slack', 60_000, deps.clock.now());
    expect(await recoverInterruptedRollbacks(deps)).toBe(0);
    expect((await deps.store.getIncident('INC-1'))?.rollback?.status).toBe('executing');
  });

  it("is settled after the dead bot's lease lapses, when its target came due while the lock still stood", async () => {
    const deps = makeDeps();
    await interrupted(deps);
    // The dead bot's lock outlives the rollback target (a target under a minute, or a crash late in a redeploy).
    await deps.store.acquire('rollback:fraud-scorer', 'rollbot (auto)', 10 * 60_000, deps.clock.now());
    deps.clock.advance(5 * 60_000);
    await pollDeadlines(deps);
    expect((await deps.store.getIncident('INC-1'))?.rollback?.status).toBe('executing');
    expect((await deps.store.pending()).map((deadline) => deadline.kind)).toContain('rollback-recover');

    deps.clock.advance(deps.timing.lockTtlMs); // still held: checked again later, nothing executed
    await pollDeadlines(deps);
    expect((await deps.store.getIncident('INC-1'))?.rollback?.status).toBe('executing');

    deps.clock.advance(5 * 60_000); // the lease has lapsed
    await pollDeadlines(deps);
    expect((await deps.store.getIncident('INC-1'))?.rollback?.status).toBe('unknown');
    expect(deps.fake.calls).not.toContain('execute');
    expect((await deps.store.pending()).map((deadline) => deadline.kind)).not.toContain('rollback-recover');
  });

  it('is settled when its rollback target comes due', async () => {
    const deps = makeDeps();
    await interrupted(deps);
    deps.clock.advance(5 * 60_000);
    await pollDeadlines(deps);
    expect((await deps.store.getIncident('INC-1'))?.rollback?.status).toBe('unknown');
  });
});

describe('a drill interrupted by a crash', () => {
  /**
   * A staging drill whose rollback was executing when its bot died. Production serves a version of the same
   * name as the drill's target, so reading the wrong layer would look like success.
   */
  async function interruptedDrill(options: { dryRun?: boolean } = {}) {
    const runbook = makeRunbook(
      'fraud-scorer',
      'drill: { serving: { adapter: kserve, namespace: ml-staging, name: fraud-scorer } }',
    );
    const deps = makeDeps({ runbooks: [runbook] });
    const production = deps.fake;
    production.current = 'v41';
    const staging = new FakeServing();
    deps.serving = (config) =>
      'namespace' in config && config.namespace === 'ml-staging' ? staging : production;
    const drill = await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: false, ...options });
    await mutateIncident(deps.store, drill.id, (current) =>
      executingRollback(current, deps.clock.now(), {
        target: options.dryRun ? 'fake ml-prod/model' : 'fake ml-staging/model',
        by: 'cli:ana',
        trigger: 'drill',
        reason: 'drill',
      }),
    );
    return { deps, production, staging, id: drill.id };
  }

  it('re-reads the drill target, leaves production and its ledger alone, and scores the drill', async () => {
    const { deps, production, staging, id } = await interruptedDrill();
    staging.current = 'v41'; // the dead bot's call had gone through on staging
    expect(await recoverInterruptedRollbacks(deps)).toBe(1);
    expect(production.calls).toEqual([]);
    expect(staging.calls).toEqual(['onTarget']);
    expect(await deps.store.rolledBack('fraud-scorer')).toEqual({});
    expect(await deps.store.getIncident(id)).toMatchObject({
      phase: 'resolved',
      rollback: { status: 'succeeded' },
    });
    const [result] = await drillHistory(deps, 'fraud-scorer');
    // The rollback landed, but a bot that stops mid-drill is what drills are for finding.
    expect(result).toMatchObject({ incidentId: id, outcome: 'failed' });
    expect(result?.problems[0]).toBe(
      'rollbot stopped during the rollback: fake ml-staging/model shows traffic on v41, so the interrupted rollback took effect',
    );
    expect(deps.notifier.ofType('escalation')).toEqual([]);
  });

  it('scores the drill failed, without paging production, when the drill target does not show the target', async () => {
    const { deps, production, id } = await interruptedDrill();
    expect(await recoverInterruptedRollbacks(deps)).toBe(1);
    expect(production.calls).toEqual([]);
    expect((await deps.store.getIncident(id))?.rollback?.status).toBe('unknown');
    const [result] = await drillHistory(deps, 'fraud-scorer');
    expect(result).toMatchObject({ incidentId: id, outcome: 'failed' });
    expect(result?.problems[0]).toBe(
      'rollbot stopped during the rollback: fake ml-staging/model does not show traffic on v41; check fake ml-staging/model by hand',
    );
    expect(deps.notifier.ofType('escalation')).toEqual([]);
  });

  it('scores the drill failed with what the drill target said, without paging, when it says the change failed', async () => {
    const { deps, production, staging, id } = await interruptedDrill();
    const said = 'deployment of v41 on fake ml-staging/model failed: image pull back-off';
    staging.targetErrors = [new ChangeFailed(said)];
    expect(await recoverInterruptedRollbacks(deps)).toBe(1);
    expect(production.calls).toEqual([]);
    expect((await deps.store.getIncident(id))?.rollback).toMatchObject({ status: 'failed', error: said });
    expect((await deps.store.list(id)).filter((entry) => entry.type === 'rollback.failed')).toMatchObject([
      { text: `rollback failed: ${said}` },
    ]);
    const [result] = await drillHistory(deps, 'fraud-scorer');
    expect(result).toMatchObject({ incidentId: id, outcome: 'failed' });
    expect(result?.problems[0]).toBe(`rollbot stopped during the rollback, which failed: ${said}`);
    expect(deps.notifier.ofType('escalation')).toEqual([]);
  });

  it('reads nothing for a dry-run drill: nothing was executed', async () => {
    const { deps, production, staging, id } = await interruptedDrill({ dryRun: true });
    expect(await recoverInterruptedRollbacks(deps)).toBe(1);
    expect(production.calls).toEqual([]);
    expect(staging.calls).toEqual([]);
    expect(await deps.store.rolledBack('fraud-scorer')).toEqual({});
    const [result] = await drillHistory(deps, 'fraud-scorer');
    expect(result).toMatchObject({ incidentId: id, outcome: 'failed' });
    expect(result?.problems[0]).toBe(
      'rollbot stopped during the rollback: a dry run executes nothing, so nothing changed',
    );
  });
});

describe('deployment gate', () => {
  it('is open for a quiet model and closed, with reasons, by an open incident or a rollback in flight', async () => {
    const deps = makeDeps({ runbooks: [{ ...makeRunbook('fraud-scorer'), tier: 2 }] });
    expect(await deploymentGate(deps, 'fraud-scorer')).toEqual({
      model: 'fraud-scorer',
      allowed: true,
      status: 'open',
      reasons: [],
    });

    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await deps.store.acquire(
      'rollback:fraud-scorer',
      'U0ONCALL via slack',
      600_000,
      Date.parse('2026-11-22T02:00:00Z'),
    );
    deps.clock.advance(90_000);
    const gate = await deploymentGate(deps, 'fraud-scorer');
    expect(gate.allowed).toBe(false);
    expect(gate.reasons).toEqual([
      'open incident INC-1 (triage) since 1m 30s: fraud-scorer error rate above 5%',
      'rollback in flight by U0ONCALL via slack since 2026-11-22T02:00:00.000Z',
    ]);
  });

  it('refuses an unknown model', async () => {
    await expect(deploymentGate(makeDeps(), 'nope')).rejects.toThrow('no runbook for model "nope"');
  });
});

describe('recording deployments', () => {
  it('adds to the ledger and counts them', async () => {
    const deps = makeDeps();
    const recorded = await recordDeployment(deps, {
      model: 'fraud-scorer',
      version: 'v43',
      previousVersion: 'v42',
      strategy: 'canary',
      by: 'api',
    });
    expect(recorded).toEqual({
      model: 'fraud-scorer',
      version: 'v43',
      previousVersion: 'v42',
      strategy: 'canary',
      by: 'api',
      at: deps.clock.now(),
    });
    expect(await deps.store.deployments('fraud-scorer')).toEqual([recorded]);
    expect(await metricValue(deps.metrics, 'rollbot_deployments_total', { model: 'fraud-scorer' })).toBe(1);
  });
});
