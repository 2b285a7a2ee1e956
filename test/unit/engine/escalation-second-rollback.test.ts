/**
 * A further rollback (traffic restored, service not) starts a fresh rollback clock: its own target, and its own
 * escalation when it misses it, whatever the first rollback's did.
 */
import { describe, expect, it } from 'vitest';
import { trafficRestored, type Incident } from '../../../src/core/incident.js';
import { beginRollback } from '../../../src/core/rollback.js';
import { scheduleStageTarget } from '../../../src/engine/escalation.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { makeDeps } from '../../helpers/engine.js';
import { makeIncident, TEST_TARGETS } from '../../helpers/incidents.js';

const MINUTE = 60_000;
const plan = (from: string, to: string) => ({
  from,
  to,
  regime: 'traffic-flip' as const,
  etaMs: 5_000,
  actions: [],
  data: {},
});

/** The attempt failed: nothing for recovery to settle when its target comes due. */
const failed = (incident: Incident, at: number): Incident =>
  incident.rollback
    ? { ...incident, rollback: { ...incident.rollback, status: 'failed', endedAt: at, error: 'timeout' } }
    : incident;

describe('a further rollback that misses its target', () => {
  it('is escalated, though the first rollback missed its own target and was escalated', async () => {
    const deps = makeDeps();
    const t0 = deps.clock.now();
    const id = await deps.store.nextIncidentId();
    await deps.store.createIfNoneOpen(
      makeIncident({ id, at: t0, targets: { ...TEST_TARGETS, rollback: 5 * MINUTE } }),
    );
    const start = (at: number, from: string, to: string) => ({
      plan: plan(from, to),
      target: 'kserve ml-prod/fraud-scorer',
      by: 'U0ONCALL',
      trigger: 'slack' as const,
      reason: 'accuracy fell after v3',
      at,
    });

    // First rollback, v3 → v2: hangs past its 5m target and is escalated while it runs.
    const first = await mutateIncident(deps.store, id, (current) =>
      failed(beginRollback(current, start(t0, 'v3', 'v2')), t0 + MINUTE),
    );
    await scheduleStageTarget(deps, first.incident, 'rollback');
    deps.clock.set(t0 + 5 * MINUTE);
    await pollDeadlines(deps);
    expect(deps.notifier.ofType('escalation')).toMatchObject([{ stage: 'rollback' }]);

    // It lands at last; confirmation fails, and a person rolls back further, v2 → v1, at 10m: a fresh clock.
    const further = await mutateIncident(deps.store, id, (current) => {
      const landed: Incident = {
        ...trafficRestored(current, t0 + 6 * MINUTE),
        rollback: { ...current.rollback!, status: 'succeeded', endedAt: t0 + 6 * MINUTE },
      };
      return failed(beginRollback(landed, start(t0 + 10 * MINUTE, 'v2', 'v1')), t0 + 11 * MINUTE);
    });
    expect(further.incident.stages.rollback).toEqual({ startedAt: t0 + 10 * MINUTE });
    await scheduleStageTarget(deps, further.incident, 'rollback');

    deps.clock.set(t0 + 15 * MINUTE);
    await pollDeadlines(deps);
    expect((await deps.store.getIncident(id))?.stages.rollback.breachedAt).toBe(t0 + 15 * MINUTE);
    expect(deps.notifier.ofType('escalation')).toMatchObject([{ stage: 'rollback' }, { stage: 'rollback' }]);
    const breaches = (await deps.store.list(id)).filter((entry) => entry.type === 'stage.breached');
    expect(breaches.map((entry) => entry.at)).toEqual([t0 + 5 * MINUTE, t0 + 15 * MINUTE]);
  });
});
