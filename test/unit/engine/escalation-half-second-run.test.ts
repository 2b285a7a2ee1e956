/**
 * The note that one half of an escalation arrived (the page rang, Slack gave up) belongs to the stage's run it was
 * sent for: a further rollback, a fresh rollback clock, whose escalation also reaches only the pager, must say on
 * its record that the on-call was paged, whatever the first rollback's escalation did.
 */
import { describe, expect, it } from 'vitest';
import { trafficRestored, type Incident } from '../../../src/core/incident.js';
import { beginRollback } from '../../../src/core/rollback.js';
import { scheduleStageTarget } from '../../../src/engine/escalation.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import type { Arrival } from '../../../src/engine/notifier-port.js';
import { DEADLINE_LEASE_MS, pollDeadlines } from '../../../src/engine/poller.js';
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

/** Traffic is on the known-good version: the rollback stage has ended. */
const landed = (incident: Incident, at: number): Incident => ({
  ...trafficRestored(incident, at),
  rollback: { ...incident.rollback!, status: 'succeeded', endedAt: at },
});

describe('a further rollback whose escalation reached only the pager', () => {
  it('says on its record that the on-call was paged, though the first rollback noted the same', async () => {
    const deps = makeDeps();
    deps.timing = { ...deps.timing, arrivalWaitMs: 5 };
    // Every escalation: still on its way when its sender stops waiting, then given up on with the page rung.
    const giveUps: (() => void)[] = [];
    deps.notifier.deliver = async (event): Promise<Arrival> => {
      deps.notifier.events.push(event);
      if (event.type !== 'escalation') return { arrived: true };
      return new Promise<Arrival>((resolve) =>
        giveUps.push(() => resolve({ arrived: false, reached: 'pager', paged: true })),
      );
    };
    const giveUp = async () => {
      giveUps.splice(0).forEach((settle) => settle());
      await new Promise((resolve) => setImmediate(resolve));
    };
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
    /** The rollback stage misses its target, its escalation reaches only the pager, then the stage ends. */
    const missedThenLanded = async (missedAt: number, landedAt: number) => {
      deps.clock.set(missedAt);
      expect(await pollDeadlines(deps)).toBe(0);
      await giveUp();
      await mutateIncident(deps.store, id, (current) => landed(current, landedAt));
      deps.clock.set(landedAt + DEADLINE_LEASE_MS);
      expect(await pollDeadlines(deps)).toBe(1);
    };

    // First rollback, v3 → v2 at 0: misses its 5m target, lands at 6m.
    const first = await mutateIncident(deps.store, id, (current) =>
      failed(beginRollback(current, start(t0, 'v3', 'v2')), t0 + MINUTE),
    );
    await scheduleStageTarget(deps, first.incident, 'rollback');
    await missedThenLanded(t0 + 5 * MINUTE, t0 + 6 * MINUTE);

    // Confirmation fails; a person rolls back further, v2 → v1, at 10m: a fresh clock, which misses too.
    const further = await mutateIncident(deps.store, id, (current) =>
      failed(beginRollback(current, start(t0 + 10 * MINUTE, 'v2', 'v1')), t0 + 11 * MINUTE),
    );
    await scheduleStageTarget(deps, further.incident, 'rollback');
    await missedThenLanded(t0 + 15 * MINUTE, t0 + 16 * MINUTE);

    const entries = await deps.store.list(id);
    const halves = entries.filter((entry) => entry.type === 'stage.escalation.half');
    expect(halves.map((entry) => entry.at)).toEqual([t0 + 5 * MINUTE, t0 + 15 * MINUTE]);
    const breaches = entries.filter((entry) => entry.type === 'stage.breached');
    expect(breaches).toMatchObject([
      { data: { stage: 'rollback', ended: true, reached: 'pager' } },
      { data: { stage: 'rollback', ended: true, reached: 'pager' } },
    ]);
    for (const breach of breaches) {
      expect(breach.text).toContain('the on-call had been paged');
      expect(breach.text).not.toContain('nobody was paged');
    }
  });
});
