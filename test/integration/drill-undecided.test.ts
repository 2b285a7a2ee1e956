/**
 * A scheduled drill whose runbook asks a person to decide (policy `approve`), and nobody does: 24 hours after it
 * started it ends, failed, "nobody decided within 24 h", so that the deploy gate reopens and the model's next
 * drill can start; on the deadline every replica polls, so it ends once with two replicas on one store.
 */
import { describe, expect, it } from 'vitest';
import { transition } from '../../src/core/incident.js';
import { dismiss } from '../../src/engine/decisions.js';
import { deploymentGate } from '../../src/engine/gate.js';
import { DRILL_DECISION_WAIT_MS } from '../../src/engine/drill-decision-wait.js';
import { drillHistory } from '../../src/engine/drill.js';
import { scheduleDrillOccurrence } from '../../src/engine/drill-schedule.js';
import { startDrill } from '../../src/engine/drill-start.js';
import { mutateIncident } from '../../src/engine/mutate.js';
import { pollDeadlines } from '../../src/engine/poller.js';
import { planDrills } from '../../src/scheduling/drills.js';
import { TestClock, metricValue, type TestDeps } from '../helpers/engine.js';
import { STAGING, drillDeps, scorecards } from '../helpers/drill-deps.js';
import { replicaBackends, useRedisStores } from '../helpers/replicas.js';

const APPROVE = 'rollback: { policy: approve, approvers: [U0ANA] }';
const redisStore = useRedisStores();
const backends = replicaBackends(redisStore);

/** Every deadline due now, handled by the replicas given at once, again while any keeps coming due. */
async function pollAll(...replicas: TestDeps[]): Promise<void> {
  while ((await Promise.all(replicas.map((deps) => pollDeadlines(deps)))).some((handled) => handled > 0));
}

describe.each(backends)('a scheduled drill nobody decides, on %s', (_name, storesOn) => {
  function replicas() {
    const clock = new TestClock();
    const storeOf = storesOn(clock);
    const first = drillDeps(STAGING, { runbook: APPROVE, clock });
    const second = drillDeps(STAGING, { runbook: APPROVE, clock });
    first.deps.store = storeOf();
    second.deps.store = storeOf();
    return { clock, first: first.deps, second: second.deps, staging: [first.staging, second.staging] };
  }

  async function waitingDrill() {
    const setup = replicas();
    const { first, second, clock } = setup;
    await scheduleDrillOccurrence(first, first.runbooks.require('fraud-scorer'), clock.now());
    await pollAll(first, second);
    const [drill] = (await first.store.listIncidents({})).filter((incident) => incident.drill);
    expect(drill).toMatchObject({ id: 'INC-1', phase: 'triage' });
    return { ...setup, startedAt: clock.now() };
  }

  it('stays open, the gate closed, until 24 hours after it started', async () => {
    const { first, second, clock, startedAt } = await waitingDrill();
    clock.set(startedAt + DRILL_DECISION_WAIT_MS - 1);
    await pollAll(first, second);
    expect((await first.store.getIncident('INC-1'))?.phase).toBe('triage');
    expect((await deploymentGate(first, 'fraud-scorer')).reasons).toContainEqual(
      expect.stringMatching(/^open incident INC-1 \(triage\)/),
    );
    expect(scorecards(first, second)).toEqual([]);
  });

  it('then ends failed, once across both replicas, and the gate and the next drill are free', async () => {
    const { first, second, clock, startedAt, staging } = await waitingDrill();
    clock.set(startedAt + DRILL_DECISION_WAIT_MS);
    await pollAll(first, second);

    const drill = await first.store.getIncident('INC-1');
    expect(drill?.phase).toBe('resolved');
    expect(drill?.drillEnding).toMatchObject({ succeeded: false, problem: 'nobody decided within 24 h' });
    // Nothing was rolled back: nobody decided to.
    expect(staging.map((fake) => fake.mutations)).toEqual([0, 0]);

    const cards = scorecards(first, second);
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatch(/^DRILL FAILED for fraud-scorer \(INC-1, kserve \(drill target\)\): /);
    expect(cards[0]).toContain('what went wrong: nobody decided within 24 h');
    const timeline = await first.store.list('INC-1');
    expect(timeline.filter((entry) => entry.type === 'drill.scorecard')).toHaveLength(1);
    expect(timeline.map((entry) => entry.type)).toContain('retro.opened');
    const failed = { model: 'fraud-scorer', outcome: 'failed' };
    const counted =
      (await metricValue(first.metrics, 'rollbot_drills_total', failed)) +
      (await metricValue(second.metrics, 'rollbot_drills_total', failed));
    expect(counted).toBe(1);
    expect((await drillHistory(first, 'fraud-scorer')).map((result) => result.outcome)).toEqual(['failed']);

    // Its deadline fired once and is gone; polling on changes nothing.
    expect((await first.store.pending()).some((deadline) => deadline.kind === 'drill-undecided')).toBe(false);
    await pollAll(second, first);
    expect(scorecards(first, second)).toHaveLength(1);

    const gate = await deploymentGate(second, 'fraud-scorer');
    expect(gate.reasons.filter((reason) => reason.startsWith('open incident'))).toEqual([]);
    const next = await startDrill(second, 'fraud-scorer', { by: 'schedule', auto: false });
    expect(next).toMatchObject({ id: 'INC-2', phase: 'triage' });
  });

  it('does not end a drill a person decided in time', async () => {
    const { first, second, clock, startedAt } = await waitingDrill();
    // Dismissed as not a rollback an hour in: ended by the person, scored once, with their reason.
    clock.advance(3_600_000);
    await dismiss(first, 'INC-1', {
      actor: { id: 'U0ANA', groups: [] },
      reason: 'testing the dismissal path',
      trigger: 'slack',
    });
    await pollAll(first, second);
    clock.set(startedAt + DRILL_DECISION_WAIT_MS);
    await pollAll(first, second);
    const cards = scorecards(first, second);
    expect(cards).toHaveLength(1);
    expect(cards[0]).not.toContain('nobody decided');
    expect((await first.store.getIncident('INC-1'))?.drillEnding?.problem).toMatch(
      /^dismissed as not a rollback/,
    );
  });
});

