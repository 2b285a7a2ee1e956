import { describe, expect, it } from 'vitest';
import type { NormalizedAlert } from '../../../src/alerts/types.js';
import { isRollbotError } from '../../../src/core/errors.js';
import { MAX_ALERT_REFS } from '../../../src/core/incident-alerts.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import type { Store } from '../../../src/engine/ports.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { firing, recordedFingerprints } from '../../helpers/alerts.js';
import { TestClock, makeDeps } from '../../helpers/engine.js';

/** `count` distinct firing alerts of one model, numbered from `from`. */
function alerts(model: string, now: number, from: number, count: number): NormalizedAlert[] {
  return Array.from({ length: count }, (_, i) =>
    firing(model, now, { fingerprint: `fp-${from + i}`, name: `Alert${from + i}` }),
  );
}

/** A memory store whose incident writes lose to another writer `losses` times (Infinity: always). */
function contendedStore(clock: TestClock, losses: number): Store & { writes: number } {
  const store = createMemoryStore({ clock });
  let lost = 0;
  const contended = {
    ...store,
    writes: 0,
    async updateIncident(...args: Parameters<Store['updateIncident']>) {
      contended.writes += 1;
      if (lost < losses) {
        lost += 1;
        return undefined;
      }
      return store.updateIncident(...args);
    },
  };
  return contended;
}

describe('alert intake of whole groups', () => {
  it('joins a group of alerts to the incident in one write, answering in the order sent', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    await ingestAlerts(deps, alerts('fraud-scorer', now, 0, 1));
    const before = await deps.store.getIncident('INC-1');

    const group = alerts('fraud-scorer', now, 1, 50);
    const results = await ingestAlerts(deps, group);

    expect(results.map((result) => result.fingerprint)).toEqual(group.map((alert) => alert.fingerprint));
    expect(results.every((result) => result.outcome === 'attached' && result.incidentId === 'INC-1')).toBe(
      true,
    );
    const after = await deps.store.getIncident('INC-1');
    expect(after?.version).toBe((before?.version ?? 0) + 1);
    expect(after?.alerts).toHaveLength(51);
    expect(recordedFingerprints(await deps.store.list('INC-1'))).toEqual([
      'fp-0',
      ...group.map((alert) => alert.fingerprint),
    ]);
    // One entry for the group, naming each alert: a storm's timeline is read by people, one line per delivery.
    const timeline = await deps.store.list('INC-1');
    expect(timeline.map((entry) => [entry.seq, entry.type])).toEqual([
      [1, 'incident.opened'],
      [2, 'alert.attached'],
    ]);
    expect(timeline[1]?.text).toBe(
      '50 alerts joined the incident (Alert1, Alert2, Alert3 and 47 more, from alertmanager); severity SEV-1',
    );
    expect(timeline[1]?.data?.alerts).toEqual(
      group.map(({ fingerprint, source, name }) => ({ fingerprint, source, name })),
    );
  });

  it('names one joining alert in full, and records alerts firing again apart from new ones', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    // Without a start time, as a generic webhook may post it: a resolved one that fires again is the same alert.
    const generic = (fingerprint: string): NormalizedAlert => {
      const { startsAt: _none, ...alert } = firing('fraud-scorer', now, { fingerprint, name: 'DriftHigh' });
      return { ...alert, source: 'generic' };
    };
    await ingestAlerts(deps, [generic('g1'), generic('g2')]);
    await ingestAlerts(deps, [{ ...generic('g1'), status: 'resolved' as const, endsAt: now }]);
    await ingestAlerts(deps, [generic('g1'), generic('g3'), generic('g4')]);

    const attached = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'alert.attached');
    expect(attached.map((entry) => entry.text)).toEqual([
      'alert DriftHigh (generic, g2) joined the incident; severity SEV-1',
      '2 alerts joined the incident (DriftHigh ×2, from generic); severity SEV-1',
      'alert DriftHigh (generic, g1) fired again after it resolved at the source; severity SEV-1',
    ]);
    expect(attached.map((entry) => entry.data?.alerts)).toEqual([
      [{ fingerprint: 'g2', source: 'generic', name: 'DriftHigh' }],
      [
        { fingerprint: 'g3', source: 'generic', name: 'DriftHigh' },
        { fingerprint: 'g4', source: 'generic', name: 'DriftHigh' },
      ],
      [{ fingerprint: 'g1', source: 'generic', name: 'DriftHigh' }],
    ]);
  });

  it('opens with the first alert of a group and attaches the rest, raising the severity', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    const [first, second] = [
      firing('fraud-scorer', now, {
        fingerprint: 'a',
        labels: { model: 'fraud-scorer', severity: 'warning' },
      }),
      firing('fraud-scorer', now, {
        fingerprint: 'b',
        labels: { model: 'fraud-scorer', severity: 'critical' },
      }),
    ];
    const results = await ingestAlerts(deps, [first, second, first]);
    expect(results.map((result) => result.outcome)).toEqual(['opened', 'attached', 'duplicate']);
    expect((await deps.store.getIncident('INC-1'))?.severity).toBe(1);
    const timeline = await deps.store.list('INC-1');
    expect(timeline.map((entry) => entry.type)).toEqual(['incident.opened', 'alert.attached']);
    expect(timeline[1]?.text).toContain('severity SEV-1');
    expect((await deps.store.pending()).map((deadline) => deadline.id)).toEqual([
      'INC-1:triage-run',
      'INC-1:triage',
    ]);
  });

  it('handles several models and unrouted alerts in one body, each in its place', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    const body = [
      firing('fraud-scorer', now, { fingerprint: 'f1' }),
      firing('nobody', now, { fingerprint: 'u1' }),
      firing('churn-predictor', now, { fingerprint: 'c1' }),
      firing('fraud-scorer', now, { fingerprint: 'f2' }),
      { ...firing('churn-predictor', now, { fingerprint: 'c1' }), status: 'resolved' as const, endsAt: now },
    ];
    const results = await ingestAlerts(deps, body);
    expect(results.map((result) => [result.fingerprint, result.outcome, result.model])).toEqual([
      ['f1', 'opened', 'fraud-scorer'],
      ['u1', 'unrouted', undefined],
      ['c1', 'opened', 'churn-predictor'],
      ['f2', 'attached', 'fraud-scorer'],
      ['c1', 'resolved', 'churn-predictor'],
    ]);
    const churn = results[2]?.incidentId ?? '';
    expect((await deps.store.getIncident(churn))?.alerts[0]?.resolvedAt).toBe(now);
  });
});

