import { describe, expect, it } from 'vitest';
import type { Deadline } from '../../../src/engine/ports.js';
import { T0 } from '../../helpers/incidents.js';
import type { GetHarness } from './harness.js';

const LEASE = 30_000;

/** Deadlines take `now` as an argument, so these tests use fixed times and never wait. */
function deadline(id: string, dueAt: number, payload: Record<string, unknown> = {}): Deadline {
  return { id, kind: 'stage.target', dueAt, payload: { incidentId: id.split(':')[0], ...payload } };
}

const ids = (deadlines: Deadline[]): string[] => deadlines.map((d) => d.id);

export function deadlinesContract(get: GetHarness): void {
  describe('deadlines', () => {
    it('lists pending deadlines soonest first, payload intact', async () => {
      const { store } = get();
      const late = deadline('INC-1:confirm', T0 + 3_000, {
        stage: 'confirm',
        mention: ['@oncall'],
        nested: {},
      });
      await store.schedule(late);
      await store.schedule(deadline('INC-1:triage', T0 + 1_000));
      await store.schedule(deadline('INC-2:triage', T0 + 2_000));
      const pending = await store.pending();
      expect(ids(pending)).toEqual(['INC-1:triage', 'INC-2:triage', 'INC-1:confirm']);
      expect(pending[2]).toEqual(late);
    });

    it('is due at exactly dueAt, not a millisecond before', async () => {
      const { store } = get();
      const d = deadline('INC-1:triage', T0);
      await store.schedule(d);
      expect(await store.claimDue(T0 - 1, LEASE, 10)).toEqual([]);
      expect(await store.claimDue(T0, LEASE, 10)).toEqual([d]);
    });

    it('hands out at most limit deadlines, soonest first', async () => {
      const { store } = get();
      for (const n of [3, 1, 2, 4]) await store.schedule(deadline(`INC-${n}:triage`, T0 + n));
      expect(ids(await store.claimDue(T0 + 10, LEASE, 2))).toEqual(['INC-1:triage', 'INC-2:triage']);
      expect(ids(await store.claimDue(T0 + 10, LEASE, 10))).toEqual(['INC-3:triage', 'INC-4:triage']);
      expect(await store.claimDue(T0 + 10, LEASE, 0)).toEqual([]);
    });

    it('hands each deadline to exactly one of two concurrent pollers', async () => {
      const { store, peer } = get();
      const all = Array.from({ length: 12 }, (_, n) => deadline(`INC-${n}:triage`, T0 + n));
      for (const d of all) await store.schedule(d);
      const polls = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? peer : store).claimDue(T0 + 100, LEASE, 3)),
      );
      const claimed = ids(polls.flat());
      expect(claimed).toHaveLength(12);
      expect(new Set(claimed)).toEqual(new Set(ids(all)));
    });

    it('hands a claimed deadline out again once its lease passes without completion', async () => {
      const { store } = get();
      const d = deadline('INC-1:triage', T0);
      await store.schedule(d);
      expect(await store.claimDue(T0 + 5, LEASE, 10)).toEqual([d]);
      expect(await store.claimDue(T0 + 5 + LEASE - 1, LEASE, 10)).toEqual([]);
      // Handed out again with its original due time, not the lease's end.
      expect(await store.claimDue(T0 + 5 + LEASE, LEASE, 10)).toEqual([d]);
      expect(await store.pending()).toEqual([d]);
    });

    it('counts the deadlines due by a time that no poller holds: unclaimed, or their claim run out', async () => {
      const { store, peer } = get();
      for (const n of [1, 2, 3]) await store.schedule(deadline(`INC-${n}:triage`, T0 + n));
      await store.schedule(deadline('INC-4:triage', T0 + 60_000));
      expect(await peer.countUnclaimed(T0 + 10)).toBe(3);
      expect(await store.countUnclaimed(T0)).toBe(0);

      const [claimed] = await store.claimDue(T0 + 10, LEASE, 1);
      expect(await store.countUnclaimed(T0 + 10)).toBe(2);
      // Failed and put back for later: not unclaimed until then.
      await store.retryLater(
        { ...(claimed as Deadline), failures: { count: 1, since: T0 + 10 } },
        T0 + 10 + LEASE,
        T0 + 120_000,
      );
      expect(await store.countUnclaimed(T0 + 60_000)).toBe(3);
      const [next] = await store.claimDue(T0 + 10, LEASE, 1);
      // Its poller died: once its lease runs out it is nobody's again.
      expect(await store.countUnclaimed(T0 + 10 + LEASE - 1)).toBe(1);
      expect(await store.countUnclaimed(T0 + 10 + LEASE)).toBe(2);
      await store.complete(next as Deadline, T0 + 10 + LEASE);
      expect(await store.countUnclaimed(T0 + 10 + LEASE)).toBe(1);
      expect(await store.countUnclaimed(T0 + 200_000)).toBe(3);
    });

    it('never hands out a completed deadline again', async () => {
      const { store } = get();
      await store.schedule(deadline('INC-1:triage', T0));
      await store.claimDue(T0, LEASE, 10);
      await store.complete({ id: 'INC-1:triage', dueAt: T0 }, T0 + LEASE);
      expect(await store.claimDue(T0 + 10 * LEASE, LEASE, 10)).toEqual([]);
      expect(await store.pending()).toEqual([]);
    });

    it('keeps a deadline its handler scheduled again while it was claimed', async () => {
      const { store, peer } = get();
      const first = deadline('INC-1:confirm-poll', T0);
      await store.schedule(first);
      await store.claimDue(T0, LEASE, 10);
      const next = deadline('INC-1:confirm-poll', T0 + 30_000);
      await store.schedule(next);
      await peer.complete(first, T0 + LEASE);
      expect(await store.pending()).toEqual([next]);
      expect(await store.claimDue(T0 + 30_000, LEASE, 10)).toEqual([next]);
      await store.complete(next, T0 + 30_000 + LEASE);
      expect(await store.pending()).toEqual([]);
    });

    it('keeps a deadline scheduled again while it was claimed, even at the same due time', async () => {
      const { store, peer } = get();
      // A rollback retry keeps its stage's clock: its target is the very one being handled.
      const target = deadline('INC-1:rollback', T0);
      await store.schedule(target);
      const [claimed] = await store.claimDue(T0 + 5, LEASE, 10);
      await peer.schedule(target);
      await store.complete(claimed ?? target, T0 + 5 + LEASE);
      expect(await store.pending()).toEqual([target]);
      expect(await store.claimDue(T0 + 10, LEASE, 10)).toEqual([target]);
    });

    it('keeps a deadline claimed again since: the claim completing it is no longer the one it is under', async () => {
      const { store, peer } = get();
      const target = deadline('INC-1:rollback', T0);
      await store.schedule(target);
      await store.claimDue(T0, LEASE, 10);
      // Scheduled again at the same time, and claimed again by a poller that finds it still running here.
      await peer.schedule(target);
      expect(await peer.claimDue(T0 + 5, LEASE, 10)).toEqual([target]);
      await store.complete(target, T0 + LEASE);
      expect(await store.pending()).toEqual([target]);
      // Its lease passed without completion: handed out once more, and completed by that claim.
      expect(await store.claimDue(T0 + 5 + LEASE, LEASE, 10)).toEqual([target]);
      await store.complete(target, T0 + 5 + 2 * LEASE);
      expect(await store.pending()).toEqual([]);
    });

    it('puts back a deadline whose handler failed, with its failures, to be handed out at the time asked', async () => {
      const { store, peer } = get();
      const d = deadline('INC-1:retro-reminder', T0);
      await store.schedule(d);
      await store.claimDue(T0, LEASE, 10);
      const failed = { ...d, failures: { count: 2, since: T0 - 60_000 } };
      expect(await peer.retryLater(failed, T0 + LEASE, T0 + 4 * LEASE)).toBe(true);
      expect(await store.pending()).toEqual([failed]);
      // Later than the claim's lease, which it replaces: backing off.
      expect(await store.claimDue(T0 + 4 * LEASE - 1, LEASE, 10)).toEqual([]);
      expect(await store.claimDue(T0 + 4 * LEASE, LEASE, 10)).toEqual([failed]);
      // Handled at last: completed by the claim that handed it out, failures and all.
      await store.complete(failed, T0 + 5 * LEASE);
      expect(await store.pending()).toEqual([]);
    });

    it('leaves a failed deadline scheduled again since its claim as that scheduled it, failures forgotten', async () => {
      const { store, peer } = get();
      const d = deadline('INC-1:confirm-poll', T0);
      await store.schedule(d);
      await store.claimDue(T0, LEASE, 10);
      await peer.retryLater({ ...d, failures: { count: 1, since: T0 } }, T0 + LEASE, T0 + LEASE);
      await store.claimDue(T0 + LEASE, LEASE, 10);
      // Its handler scheduled its next run (the same time, as a rollback retry keeps its stage's clock), then failed.
      await peer.schedule(d);
      expect(
        await store.retryLater({ ...d, failures: { count: 2, since: T0 } }, T0 + 2 * LEASE, T0 + 3 * LEASE),
      ).toBe(false);
      expect(await store.pending()).toEqual([d]);
      expect(await store.claimDue(T0 + LEASE, LEASE, 10)).toEqual([d]);
    });

    it('leaves a failed deadline claimed again since, or gone, to whoever has it now', async () => {
      const { store, peer } = get();
      const d = deadline('INC-1:triage', T0);
      await store.schedule(d);
      await store.claimDue(T0, LEASE, 10);
      // Its lease passed while its handler was still at it: another poller has it now.
      expect(await peer.claimDue(T0 + LEASE, LEASE, 10)).toEqual([d]);
      expect(
        await store.retryLater({ ...d, failures: { count: 1, since: T0 } }, T0 + LEASE, T0 + 9 * LEASE),
      ).toBe(false);
      expect(await store.pending()).toEqual([d]);
      expect(await store.claimDue(T0 + 2 * LEASE, LEASE, 10)).toEqual([d]);

      await store.cancel(d.id);
      expect(
        await store.retryLater({ ...d, failures: { count: 1, since: T0 } }, T0 + 3 * LEASE, T0 + 9 * LEASE),
      ).toBe(false);
      expect(await store.pending()).toEqual([]);
    });

    it('keeps one deadline per id: scheduling again moves it', async () => {
      const { store } = get();
      await store.schedule(deadline('INC-1:triage', T0, { version: 1 }));
      const moved = deadline('INC-1:triage', T0 + 5_000, { version: 2 });
      await store.schedule(moved);
      expect(await store.pending()).toEqual([moved]);
      expect(await store.claimDue(T0 + 4_999, LEASE, 10)).toEqual([]);
      expect(await store.claimDue(T0 + 5_000, LEASE, 10)).toEqual([moved]);
    });

    it('forgets a cancelled deadline', async () => {
      const { store } = get();
      await store.schedule(deadline('INC-1:triage', T0));
      await store.schedule(deadline('INC-2:triage', T0));
      await store.cancel('INC-1:triage');
      await store.cancel('INC-never:triage');
      expect(ids(await store.pending())).toEqual(['INC-2:triage']);
      expect(ids(await store.claimDue(T0 + 10 * LEASE, LEASE, 10))).toEqual(['INC-2:triage']);
    });
  });
}
