import { describe, expect, it } from 'vitest';
import { headOf, type Incident } from '../../../src/core/incident.js';
import { attachAlert } from '../../../src/core/incident-alerts.js';
import { dismiss, makeAlertRef, makeIncident, T0 } from '../../helpers/incidents.js';
import type { GetHarness } from './harness.js';

const ids = (incidents: Pick<Incident, 'id'>[]): string[] => incidents.map((incident) => incident.id);

export function incidentListContract(get: GetHarness): void {
  describe('listIncidents', () => {
    /**
     * Five incidents, opened one second apart in this order: a1 and b2 dismissed, a3, b4 and c5 open (one open
     * incident per model, so each model's dismissed one comes first).
     */
    async function seed(): Promise<void> {
      const { store } = get();
      const plan = [
        ['a1', 'a', 'dismissed'],
        ['b2', 'b', 'dismissed'],
        ['a3', 'a', 'open'],
        ['b4', 'b', 'open'],
        ['c5', 'c', 'open'],
      ] as const;
      for (const [index, [id, model, phase]] of plan.entries()) {
        const incident = makeIncident({ id, model, at: T0 + index * 1_000 });
        expect((await store.createIfNoneOpen(incident)).created).toBe(true);
        if (phase === 'dismissed') expect(await store.updateIncident(dismiss(incident))).toBeDefined();
      }
    }

    it('lists newest first', async () => {
      await seed();
      expect(ids(await get().store.listIncidents({}))).toEqual(['c5', 'b4', 'a3', 'b2', 'a1']);
    });

    it('filters by open or not', async () => {
      await seed();
      const { store } = get();
      expect(ids(await store.listIncidents({ open: true }))).toEqual(['c5', 'b4', 'a3']);
      expect(ids(await store.listIncidents({ open: false }))).toEqual(['b2', 'a1']);
    });

    it('filters by model, alone and with open', async () => {
      await seed();
      const { store } = get();
      expect(ids(await store.listIncidents({ model: 'a' }))).toEqual(['a3', 'a1']);
      expect(ids(await store.listIncidents({ model: 'a', open: false }))).toEqual(['a1']);
      expect(ids(await store.listIncidents({ model: 'b', open: true }))).toEqual(['b4']);
      expect(await store.listIncidents({ model: 'nobody' })).toEqual([]);
    });

    it('returns at most limit incidents, the newest ones', async () => {
      await seed();
      const { store } = get();
      expect(ids(await store.listIncidents({ limit: 2 }))).toEqual(['c5', 'b4']);
      expect(ids(await store.listIncidents({ open: false, limit: 1 }))).toEqual(['b2']);
      expect(await store.listIncidents({ limit: 0 })).toEqual([]);
    });

    it('pages through a long history of a model to the limit, whatever the filter', async () => {
      const { store } = get();
      // A year's worth for two models, alternately: 40 each, all over but the newest of each.
      for (let i = 0; i < 80; i += 1) {
        const incident = makeIncident({ id: `Y-${i}`, model: i % 2 === 0 ? 'a' : 'b', at: T0 + i * 1_000 });
        expect((await store.createIfNoneOpen(incident)).created).toBe(true);
        if (i < 78) expect(await store.updateIncident(dismiss(incident))).toBeDefined();
      }
      const a = (from: number, count: number) => Array.from({ length: count }, (_, k) => `Y-${from - 2 * k}`);
      expect(ids(await store.listIncidents({ model: 'a', limit: 1 }))).toEqual(['Y-78']);
      expect(ids(await store.listIncidents({ model: 'a', limit: 3 }))).toEqual(a(78, 3));
      expect(ids(await store.listIncidents({ model: 'a', open: false, limit: 30 }))).toEqual(a(76, 30));
      expect(ids(await store.listIncidents({ model: 'a', open: true, limit: 1 }))).toEqual(['Y-78']);
      expect(ids(await store.listIncidents({ open: true, limit: 1 }))).toEqual(['Y-79']);
      expect(ids(await store.listIncidents({ open: false, limit: 2 }))).toEqual(['Y-77', 'Y-76']);
      expect(ids(await store.listIncidentHeads({ model: 'b', limit: 40 }))).toEqual(
        Array.from({ length: 40 }, (_, k) => `Y-${79 - 2 * k}`),
      );
    });

    it('returns the stored incidents themselves', async () => {
      await seed();
      const { store } = get();
      const [newest] = await store.listIncidents({ limit: 1 });
      expect(newest).toEqual(await store.getIncident('c5'));
    });

    it('returns 100 incidents when no limit is given', async () => {
      const { store } = get();
      for (let i = 0; i < 101; i += 1) {
        await store.createIfNoneOpen(makeIncident({ id: `M-${i}`, model: `model-${i}`, at: T0 + i }));
      }
      const listed = await store.listIncidents({});
      expect(listed).toHaveLength(100);
      expect(listed[0]?.id).toBe('M-100');
      expect(listed[99]?.id).toBe('M-1');
    });
  });

  describe('listIncidentHeads', () => {
    it('lists what listIncidents lists, filtered and limited alike, each without its alert refs', async () => {
      const { store } = get();
      const plan = [
        ['a1', 'a'],
        ['a2', 'b'],
        ['a3', 'c'],
      ] as const;
      for (const [index, [id, model]] of plan.entries()) {
        await store.createIfNoneOpen(makeIncident({ id, model, at: T0 + index * 1_000 }));
      }
      const first = (await store.getIncident('a1')) as Incident;
      expect(await store.updateIncident(dismiss(first))).toBeDefined();
      for (const filter of [{}, { open: true }, { open: false }, { model: 'b' }, { limit: 2 }]) {
        const heads = await store.listIncidentHeads(filter);
        expect(heads).toEqual((await store.listIncidents(filter)).map(headOf));
        for (const head of heads) expect(head).not.toHaveProperty('alerts');
      }
    });

    it('counts the refs it leaves out', async () => {
      const { store } = get();
      const opened = makeIncident({ id: 'H1', model: 'h' });
      await store.createIfNoneOpen(opened);
      const joined = attachAlert(opened, makeAlertRef(T0 + 1, { fingerprint: 'second' }), 1);
      expect(await store.updateIncident(joined as Incident)).toBeDefined();
      const [head] = await store.listIncidentHeads({ model: 'h' });
      expect(head?.alertRefs).toBe(2);
      expect(head?.severity).toBe(1);
    });
  });
}