describe('duplicates beyond the kept alert refs (F2)', () => {
  it('knows an alert re-sent after the incident holds MAX_ALERT_REFS refs', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    const all = alerts('fraud-scorer', now, 1, 150);
    for (let i = 0; i < 150; i += 50) await ingestAlerts(deps, all.slice(i, i + 50));
    const incident = await deps.store.getIncident('INC-1');
    expect(incident?.alerts).toHaveLength(MAX_ALERT_REFS);
    expect(incident?.droppedAlerts).toBe(50);

    for (const resent of [all.slice(0, 50), all.slice(100, 150)]) {
      const results = await ingestAlerts(deps, resent);
      expect(results.every((result) => result.outcome === 'duplicate')).toBe(true);
    }
    // One at a time, too (a 1-alert body takes the same path).
    expect((await ingestAlerts(deps, [all[149] as NormalizedAlert]))[0]?.outcome).toBe('duplicate');

    const fingerprints = recordedFingerprints(await deps.store.list('INC-1'));
    expect(fingerprints).toHaveLength(150);
    expect(new Set(fingerprints).size).toBe(150);
    expect((await deps.store.getIncident('INC-1'))?.droppedAlerts).toBe(50);
  });

  it('asks the store for known keys only once the refs are full (until then they hold every alert), after a refused write', async () => {
    const deps = makeDeps();
    const asked: string[][] = [];
    const knownAlertKeys = deps.store.knownAlertKeys.bind(deps.store);
    deps.store.knownAlertKeys = async (incidentId, keys) => {
      asked.push([...keys]);
      return knownAlertKeys(incidentId, keys);
    };
    const all = alerts('fraud-scorer', deps.clock.now(), 1, MAX_ALERT_REFS + 1);
    for (const alert of all.slice(0, MAX_ALERT_REFS - 1)) await ingestAlerts(deps, [alert]);
    // The repeat of one kept in the refs is found there.
    expect((await ingestAlerts(deps, [all[5] as NormalizedAlert]))[0]?.outcome).toBe('duplicate');
    await ingestAlerts(deps, [all[MAX_ALERT_REFS - 1] as NormalizedAlert]);
    expect(asked).toEqual([]);
    const last = all[MAX_ALERT_REFS] as NormalizedAlert;
    // A new alert is written without asking: the write would be refused if its key were known.
    expect((await ingestAlerts(deps, [last]))[0]?.outcome).toBe('attached');
    expect(asked).toEqual([]);
    // Its repeat is refused so, and then asked about.
    expect((await ingestAlerts(deps, [last]))[0]?.outcome).toBe('duplicate');
    expect(asked).toEqual([[`alertmanager:${last.fingerprint}:${String(last.startsAt)}`]]);
  });

  it('counts a repeat within one body past the kept refs once', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    const body = alerts('fraud-scorer', now, 1, 120);
    const results = await ingestAlerts(deps, [...body, body[110] as NormalizedAlert]);
    expect(results.filter((result) => result.outcome === 'duplicate')).toHaveLength(1);
    expect(results.at(-1)?.outcome).toBe('duplicate');
    expect(recordedFingerprints(await deps.store.list('INC-1'))).toHaveLength(120);
  });

  it('does not reopen for an alert beyond the kept refs of an incident that is over', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    const all = alerts('fraud-scorer', now, 1, 120);
    await ingestAlerts(deps, all);
    const open = await deps.store.getIncident('INC-1');
    if (!open) throw new Error('no incident');
    await deps.store.updateIncident({ ...open, phase: 'dismissed' });

    const [repeat] = await ingestAlerts(deps, [all[115] as NormalizedAlert]);
    expect(repeat).toMatchObject({ outcome: 'duplicate', incidentId: 'INC-1' });
    expect(await deps.store.listIncidents({})).toHaveLength(1);
  });
});

