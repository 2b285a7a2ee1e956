import { describe, expect, it } from 'vitest';
import { dismiss } from '../../../src/engine/decisions.js';
import { DRILL_SCORE, drillHistory, finishDrill, lastDrillSuccess } from '../../../src/engine/drill.js';
import { finishDrillScoring } from '../../../src/engine/drill-scoring.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { completeRetrospective, retroCounts } from '../../../src/engine/retro.js';
import { getRetrospective } from '../../../src/engine/retro-store.js';
import { rollback } from '../../../src/engine/rollback.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { firing } from '../../helpers/alerts.js';
import { DRY, STAGING, drillDeps, scorecards } from '../../helpers/drill-deps.js';
import { dyingStore, incidentBecame } from '../../helpers/dying-store.js';
import { makeDeps, makeRunbook, metricValue, TestClock, type TestDeps } from '../../helpers/engine.js';
import { pollFor } from '../../helpers/replicas.js';

const MINUTE = 60_000;
const ana = { id: 'U0ANA', groups: [] };

/** The two ways a person ends a drill. */
const endings = {
  dismissed: (deps: TestDeps, id: string) =>
    dismiss(deps, id, { actor: ana, reason: 'upstream outage', trigger: 'slack' }),
  resolved: (deps: TestDeps, id: string) => resolve(deps, id, { by: 'U0ANA', reason: 'seen enough' }),
};
const problems = {
  dismissed: 'dismissed as not a rollback by U0ANA: upstream outage',
  resolved: 'resolved by U0ANA before its rollback was done: seen enough',
};

async function types(deps: TestDeps, id = 'INC-1'): Promise<string[]> {
  return (await deps.store.list(id)).map((entry) => entry.type);
}

async function scoringStandIns(deps: TestDeps): Promise<number> {
  return (await deps.store.pending()).filter((deadline) => deadline.kind === DRILL_SCORE).length;
}

/** A drill waiting for a person's decision, a minute into its triage. */
async function waitingDrill() {
  const { deps } = drillDeps(DRY);
  const drill = await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: false });
  deps.clock.advance(MINUTE);
  return { deps, drill };
}

describe.each(['dismissed', 'resolved'] as const)('a drill a person %s before its rollback', (way) => {
  it('is scored failed, once, naming who ended it and why, and its retrospective opens', async () => {
    const { deps, drill } = await waitingDrill();
    const ended = await endings[way](deps, drill.id);

    expect(ended).toMatchObject({ phase: way, drillEnding: { succeeded: false, problem: problems[way] } });
    expect(await drillHistory(deps, 'fraud-scorer')).toMatchObject([
      { incidentId: drill.id, outcome: 'failed', problems: [problems[way]] },
    ]);
    expect(await lastDrillSuccess(deps, 'fraud-scorer')).toBeUndefined();
    const [card] = scorecards(deps);
    expect(scorecards(deps)).toHaveLength(1);
    expect(card).toContain('DRILL FAILED for fraud-scorer');
    expect(card).toContain(`what went wrong: ${problems[way]}`);
    expect(
      await metricValue(deps.metrics, 'rollbot_drills_total', { model: 'fraud-scorer', outcome: 'failed' }),
    ).toBe(1);
    const timeline = await types(deps);
    expect(timeline.filter((type) => type === 'drill.scorecard')).toHaveLength(1);
    expect(timeline).toContain('retro.opened');
    expect(await getRetrospective(deps, drill.id)).toMatchObject({ incidentId: drill.id });
    expect(await retroCounts(deps, deps.clock.now())).toEqual([
      { model: 'fraud-scorer', open: 1, overdue: 0 },
    ]);
    expect(await scoringStandIns(deps)).toBe(0);
  });

  it('is not scored again by a second scorer: the stand-in, a late finish, the deadlines', async () => {
    const { deps, drill } = await waitingDrill();
    await endings[way](deps, drill.id);

    await finishDrillScoring(deps, drill.id);
    expect(await finishDrill(deps, drill.id, { succeeded: true })).toBeUndefined();
    await pollFor(deps, 10 * MINUTE);
    expect(scorecards(deps)).toHaveLength(1);
    expect((await types(deps)).filter((type) => type === 'drill.scorecard')).toHaveLength(1);
    expect(await drillHistory(deps, 'fraud-scorer')).toHaveLength(1);
  });
});

