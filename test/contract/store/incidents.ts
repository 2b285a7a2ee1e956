import { describe, expect, it } from 'vitest';
import { isRollbotError } from '../../../src/core/errors.js';
import type { Incident } from '../../../src/core/incident.js';
import { dismiss, makeAlertRef, makeIncident, T0 } from '../../helpers/incidents.js';
import type { GetHarness } from './harness.js';

function idNumber(id: string): number {
  const match = /^INC-(\d+)$/.exec(id);
  if (!match?.[1]) throw new Error(`not an incident id: ${id}`);
  return Number(match[1]);
}

/** Stores a dismissed copy of `incident`, failing the test if the write is refused. */
async function storeDismissed(get: GetHarness, incident: Incident): Promise<Incident> {
  const updated = await get().store.updateIncident(dismiss(incident));
  if (!updated) throw new Error(`dismissing ${incident.id} was refused`);
  return updated;
}

export function incidentsContract(get: GetHarness): void {
  describe('incident ids', () => {
    it('hands out unique, increasing INC-<n> ids, also to concurrent callers on two stores', async () => {
      const { store, peer } = get();
      const sequential = [];
      for (let i = 0; i < 5; i += 1) sequential.push(idNumber(await store.nextIncidentId()));
      expect(sequential).toEqual([...sequential].sort((a, b) => a - b));
      expect(new Set(sequential).size).toBe(5);

      const concurrent = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? peer : store).nextIncidentId()),
      );
      expect(new Set(concurrent).size).toBe(20);
      expect(Math.min(...concurrent.map(idNumber))).toBeGreaterThan(Math.max(...sequential));
    });
  });

  describe('createIfNoneOpen', () => {
    it('stores a new incident and reads it back equal', async () => {
      const { store } = get();
      const incident = makeIncident({ id: await store.nextIncidentId() });
      const result = await store.createIfNoneOpen(incident);
      expect(result).toEqual({ incident, created: true });
      expect(await store.getIncident(incident.id)).toEqual(incident);
      expect(await store.getIncident('INC-nope')).toBeUndefined();
    });

    it('keeps one open incident per model: the second call gets the first incident back', async () => {
      const { store } = get();
      const first = makeIncident({ model: 'ranker' });
      const second = makeIncident({ model: 'ranker', at: T0 + 1_000 });
      await store.createIfNoneOpen(first);
      expect(await store.createIfNoneOpen(second)).toEqual({ incident: first, created: false });
      expect(await store.getIncident(second.id)).toBeUndefined();
    });

    it('lets different models each have an open incident', async () => {
      const { store } = get();
      const a = await store.createIfNoneOpen(makeIncident({ model: 'a' }));
      const b = await store.createIfNoneOpen(makeIncident({ model: 'b' }));
      expect([a.created, b.created]).toEqual([true, true]);
    });

    it.each([
      ['one store', false],
      ['two stores (replicas)', true],
    ])('creates exactly one of several concurrent incidents for one model, on %s', async (_, twoStores) => {
      const { store, peer } = get();
      const candidates = Array.from({ length: 6 }, (_, i) => makeIncident({ model: 'ranker', at: T0 + i }));
      const results = await Promise.all(
        candidates.map((incident, i) => (twoStores && i % 2 ? peer : store).createIfNoneOpen(incident)),
      );
      const created = results.filter((result) => result.created);
      expect(created).toHaveLength(1);
      const winner = created[0]?.incident;
      for (const result of results) expect(result.incident).toEqual(winner);
      expect(await store.openIncidentFor('ranker')).toEqual(winner);
      expect(await store.listIncidents({ model: 'ranker' })).toEqual([winner]);
    });

    it('allows a new incident once the open one leaves the open phases', async () => {
      const { store } = get();
      const first = makeIncident({ model: 'ranker' });
      await store.createIfNoneOpen(first);
      await storeDismissed(get, first);
      const second = makeIncident({ model: 'ranker', at: T0 + 60_000 });
      expect(await store.createIfNoneOpen(second)).toEqual({ incident: second, created: true });
      expect(await store.openIncidentFor('ranker')).toEqual(second);
    });

    it('refuses to reuse an id', async () => {
      const { store } = get();
      const first = makeIncident({ model: 'a' });
      await store.createIfNoneOpen(first);
      await storeDismissed(get, first);
      const reused = makeIncident({ id: first.id, model: 'b' });
      await expect(store.createIfNoneOpen(reused)).rejects.toSatisfy((error) =>
        isRollbotError(error, 'CONFLICT'),
      );
      expect(await store.openIncidentFor('b')).toBeUndefined();
    });
  });

  describe('updateIncident', () => {
    it('writes version + 1 and returns the stored copy', async () => {
      const { store } = get();
      const incident = makeIncident();
      await store.createIfNoneOpen(incident);
      const v1 = await store.updateIncident({ ...incident, summary: 'first edit' });
      expect(v1).toEqual({ ...incident, summary: 'first edit', version: 1 });
      const v2 = v1 && (await store.updateIncident({ ...v1, severity: 1 }));
      expect(v2?.version).toBe(2);
      expect(await store.getIncident(incident.id)).toEqual(v2);
    });

    it('refuses a write based on a stale version and leaves the stored incident alone', async () => {
      const { store } = get();
      const incident = makeIncident();
      await store.createIfNoneOpen(incident);
      const current = await store.updateIncident({ ...incident, summary: 'fresh' });
      expect(await store.updateIncident({ ...incident, summary: 'stale' })).toBeUndefined();
      expect(await store.getIncident(incident.id)).toEqual(current);
    });

    it('refuses an incident that was never stored', async () => {
      expect(await get().store.updateIncident(makeIncident())).toBeUndefined();
    });

    it('lets exactly one of several concurrent writers from one version win, across two stores', async () => {
      const { store, peer } = get();
      const incident = makeIncident();
      await store.createIfNoneOpen(incident);
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? peer : store).updateIncident({ ...incident, summary: `writer ${i}` }),
        ),
      );
      const winners = results.filter((result) => result !== undefined);
      expect(winners).toHaveLength(1);
      expect(winners[0]?.version).toBe(1);
      expect(await store.getIncident(incident.id)).toEqual(winners[0]);
    });

    it('moves the open-incident pointer with the phase, and never unseats a newer incident', async () => {
      const { store } = get();
      expect(await store.openIncidentFor('ranker')).toBeUndefined();
      const first = makeIncident({ model: 'ranker' });
      await store.createIfNoneOpen(first);
      expect(await store.openIncidentFor('ranker')).toEqual(first);

      const dismissed = await storeDismissed(get, first);
      expect(await store.openIncidentFor('ranker')).toBeUndefined();

      const second = makeIncident({ model: 'ranker', at: T0 + 60_000 });
      await store.createIfNoneOpen(second);
      // A late edit of the old, closed incident must leave the new one as the model's open incident.
      expect(await store.updateIncident({ ...dismissed, summary: 'late edit' })).toBeDefined();
      expect(await store.openIncidentFor('ranker')).toEqual(second);
    });

    it("follows the model's open incident when another replica closes it and opens the next", async () => {
      const { store, peer } = get();
      const first = makeIncident({ model: 'ranker' });
      await store.createIfNoneOpen(first);
      expect(await store.openIncidentFor('ranker')).toEqual(first);

      const dismissed = await peer.updateIncident(dismiss(first));
      expect(dismissed).toBeDefined();
      expect(await store.openIncidentFor('ranker')).toBeUndefined();

      const second = makeIncident({ model: 'ranker', at: T0 + 60_000 });
      await peer.createIfNoneOpen(second);
      expect(await store.openIncidentFor('ranker')).toEqual(second);
      const edited = await peer.updateIncident({ ...second, summary: 'edited on the peer' });
      expect(await store.openIncidentFor('ranker')).toEqual(edited);
    });
  });

  describe('seenOpenIncidentFor', () => {
    it("is the model's open incident, or a version of it this replica had that a write from is refused", async () => {
      const { store, peer } = get();
      expect(await store.seenOpenIncidentFor('ranker')).toBeUndefined();
      const opened = makeIncident({ model: 'ranker' });
      await peer.createIfNoneOpen(opened);
      // Never seen here: read.
      expect(await store.seenOpenIncidentFor('ranker')).toEqual(opened);

      const edited = await peer.updateIncident({ ...opened, summary: 'edited on the peer' });
      const seen = await store.seenOpenIncidentFor('ranker');
      expect([opened, edited]).toContainEqual(seen);
      // Whichever it handed out, a write from it lands only on the version stored.
      const written = await store.updateIncident({ ...(seen as Incident), summary: 'written here' });
      expect(written === undefined).toBe(seen?.version !== edited?.version);
      const current = await store.openIncidentFor('ranker');
      expect(current).toEqual(written ?? edited);
      expect(await store.seenOpenIncidentFor('ranker')).toEqual(current);

      await storeDismissed(get, current as Incident);
      expect(await store.openIncidentFor('ranker')).toBeUndefined();
      expect(await store.seenOpenIncidentFor('ranker')).toBeUndefined();
    });
  });

  describe('alert keys and timeline entries written with an update', () => {
    it('knows the keys written with an update, per incident, and nothing else', async () => {
      const { store, peer } = get();
      const incident = makeIncident();
      await store.createIfNoneOpen(incident);
      expect(await store.knownAlertKeys(incident.id, ['a', 'b'])).toEqual(new Set());
      const v1 = await store.updateIncident(
        { ...incident, summary: 'two joined' },
        { alertKeys: ['a', 'b'] },
      );
      expect(v1?.version).toBe(1);
      expect(await peer.knownAlertKeys(incident.id, ['a', 'c', 'b'])).toEqual(new Set(['a', 'b']));
      expect(await store.knownAlertKeys('INC-other', ['a'])).toEqual(new Set());
      expect(await store.knownAlertKeys(incident.id, [])).toEqual(new Set());
    });

    it('records no key with a refused write, and refuses a write whose key is already known', async () => {
      const { store } = get();
      const incident = makeIncident();
      await store.createIfNoneOpen(incident);
      const v1 = await store.updateIncident({ ...incident, summary: 'first' }, { alertKeys: ['a'] });
      if (!v1) throw new Error('first write refused');
      // Stale version: refused, and its key is not recorded.
      expect(
        await store.updateIncident({ ...incident, summary: 'stale' }, { alertKeys: ['b'] }),
      ).toBeUndefined();
      expect(await store.knownAlertKeys(incident.id, ['b'])).toEqual(new Set());
      // Current version but a known key: refused as a whole, so the caller re-reads and sees the duplicate.
      expect(
        await store.updateIncident({ ...v1, summary: 'again' }, { alertKeys: ['c', 'a'] }),
      ).toBeUndefined();
      expect(await store.knownAlertKeys(incident.id, ['c'])).toEqual(new Set());
      expect(await store.getIncident(incident.id)).toEqual(v1);
    });

    it('takes a group larger than a script can spread in one call (a 1 MiB body holds thousands of alerts)', async () => {
      const { store } = get();
      const incident = makeIncident();
      await store.createIfNoneOpen(incident);
      const keys = Array.from({ length: 9_000 }, (_, n) => `key-${n}`);
      const v1 = await store.updateIncident({ ...incident, summary: 'a big group' }, { alertKeys: keys });
      if (!v1) throw new Error('write refused');
      expect(await store.knownAlertKeys(incident.id, keys)).toEqual(new Set(keys));
      // A key known from far into the group still refuses the write whole.
      expect(
        await store.updateIncident({ ...v1, summary: 'again' }, { alertKeys: ['new', 'key-8999'] }),
      ).toBeUndefined();
      expect(await store.knownAlertKeys(incident.id, ['new'])).toEqual(new Set());
    });

    it('appends the timeline entries of a write with it, and none with a refused write', async () => {
      const { store, peer } = get();
      const incident = makeIncident();
      await store.createIfNoneOpen(incident);
      const note = (n: number) => ({
        at: T0 + n,
        incidentId: incident.id,
        type: 'alert.attached',
        actor: 'rollbot',
        text: `alert ${n} joined`,
        data: { fingerprint: `fp-${n}`, labels: {}, gates: [] },
      });
      await store.append(note(0));
      const v1 = await peer.updateIncident(
        { ...incident, summary: 'two joined' },
        { timeline: [note(1), note(2)] },
      );
      if (!v1) throw new Error('write refused');
      expect(
        await store.updateIncident({ ...incident, summary: 'stale' }, { timeline: [note(3)] }),
      ).toBeUndefined();
      expect(await store.list(incident.id)).toEqual([0, 1, 2].map((n) => ({ seq: n + 1, ...note(n) })));
      expect(await store.append(note(4))).toMatchObject({ seq: 4 });
    });

    it('schedules the deadlines of a write with it (moving one of the same id), and none with a refused write', async () => {
      const { store, peer } = get();
      const incident = makeIncident();
      await store.createIfNoneOpen(incident);
      const run = (dueAt: number, id = `${incident.id}:triage-run`) => ({
        id,
        kind: 'triage-run',
        dueAt,
        payload: { incidentId: incident.id },
      });
      await store.schedule(run(T0 + 60_000));
      const v1 = await peer.updateIncident(
        { ...incident, summary: 'joined' },
        { alertKeys: ['a'], deadlines: [run(T0 + 1_000), run(T0 + 5_000, 'other')] },
      );
      if (!v1) throw new Error('write refused');
      expect(
        await store.updateIncident({ ...incident, summary: 'stale' }, { deadlines: [run(T0, 'stale')] }),
      ).toBeUndefined();
      expect(await store.pending()).toEqual([run(T0 + 1_000), run(T0 + 5_000, 'other')]);
      // They are deadlines like any other: claimed when due.
      expect(await store.claimDue(T0 + 2_000, 30_000, 10)).toEqual([run(T0 + 1_000)]);
    });

    it('refuses timeline entries of another incident, writing nothing', async () => {
      const { store } = get();
      const incident = makeIncident();
      await store.createIfNoneOpen(incident);
      const stray = { at: T0, incidentId: 'INC-other', type: 'note', actor: 'rollbot', text: 'stray' };
      await expect(
        store.updateIncident({ ...incident, summary: 'x' }, { alertKeys: ['a'], timeline: [stray] }),
      ).rejects.toThrow(/INC-other/);
      expect(await store.getIncident(incident.id)).toEqual(incident);
      expect(await store.knownAlertKeys(incident.id, ['a'])).toEqual(new Set());
      expect(await store.list('INC-other')).toEqual([]);
    });

    it('lets exactly one of several concurrent writers record a key, across two stores', async () => {
      const { store, peer } = get();
      const incident = makeIncident();
      await store.createIfNoneOpen(incident);
      let winners = 0;
      // Each writer re-reads and retries until it wins or finds its key known, as the engine does.
      await Promise.all(
        Array.from({ length: 6 }, async (_, i) => {
          const own = i % 2 ? peer : store;
          for (;;) {
            if ((await own.knownAlertKeys(incident.id, ['k'])).has('k')) return;
            const current = await own.getIncident(incident.id);
            if (!current) throw new Error('incident vanished');
            const stored = await own.updateIncident(
              { ...current, summary: `writer ${i}` },
              { alertKeys: ['k'] },
            );
            if (stored) {
              winners += 1;
              return;
            }
          }
        }),
      );
      expect(winners).toBe(1);
      expect((await store.getIncident(incident.id))?.version).toBe(1);
    });
  });

  describe('stored copies', () => {
    it('round-trips every field, optional ones included', async () => {
      const { store } = get();
      const incident = makeIncident({
        labels: { model: 'fraud-scorer', team: 'risk — ünïcode' },
        drill: true,
      });
      await store.createIfNoneOpen(incident);
      const dismissed = await storeDismissed(get, incident);
      expect(dismissed.decision?.kind).toBe('not-rollback');
      expect(await store.getIncident(incident.id)).toEqual(dismissed);
    });

    it('keep a measured ±Inf as it was measured, for every replica', async () => {
      // Prometheus answers "+Inf" for a histogram_quantile past its last bucket and for a division by zero.
      // Read back as null, a +Inf p99 would show as "-Inf" and a baseline of +Inf as "unknown".
      const { store, peer } = get();
      const latency = {
        name: 'p99 latency',
        kind: 'latency' as const,
        value: Infinity,
        failedValue: Infinity,
        threshold: '≤ 250ms',
        unit: 'seconds' as const,
        outcomes: ['fail' as const],
        verdict: 'FAIL' as const,
      };
      const incident = makeIncident();
      await store.createIfNoneOpen(incident);
      const measured = await store.updateIncident({
        ...incident,
        triage: { at: T0, finding: 'breach', checks: [latency], summary: 'p99 latency +Inf outside ≤ 250ms' },
        confirmation: {
          startedAt: T0,
          baselines: { 'p99 latency': Infinity, margin: -Infinity, errors: null },
          outcomes: ['fail'],
          last: { at: T0, checks: [{ ...latency, inconclusiveValue: -Infinity }] },
        },
      });
      expect(measured).toBeDefined();
      expect(await peer.getIncident(incident.id)).toEqual(measured);
      expect(await peer.listIncidents({})).toEqual([measured]);
      const { alerts, ...head } = measured!;
      expect(await peer.listIncidentHeads({})).toEqual([{ ...head, alertRefs: alerts.length }]);
    });

    it('are isolated from mutation by callers, on the way in and out', async () => {
      const { store } = get();
      const incident = makeIncident();
      const expected = structuredClone(incident);
      const { incident: returned } = await store.createIfNoneOpen(incident);
      incident.labels.model = 'mutated-input';
      returned.alerts.push(makeAlertRef(T0, { fingerprint: 'mutated-output' }));
      const read = await store.getIncident(expected.id);
      expect(read).toEqual(expected);
      if (read) read.stages.triage.endedAt = 1;
      expect(await store.openIncidentFor(expected.model)).toEqual(expected);
      expect(await store.seenOpenIncidentFor(expected.model)).toEqual(expected);
    });
  });
}