describe('contention on an incident (F3)', () => {
  it('retries a lost write with backoff and records every alert once', async () => {
    const clock = new TestClock();
    const store = contendedStore(clock, 5);
    const deps = makeDeps({ clock, store });
    await openOne(deps);
    const started = clock.now();
    const results = await ingestAlerts(deps, alerts('fraud-scorer', started, 1, 10));
    expect(results.every((result) => result.outcome === 'attached')).toBe(true);
    expect(store.writes).toBe(6);
    // The backoff waited through deps.sleep (the test clock), not a real timer.
    expect(clock.now()).toBeGreaterThan(started);
    expect(recordedFingerprints(await store.list('INC-1'))).toHaveLength(11);
  });

  it('fails with UNAVAILABLE when contention wins, leaving nothing half-stored for the retry', async () => {
    const clock = new TestClock();
    const inner = createMemoryStore({ clock });
    const deps = makeDeps({ clock, store: inner });
    await openOne(deps);
    const group = alerts('fraud-scorer', clock.now(), 1, 10);

    const busy = makeDeps({ clock, store: { ...inner, updateIncident: async () => undefined } });
    const error: unknown = await ingestAlerts(busy, group).catch((caught: unknown) => caught);
    expect(isRollbotError(error, 'UNAVAILABLE')).toBe(true);
    expect(recordedFingerprints(await inner.list('INC-1'))).toHaveLength(1);
    const keys = group.map((alert) => `alertmanager:${alert.fingerprint}:${String(alert.startsAt)}`);
    expect(await inner.knownAlertKeys('INC-1', keys)).toEqual(new Set());

    // The sender's retry (Alertmanager re-sends on 503) records all of them, once.
    const results = await ingestAlerts(deps, group);
    expect(results.every((result) => result.outcome === 'attached')).toBe(true);
    expect(recordedFingerprints(await inner.list('INC-1'))).toHaveLength(11);
  });
});

