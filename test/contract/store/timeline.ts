import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../../../src/engine/ports.js';
import { makeIncident, T0 } from '../../helpers/incidents.js';
import type { GetHarness } from './harness.js';

function entry(incidentId: string, n: number): Omit<TimelineEntry, 'seq'> {
  return { at: T0 + n, incidentId, type: 'note.added', actor: 'U0TEST', text: `note ${n}` };
}

export function timelineContract(get: GetHarness): void {
  describe('timeline', () => {
    it('numbers entries 1, 2, 3 and lists them in append order', async () => {
      const { store } = get();
      const appended = [];
      for (let n = 1; n <= 3; n += 1) appended.push(await store.append(entry('INC-1', n)));
      expect(appended.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(appended[0]).toEqual({ seq: 1, ...entry('INC-1', 1) });
      expect(await store.list('INC-1')).toEqual(appended);
    });

    it('round-trips data exactly: nested values, empty arrays and objects, fractions, large numbers', async () => {
      const { store } = get();
      const data = {
        gates: [],
        labels: {},
        nested: { ratio: 0.123456789012345, at: [T0, T0 + 1] },
        ok: false,
      };
      const appended = await store.append({ ...entry('INC-1', 1), type: 'gate.evaluated', data });
      expect(appended.data).toEqual(data);
      expect(await store.list('INC-1')).toEqual([appended]);
    });

    it('gives concurrent appends from two stores distinct seqs, with no gaps', async () => {
      const { store, peer } = get();
      const appended = await Promise.all(
        Array.from({ length: 20 }, (_, n) => (n % 2 ? peer : store).append(entry('INC-1', n))),
      );
      const seqs = appended.map((e) => e.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const listed = await store.list('INC-1');
      expect(listed.map((e) => e.seq)).toEqual(seqs);
      expect(new Set(listed.map((e) => e.text)).size).toBe(20);
    });

    it('keeps each incident its own timeline', async () => {
      const { store } = get();
      await store.append(entry('INC-1', 1));
      const other = await store.append(entry('INC-2', 1));
      expect(other.seq).toBe(1);
      expect(await store.list('INC-2')).toEqual([other]);
      expect(await store.list('INC-3')).toEqual([]);
    });

    it('is isolated from mutation by callers', async () => {
      const { store } = get();
      const input = { ...entry('INC-1', 1), data: { step: 1 } };
      const appended = await store.append(input);
      input.data.step = 2;
      appended.text = 'changed';
      expect(await store.list('INC-1')).toEqual([{ seq: 1, ...entry('INC-1', 1), data: { step: 1 } }]);
    });
  });

  describe('listOfTypes', () => {
    const typed = (incidentId: string, n: number, type: string) => ({ ...entry(incidentId, n), type });

    it('lists only the entries of the types asked for, numbered, in append order, however they were appended', async () => {
      const { store, peer } = get();
      const incident = makeIncident();
      await store.createIfNoneOpen(incident);
      const id = incident.id;
      await store.append(typed(id, 1, 'stage.breached'));
      await peer.append(typed(id, 2, 'alert.attached'));
      await store.appendOnce(typed(id, 3, 'incident.opened'), 'opened');
      const written = await store.updateIncident(
        { ...incident, summary: 'joined' },
        { timeline: [typed(id, 4, 'alert.attached'), typed(id, 5, 'stage.breached')] },
      );
      if (!written) throw new Error('write refused');
      await store.append(typed('INC-OTHER', 6, 'stage.breached'));

      const breached = await peer.listOfTypes(id, ['stage.breached', 'incident.opened']);
      expect(breached).toEqual([
        { seq: 1, ...typed(id, 1, 'stage.breached') },
        { seq: 3, ...typed(id, 3, 'incident.opened') },
        { seq: 5, ...typed(id, 5, 'stage.breached') },
      ]);
      expect(await store.listOfTypes(id, ['retro.opened'])).toEqual([]);
      expect(await store.listOfTypes(id, [])).toEqual([]);
      expect(await store.listOfTypes('INC-NONE', ['stage.breached'])).toEqual([]);
    });

    it('tells types apart that one is the start of the other', async () => {
      const { store } = get();
      await store.append(typed('INC-1', 1, 'rollback'));
      await store.append(typed('INC-1', 2, 'rollback.failed'));
      await store.append(typed('INC-1', 3, 'rollback.failed.x'));
      expect((await store.listOfTypes('INC-1', ['rollback.failed']))?.map((e) => e.seq)).toEqual([2]);
      expect((await store.listOfTypes('INC-1', ['rollback']))?.map((e) => e.seq)).toEqual([1]);
    });

    it('lists entries of a type appended concurrently from two stores, each once', async () => {
      const { store, peer } = get();
      await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          (n % 2 ? peer : store).append(typed('INC-1', n, n % 3 ? 'alert.attached' : 'stage.breached')),
        ),
      );
      const all = await store.list('INC-1');
      const breached = all.filter((e) => e.type === 'stage.breached');
      expect(await store.listOfTypes('INC-1', ['stage.breached'])).toEqual(breached);
      expect(breached).toHaveLength(7);
    });
  });

  describe('appendOnce', () => {
    it('appends the first entry under a key, numbered with the others, and refuses the key again', async () => {
      const { store, peer } = get();
      await store.append(entry('INC-1', 1));
      const first = await store.appendOnce(entry('INC-1', 2), 'slack:C0A:1.2');
      expect(first).toEqual({ seq: 2, ...entry('INC-1', 2) });
      expect(await store.appendOnce(entry('INC-1', 3), 'slack:C0A:1.2')).toBeUndefined();
      expect(await peer.appendOnce(entry('INC-1', 4), 'slack:C0A:1.2')).toBeUndefined();
      expect((await store.list('INC-1')).map((e) => e.text)).toEqual(['note 1', 'note 2']);
    });

    it("keeps each incident's keys its own", async () => {
      const { store } = get();
      expect(await store.appendOnce(entry('INC-1', 1), 'k')).toBeDefined();
      expect(await store.appendOnce(entry('INC-2', 1), 'k')).toMatchObject({ seq: 1, incidentId: 'INC-2' });
      expect(await store.appendOnce(entry('INC-1', 2), 'other key')).toMatchObject({ seq: 2 });
    });

    it('appends exactly one of several concurrent entries under one key, across two stores', async () => {
      const { store, peer } = get();
      const appended = await Promise.all(
        Array.from({ length: 6 }, (_, n) => (n % 2 ? peer : store).appendOnce(entry('INC-1', n), 'pin')),
      );
      expect(appended.filter(Boolean)).toHaveLength(1);
      expect(await store.list('INC-1')).toHaveLength(1);
    });
  });
}
