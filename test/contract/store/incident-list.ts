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

    it("walks the whole list page by page from each page's last incident, each exactly once, in order", async () => {
      const { store } = get();
      // 23 incidents of 7 models, three opened in each millisecond (ties are ordered by id, descending: P-10
      // before P-1 before P-0, byte-wise); all over but each model's newest.
      const plan = Array.from({ length: 23 }, (_, i) => ({
        id: `P-${i}`,
        model: `m${i % 7}`,
        at: T0 + Math.floor(i / 3) * 1_000,
      }));
      for (const [i, { id, model, at }] of plan.entries()) {
        const incident = makeIncident({ id, model, at });
        expect((await store.createIfNoneOpen(incident)).created).toBe(true);
        if (i < 16) expect(await store.updateIncident(dismiss(incident))).toBeDefined();
      }
      const newestFirst = [...plan].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      const filters = [
        [{}, () => true],
        [{ open: false }, (i: number) => i < 16],
        [{ open: true }, (i: number) => i >= 16],
        [{ model: 'm3' }, (i: number) => i % 7 === 3],
        [{ model: 'm3', open: false }, (i: number) => i % 7 === 3 && i < 16],
      ] as const;
      for (const [filter, selects] of filters) {
        const expected = newestFirst.filter(({ id }) => selects(Number(id.slice(2)))).map(({ id }) => id);
        const walked: string[] = [];
        let before: { openedAt: number; id: string } | undefined;
        for (let pages = 0; pages < 20; pages += 1) {
          const page = await store.listIncidentHeads({ ...filter, limit: 2, ...(before ? { before } : {}) });
          walked.push(...ids(page));
          const last = page.at(-1);
          if (page.length < 2 || !last) break;
          before = { openedAt: last.openedAt, id: last.id };
        }
        expect(walked, JSON.stringify(filter)).toEqual(expected);
        // listIncidents pages alike.
        const full = await store.listIncidents({ ...filter, limit: 100 });
        const rest = await store.listIncidents({ ...filter, limit: 100, before: full[0] as Incident });
        expect(ids(rest), JSON.stringify(filter)).toEqual(expected.slice(1));
      }
    });

    it('starts after the given incident even where the filter would not list it', async () => {
      await seed();
      const { store } = get();
      // b4 is open: a page of closed incidents after it starts with the closed one opened before it.
      const b4 = (await store.getIncident('b4')) as Incident;
      expect(ids(await store.listIncidents({ open: false, before: b4 }))).toEqual(['b2', 'a1']);
      expect(ids(await store.listIncidents({ model: 'a', before: b4 }))).toEqual(['a3', 'a1']);
      const a1 = (await store.getIncident('a1')) as Incident;
      expect(await store.listIncidents({ before: a1 })).toEqual([]);
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