describe('a decision that lands as the wait for it ends', () => {
  it('wins: the drill goes on to its rollback, not ended as undecided', async () => {
    const { deps } = drillDeps(STAGING, { runbook: APPROVE });
    const drill = await startDrill(deps, 'fraud-scorer', { by: 'schedule', auto: false });
    deps.clock.advance(DRILL_DECISION_WAIT_MS);
    const inner = deps.store;
    let raced = false;
    deps.store = {
      ...inner,
      async getIncident(id) {
        const copy = await inner.getIncident(id);
        // The approver's decision is written just after the deadline's handler read the drill in triage.
        if (!raced && id === drill.id) {
          raced = true;
          await mutateIncident(inner, id, (current) => transition(current, 'rollback'));
        }
        return copy;
      },
    };
    await pollDeadlines(deps);
    deps.store = inner;
    const after = await inner.getIncident(drill.id);
    expect(after?.phase).toBe('rollback');
    expect(after?.drillEnding).toBeUndefined();
    expect(scorecards(deps)).toEqual([]);
  });
});

describe('a drill that waits for its decision since before waits were bounded', () => {
  it('gets its deadline from the drill planner, and ends 24 hours after it started', async () => {
    const { deps } = drillDeps(STAGING, { runbook: APPROVE });
    const drill = await startDrill(deps, 'fraud-scorer', { by: 'schedule', auto: false });
    // As an older build stored it: no deadline bounds its wait.
    await deps.store.cancel(`${drill.id}:drill-undecided`);
    deps.clock.advance(3 * 3_600_000);
    await planDrills(deps);
    deps.clock.set(drill.openedAt + DRILL_DECISION_WAIT_MS);
    await pollAll(deps);
    expect((await deps.store.getIncident(drill.id))?.drillEnding?.problem).toBe('nobody decided within 24 h');
    expect(scorecards(deps)).toHaveLength(1);
  });
});

describe('the request for a drill’s decision', () => {
  it('says the drill fails if nobody decides within 24 h', async () => {
    const { deps } = drillDeps(STAGING, { runbook: APPROVE });
    await startDrill(deps, 'fraud-scorer', { by: 'schedule', auto: false });
    const [request] = deps.notifier.ofType('decision.requested');
    expect(request?.text).toMatch(
      /the triage clock is running, and the drill fails if nobody decides within 24 h$/,
    );
  });
});