describe('a drill two replicas end at once, one dismissing it and the other resolving it', () => {
  it('is ended by one of them, and scored once as that one ended it', async () => {
    const { deps, drill } = await waitingDrill();
    const other: TestDeps = { ...deps, notifier: makeDeps().notifier };
    const settled = await Promise.allSettled([
      endings.dismissed(deps, drill.id),
      endings.resolved(other, drill.id),
    ]);

    expect(settled.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const ended = await deps.store.getIncident(drill.id);
    const way = ended?.phase === 'dismissed' ? 'dismissed' : 'resolved';
    expect(await drillHistory(deps, 'fraud-scorer')).toMatchObject([{ problems: [problems[way]] }]);
    expect(scorecards(deps, other)).toHaveLength(1);
  });
});

describe('a drill a person resolves once its rollback succeeded, before rollbot scored it', () => {
  it('is scored on what it reached: passed, once, and closed', async () => {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const { deps: person } = drillDeps(STAGING, { clock });
    person.store = shared;
    // The replica that rolls the drill back stops right after storing its success, before it ends the drill.
    const { deps: decider } = drillDeps(STAGING, { clock });
    const dying = dyingStore(shared, 0, incidentBecame('confirm'));
    decider.store = dying.store;
    await startDrill(person, 'fraud-scorer', { by: 'cli:ana', auto: false });
    clock.advance(MINUTE);
    void rollback(decider, { model: 'fraud-scorer', reason: 'drill', by: 'U0ANA', trigger: 'slack' });
    await dying.died;
    expect(await shared.getIncident('INC-1')).toMatchObject({ phase: 'confirm' });

    await endings.resolved(person, 'INC-1');
    expect(await drillHistory(person, 'fraud-scorer')).toMatchObject([
      { incidentId: 'INC-1', outcome: 'passed', problems: [] },
    ]);
    expect(await shared.getIncident('INC-1')).toMatchObject({ phase: 'closed' });
    await pollFor(person, 10 * MINUTE);
    expect(scorecards(person, decider)).toHaveLength(1);
    expect((await types(person)).filter((type) => type === 'drill.scorecard')).toHaveLength(1);
  });
});

describe.each(['dismissed', 'resolved'] as const)('a real incident a person %s', (way) => {
  it('is no drill: no scorecard, no drill history, no scoring stand-in', async () => {
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', DRY)] });
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const ended = await endings[way](deps, 'INC-1');

    expect(ended).toMatchObject({ phase: way, drill: false });
    expect(ended.drillEnding).toBeUndefined();
    expect(await drillHistory(deps, 'fraud-scorer')).toEqual([]);
    expect(scorecards(deps)).toEqual([]);
    expect(await types(deps)).not.toContain('drill.scorecard');
    expect(await scoringStandIns(deps)).toBe(0);
  });
});

describe('a failed drill whose retrospective cannot be opened at first', () => {
  it('has it opened by the scoring stand-in a minute on, and is scored once', async () => {
    const { deps, drill } = await waitingDrill();
    const setValue = deps.store.setValue.bind(deps.store);
    let failures = 1;
    deps.store.setValue = async (key, ...rest) => {
      if (key === `retro:${drill.id}` && failures-- > 0) throw new Error('Redis is not answering');
      return setValue(key, ...rest);
    };
    // The dismissal itself stands: the retrospective is the scoring's business.
    await endings.dismissed(deps, drill.id);
    expect(await getRetrospective(deps, drill.id)).toBeUndefined();
    expect(scorecards(deps)).toEqual([]);

    await pollFor(deps, 2 * MINUTE);
    expect(await getRetrospective(deps, drill.id)).toMatchObject({ incidentId: drill.id });
    expect(scorecards(deps)).toHaveLength(1);
    const timeline = await types(deps);
    expect(timeline.filter((type) => type === 'drill.scorecard')).toHaveLength(1);
    expect(timeline).toContain('retro.opened');
    expect(
      await metricValue(deps.metrics, 'rollbot_drills_total', { model: 'fraud-scorer', outcome: 'failed' }),
    ).toBe(1);
    expect(await drillHistory(deps, 'fraud-scorer')).toHaveLength(1);
    expect(await scoringStandIns(deps)).toBe(0);
  });
});

describe('the retrospective of a drill a person dismissed', () => {
  it('runs on the incident’s retro clock: started at the dismissal, breached when overdue, ended when completed', async () => {
    const { deps, drill } = await waitingDrill();
    const dismissedAt = deps.clock.now();
    await endings.dismissed(deps, drill.id);
    expect((await deps.store.getIncident(drill.id))?.stages.retro).toEqual({ startedAt: dismissedAt });
    expect(await getRetrospective(deps, drill.id)).toMatchObject({ openedAt: dismissedAt });

    // Past its 48-hour target with nobody writing it: the reminders say OVERDUE, and the target is missed, on
    // the drill's record; but not in rollbot_target_breaches_total, which has no drill label and counts
    // production's misses only (drills are kept out of production metrics).
    await pollFor(deps, 50 * 60 * MINUTE);
    const overdue = await deps.store.getIncident(drill.id);
    expect(overdue?.stages.retro.breachedAt).toBeDefined();
    expect(await metricValue(deps.metrics, 'rollbot_target_breaches_total')).toBe(0);

    await completeRetrospective(deps, drill.id, {
      by: 'U0ANA',
      rootCause: 'the on-call took the drill for noise',
    });
    const done = await deps.store.getIncident(drill.id);
    expect(done?.stages.retro.endedAt).toBe(deps.clock.now());
    // Dismissed stays its phase: the retrospective ends its clock, as closing does a resolved one's.
    expect(done?.phase).toBe('dismissed');
  });
});

describe('the retrospective of a drill completed late, before any overdue reminder', () => {
  it('records the missed target on the drill but does not count it in the production breach counter', async () => {
    const { deps, drill } = await waitingDrill();
    await endings.dismissed(deps, drill.id);
    const retro = await getRetrospective(deps, drill.id);
    if (!retro) throw new Error('the dismissed drill opened no retrospective');
    // No poll: the completion, not a reminder, is what finds the target missed.
    deps.clock.set(retro.dueAt + 5 * MINUTE);

    await completeRetrospective(deps, drill.id, { by: 'U0ANA', rootCause: 'nobody watched the drill' });
    expect((await deps.store.getIncident(drill.id))?.stages.retro.breachedAt).toBe(retro.dueAt + 5 * MINUTE);
    expect(await metricValue(deps.metrics, 'rollbot_target_breaches_total')).toBe(0);
  });
});

describe('a drill that misses its triage target', () => {
  it('is escalated and scored with the miss, but not counted in the production breach counter', async () => {
    const { deps, drill } = await waitingDrill();
    await pollFor(deps, 11 * MINUTE);
    const late = await deps.store.getIncident(drill.id);
    expect(late?.stages.triage.breachedAt).toBeDefined();
    expect(await types(deps)).toContain('stage.breached');
    expect(await metricValue(deps.metrics, 'rollbot_target_breaches_total')).toBe(0);

    await endings.resolved(deps, drill.id);
    const [result] = await drillHistory(deps, 'fraud-scorer');
    expect(result?.problems).toContainEqual(expect.stringMatching(/^triage took 1[12]m.* against 10m$/));
    expect(await metricValue(deps.metrics, 'rollbot_target_breaches_total')).toBe(0);
  });
});