describe('an incident that is resolved as an alert joins it', () => {
  /** A store on which another replica resolves INC-1 just before this replica's next alert join is written. */
  function resolvedUnderTheJoin(deps: ReturnType<typeof makeDeps>): Store {
    const inner = deps.store;
    let raced = false;
    return {
      ...inner,
      async updateIncident(...args: Parameters<Store['updateIncident']>) {
        if (!raced && args[1]?.alertKeys) {
          raced = true;
          await resolve({ ...deps, store: inner }, 'INC-1', { by: 'rollbot', reason: 'confirmation passed' });
        }
        return inner.updateIncident(...args);
      },
    };
  }

  it('opens a new incident for the alert instead of burying it in the resolved one', async () => {
    const deps = makeDeps();
    await openOne(deps);
    deps.clock.advance(30 * 60_000);
    const replica = makeDeps({ clock: deps.clock, store: resolvedUnderTheJoin(deps) });
    // The model degrades again (a new episode) just as confirmation resolves INC-1 on another replica.
    const again = firing('fraud-scorer', deps.clock.now(), { fingerprint: 'fp-0' });

    const [result] = await ingestAlerts(replica, [again]);

    expect(result).toMatchObject({ outcome: 'opened', incidentId: 'INC-2' });
    expect((await deps.store.getIncident('INC-1'))?.alerts).toHaveLength(1);
    expect(await deps.store.openIncidentFor('fraud-scorer')).toMatchObject({ id: 'INC-2', phase: 'triage' });
    expect((await deps.store.pending()).map((deadline) => deadline.id)).toContain('INC-2:triage');
    // Alertmanager's next repeat of that alert is a duplicate of the incident it opened.
    expect((await ingestAlerts(deps, [again]))[0]).toMatchObject({
      outcome: 'duplicate',
      incidentId: 'INC-2',
    });
  });
});

/** Opens INC-1 for fraud-scorer with one alert (fingerprint fp-0). */
async function openOne(deps: ReturnType<typeof makeDeps>) {
  await ingestAlerts(deps, alerts('fraud-scorer', deps.clock.now(), 0, 1));
  const incident = await deps.store.getIncident('INC-1');
  if (!incident) throw new Error('INC-1 was not opened');
  return incident;
}

describe('a group re-sent after one of its alerts’ incident is over', () => {
  it('keeps that alert a duplicate of its own incident, on every re-send, and out of the new one', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    const [old, fresh] = [
      firing('fraud-scorer', now, {
        fingerprint: 'fp-old',
        labels: { model: 'fraud-scorer', severity: 'critical' },
      }),
      firing('fraud-scorer', now, {
        fingerprint: 'fp-new',
        labels: { model: 'fraud-scorer', severity: 'warning' },
      }),
    ] as [NormalizedAlert, NormalizedAlert];
    await ingestAlerts(deps, [old]);
    await resolve(deps, 'INC-1', { by: 'rollbot', reason: 'confirmation passed' });
    deps.clock.advance(5 * 60_000);

    // Another alert of the model starts firing: Alertmanager sends the whole group, still-firing `old` included,
    // and again every group_interval.
    const first = await ingestAlerts(deps, [old, { ...fresh, startsAt: deps.clock.now() }]);
    deps.clock.advance(5 * 60_000);
    const again = await ingestAlerts(deps, [old, { ...fresh, startsAt: now + 5 * 60_000 }]);

    for (const results of [first, again]) {
      expect(results[0]).toMatchObject({ outcome: 'duplicate', incidentId: 'INC-1' });
      expect(results[1]).toMatchObject({ incidentId: 'INC-2' });
    }
    const incident = await deps.store.getIncident('INC-2');
    expect(incident?.alerts.map((ref) => ref.fingerprint)).toEqual(['fp-new']);
    // The old alert's severity is INC-1's business: it neither raises INC-2 nor pages for it.
    expect(incident?.severity).toBe(3);
    expect(deps.notifier.ofType('incident.updated').filter((event) => event.incident.id === 'INC-2')).toEqual(
      [],
    );
  });

  it('reads no earlier incidents when the model had none: a storm that started before its incident opened', async () => {
    const deps = makeDeps();
    const start = deps.clock.now();
    await ingestAlerts(deps, alerts('fraud-scorer', start, 0, 1));
    deps.clock.advance(60_000);
    let listed = 0;
    const listIncidents = deps.store.listIncidents.bind(deps.store);
    deps.store.listIncidents = async (...args) => {
      listed += 1;
      return listIncidents(...args);
    };
    // Started with the first alert, before the incident opened: arriving a group_interval later, one by one.
    for (let i = 1; i <= 5; i++) {
      const [result] = await ingestAlerts(deps, alerts('fraud-scorer', start, i, 1));
      expect(result).toMatchObject({ outcome: 'attached', incidentId: 'INC-1' });
    }
    expect(listed).toBe(0);
  });
});

