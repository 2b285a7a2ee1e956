import { describe, expect, it } from 'vitest';
import { finishRollback } from '../../../src/core/rollback.js';
import { guardScoring, scheduleScoring } from '../../../src/engine/drill.js';
import { openingDone, scheduleStandIn } from '../../../src/engine/opening.js';
import type { Deadline, Store } from '../../../src/engine/ports.js';
import { recoverInterruptedRollback } from '../../../src/engine/recovery.js';
import { retroOpened, scheduleRetroOpening } from '../../../src/engine/retro.js';
import { guardFailureEscalation } from '../../../src/engine/rollback-failure.js';
import { guardSuccess } from '../../../src/engine/rollback-success.js';
import { dropDecision, scheduleDecision } from '../../../src/engine/triage-decision.js';
import { makeDeps } from '../../helpers/engine.js';
import { TEST_TARGETS, executingRollback, makeIncident } from '../../helpers/incidents.js';

const GRACE = 60_000;

/**
 * A store that keeps each deadline as the Redis store writes it (JSON.stringify) and each id it cancels: what
 * other replicas, and older builds during a rolling upgrade, read.
 */
function writtenStore() {
  const { clock, store } = makeDeps();
  const written: string[] = [];
  const cancelled: string[] = [];
  const recording: Store = {
    ...store,
    schedule: async (deadline: Deadline) => {
      written.push(JSON.stringify(deadline));
      await store.schedule(deadline);
    },
    cancel: async (id: string) => {
      cancelled.push(id);
      await store.cancel(id);
    },
  };
  return { deps: makeDeps({ store: recording, clock }), now: clock.now(), written, cancelled };
}

describe('every stand-in is stored as other replicas and older builds read it', () => {
  it("an opening's: its opener named, cancelled by its id", async () => {
    const { deps, now, written, cancelled } = writtenStore();
    await scheduleStandIn(deps, 'INC-7', 'drill', now + GRACE);
    await openingDone(deps, 'INC-7');
    expect(written).toEqual([
      `{"id":"INC-7:opening","kind":"incident-opening","dueAt":${now + GRACE},"payload":{"incidentId":"INC-7","opening":"drill"}}`,
    ]);
    expect(cancelled).toEqual(['INC-7:opening']);
  });

  it("a triage's decision: one a triage run, a minute on", async () => {
    const { deps, now, written, cancelled } = writtenStore();
    await scheduleDecision(deps, 'INC-7', 1234);
    await dropDecision(deps, 'INC-7', 1234);
    expect(written).toEqual([
      `{"id":"INC-7:decision:1234","kind":"triage-decision","dueAt":${now + GRACE},"payload":{"incidentId":"INC-7","triageAt":1234}}`,
    ]);
    expect(cancelled).toEqual(['INC-7:decision:1234']);
  });

  it("a rollback's success: one stand-in per attempt, its attempt named, a minute on", async () => {
    const { deps, now, written } = writtenStore();
    await guardSuccess(deps, 'INC-7', 2);
    await guardSuccess(deps, 'INC-7', 3);
    // An older build reads it by its kind and payload, as it did its own `INC-7:rollback-success`.
    expect(written).toEqual([
      `{"id":"INC-7:rollback-success:2","kind":"rollback-success","dueAt":${now + GRACE},"payload":{"incidentId":"INC-7","attempt":2}}`,
      `{"id":"INC-7:rollback-success:3","kind":"rollback-success","dueAt":${now + GRACE},"payload":{"incidentId":"INC-7","attempt":3}}`,
    ]);
    expect((await deps.store.pending()).map((deadline) => deadline.id)).toEqual([
      'INC-7:rollback-success:2',
      'INC-7:rollback-success:3',
    ]);
  });

  it("an interrupted rollback's settlement: one stand-in per attempt, its attempt named, cancelled by its id", async () => {
    const { deps, now, written, cancelled } = writtenStore();
    // Its second attempt, a retry of a failed one, was executing when its replica died, past its bound (the 15m
    // rollback target) before a replica settled it: no second look, it is settled at once.
    const then = now - TEST_TARGETS.rollback;
    const failed = finishRollback(
      executingRollback(makeIncident({ id: 'INC-7', at: then }), then),
      'failed',
      then,
    );
    await deps.store.createIfNoneOpen(executingRollback(failed, then));
    expect(await recoverInterruptedRollback(deps, 'INC-7')).toBe(true);
    // An older build reads it by its kind and payload, as it did its own `INC-7:rollback-settle`.
    expect(written.filter((stored) => stored.includes('"kind":"rollback-settle"'))).toEqual([
      `{"id":"INC-7:rollback-settle:2","kind":"rollback-settle","dueAt":${now + GRACE},"payload":{"incidentId":"INC-7","attempt":2}}`,
    ]);
    expect(cancelled).toContain('INC-7:rollback-settle:2');
    expect(cancelled).not.toContain('INC-7:rollback-settle');
  });

  it("a rollback's failure: one stand-in per attempt, its attempt named, a minute on", async () => {
    const { deps, now, written } = writtenStore();
    await guardFailureEscalation(deps, 'INC-7', 2);
    await guardFailureEscalation(deps, 'INC-7', 3);
    // An older build reads it by its kind and payload, as it did its own `INC-7:rollback-failed`.
    expect(written).toEqual([
      `{"id":"INC-7:rollback-failed:2","kind":"rollback-failed","dueAt":${now + GRACE},"payload":{"incidentId":"INC-7","attempt":2}}`,
      `{"id":"INC-7:rollback-failed:3","kind":"rollback-failed","dueAt":${now + GRACE},"payload":{"incidentId":"INC-7","attempt":3}}`,
    ]);
    expect((await deps.store.pending()).map((deadline) => deadline.id)).toEqual([
      'INC-7:rollback-failed:2',
      'INC-7:rollback-failed:3',
    ]);
  });

  it("a drill's scoring: a minute on when guarded, or when asked", async () => {
    const { deps, now, written } = writtenStore();
    await guardScoring(deps, 'INC-7');
    await scheduleScoring(deps, 'INC-7', now + 5);
    const stored = (dueAt: number) =>
      `{"id":"INC-7:drill-score","kind":"drill-score","dueAt":${dueAt},"payload":{"incidentId":"INC-7"}}`;
    expect(written).toEqual([stored(now + GRACE), stored(now + 5)]);
  });

  it("a resolution's follow-up: a minute on, or when asked, cancelled by its id", async () => {
    const { deps, now, written, cancelled } = writtenStore();
    await scheduleRetroOpening(deps, 'INC-7');
    await scheduleRetroOpening(deps, 'INC-7', now + 5);
    await retroOpened(deps, 'INC-7');
    const stored = (dueAt: number) =>
      `{"id":"INC-7:retro-open","kind":"retro-open","dueAt":${dueAt},"payload":{"incidentId":"INC-7"}}`;
    expect(written).toEqual([stored(now + GRACE), stored(now + 5)]);
    expect(cancelled).toEqual(['INC-7:retro-open']);
  });
});