describe('a resolution whose replica died right after storing it', () => {
  it('is on the timeline once the sender re-sends it: the mark and its record go in one write', async () => {
    const deps = makeDeps();
    const alert = firing('fraud-scorer', deps.clock.now());
    await ingestAlerts(deps, [alert]);
    const resolved: NormalizedAlert = { ...alert, status: 'resolved', endsAt: deps.clock.now() };
    // The replica stops (a crash, Redis gone) after its incident write and before anything else it would do.
    const dying = makeDeps({
      clock: deps.clock,
      store: {
        ...deps.store,
        append: async () => {
          throw new Error('connection lost');
        },
      },
    });
    await ingestAlerts(dying, [resolved]).catch(() => undefined);

    // Alertmanager got no answer and re-sends to another replica.
    await ingestAlerts(deps, [resolved]);
    const entries = await deps.store.list('INC-1');
    expect(entries.filter((entry) => entry.type === 'alert.resolved')).toHaveLength(1);
  });
});

describe('a group whose alerts resolve together', () => {
  it('records each resolution on the timeline, in one write, and tells the channel once', async () => {
    const deps = makeDeps();
    const group = alerts('fraud-scorer', deps.clock.now(), 1, 30);
    await ingestAlerts(deps, group);
    const writes = { count: 0 };
    const counted = makeDeps({
      clock: deps.clock,
      store: {
        ...deps.store,
        async updateIncident(...args: Parameters<Store['updateIncident']>) {
          writes.count += 1;
          return deps.store.updateIncident(...args);
        },
      },
    });
    const resolved = group.map((alert): NormalizedAlert => ({
      ...alert,
      status: 'resolved',
      endsAt: deps.clock.now(),
    }));

    const results = await ingestAlerts(counted, resolved);

    expect(results.every((result) => result.outcome === 'resolved')).toBe(true);
    const entries = await deps.store.list('INC-1');
    expect(entries.filter((entry) => entry.type === 'alert.resolved')).toHaveLength(30);
    expect((await deps.store.getIncident('INC-1'))?.alerts.every((ref) => ref.resolvedAt !== undefined)).toBe(
      true,
    );
    // Thirty thread replies at Slack's one message a second would hold up the channel (escalations included)
    // for half a minute; past the queue's bound they push out older replies.
    expect(counted.notifier.ofType('incident.updated')).toEqual([
      expect.objectContaining({
        text: '30 alerts resolved at the source (alertmanager): Alert1, Alert2, Alert3, Alert4, Alert5 and 25 more; waiting for confirmation',
      }),
    ]);
    expect(writes.count).toBe(1);
    // Delivered again (the other Alertmanager of an HA pair), nothing is recorded or said twice.
    expect((await ingestAlerts(counted, resolved)).every((result) => result.outcome === 'ignored')).toBe(
      true,
    );
    expect(counted.notifier.ofType('incident.updated')).toHaveLength(1);
  });
});
