import { describe, expect, it } from 'vitest';
import { isRollbotError } from '../../src/core/errors.js';
import {
  closeRetro,
  decide,
  isOpen,
  openIncident,
  recordBreach,
  resolve,
  trafficRestored,
  transition,
  type Incident,
} from '../../src/core/incident.js';
import { alertKey, type AlertRef } from '../../src/core/alert-ref.js';
import type { Severity } from '../../src/core/severity.js';
import {
  attachAlert,
  attachAlerts,
  markAlertResolved,
  MAX_ALERT_REFS,
  type AlertJoin,
} from '../../src/core/incident-alerts.js';
import { viewStages } from '../../src/core/incident-stages.js';
import { viewStage } from '../../src/core/stages.js';

const T0 = 1_700_000_000_000;
const TARGETS = { detect: 300_000, triage: 600_000, rollback: 300_000, confirm: 900_000, retro: 172_800_000 };

function fresh(): Incident {
  return openIncident({
    id: 'INC-1',
    model: 'fraud-scorer',
    severity: 2,
    drill: false,
    summary: 'error rate up',
    labels: { model: 'fraud-scorer' },
    targets: TARGETS,
    alert: {
      key: 'k1',
      source: 'alertmanager',
      fingerprint: 'f1',
      name: 'High',
      startsAt: T0 - 120_000,
      receivedAt: T0,
    },
  });
}

const rollbackDecision = {
  kind: 'rollback' as const,
  by: 'U1',
  at: T0 + 60_000,
  reason: 'p99 doubled',
  trigger: 'slack' as const,
};

describe('incident state machine', () => {
  it('walks the whole runbook: triage → rollback → confirm → resolved → closed', () => {
    let incident = decide(fresh(), rollbackDecision);
    expect(incident.phase).toBe('rollback');
    expect(incident.stages.triage).toEqual({ startedAt: T0, endedAt: T0 + 60_000 });
    expect(incident.stages.rollback).toEqual({ startedAt: T0 + 60_000 });
    expect(incident.stages.confirm).toEqual({ startedAt: T0 + 60_000 });

    incident = trafficRestored(incident, T0 + 100_000);
    expect(incident.phase).toBe('confirm');
    expect(incident.stages.rollback.endedAt).toBe(T0 + 100_000);

    incident = resolve(incident, T0 + 400_000);
    expect(incident).toMatchObject({ phase: 'resolved', resolvedAt: T0 + 400_000 });
    expect(incident.stages.confirm.endedAt).toBe(T0 + 400_000);
    expect(incident.stages.retro).toEqual({ startedAt: T0 + 400_000 });
    expect(isOpen(incident)).toBe(false);

    incident = closeRetro(incident, T0 + 500_000);
    expect(incident.phase).toBe('closed');
    expect(incident.stages.retro.endedAt).toBe(T0 + 500_000);
  });

  it('dismisses on "not a rollback"', () => {
    const incident = decide(fresh(), { ...rollbackDecision, kind: 'not-rollback' });
    expect(incident.phase).toBe('dismissed');
    expect(incident.stages.rollback).toEqual({});
  });

  it.each([
    ['triage', 'confirm'],
    ['triage', 'closed'],
    ['resolved', 'triage'],
  ] as const)('refuses %s → %s with ILLEGAL_TRANSITION and the legal moves', (from, to) => {
    const incident = { ...fresh(), phase: from };
    try {
      transition(incident, to);
      expect.unreachable();
    } catch (error) {
      expect(isRollbotError(error, 'ILLEGAL_TRANSITION')).toBe(true);
      expect((error as Error).message).toBe(`incident INC-1 is ${from}; it cannot become ${to}`);
    }
  });

  it('refuses to decide twice', () => {
    expect(() => decide(decide(fresh(), rollbackDecision), rollbackDecision)).toThrow(
      'incident INC-1 is rollback: it was decided already',
    );
  });

  it('refuses to decide on an incident that left triage undecided (resolved by hand), without saying it was decided', () => {
    const resolvedByHand = resolve(fresh(), T0 + 60_000);
    try {
      decide(resolvedByHand, rollbackDecision);
      expect.unreachable();
    } catch (error) {
      expect(isRollbotError(error, 'ILLEGAL_TRANSITION')).toBe(true);
      expect((error as Error).message).toBe(
        'incident INC-1 is resolved: it is no longer in triage, so there is nothing to decide',
      );
    }
  });

  it('refuses every move out of a final phase', () => {
    const dismissed = decide(fresh(), { ...rollbackDecision, kind: 'not-rollback' });
    expect(() => transition(dismissed, 'resolved')).toThrow(/dismissed is final|cannot become/);
  });

  it('detect runs from alert start to receipt, never negative', () => {
    expect(fresh().stages.detect).toEqual({ startedAt: T0 - 120_000, endedAt: T0 });
    const future = openIncident({
      ...fresh(),
      alert: { ...fresh().alerts[0]!, startsAt: T0 + 5_000 },
    } as never);
    expect(future.stages.detect).toEqual({ startedAt: T0, endedAt: T0 });
  });
});

/** A ref of a generic alert posted without a start time: its key has none. */
function genericRef(fingerprint: string, resolvedAt?: number): AlertRef {
  return {
    key: alertKey('generic', fingerprint),
    source: 'generic',
    fingerprint,
    name: 'High',
    startsAt: T0,
    receivedAt: T0,
    ...(resolvedAt === undefined ? {} : { resolvedAt }),
  };
}

describe('alerts on an incident', () => {
  it('attaches new alerts once and keeps the worst severity', () => {
    const other = {
      key: 'k2',
      source: 'alertmanager' as const,
      fingerprint: 'f2',
      name: 'Slow',
      startsAt: T0,
      receivedAt: T0,
    };
    const attached = attachAlert(fresh(), other, 1);
    expect(attached?.alerts).toHaveLength(2);
    expect(attached?.severity).toBe(1);
    expect(attachAlert(attached!, other, 1)).toBeUndefined();
    expect(attachAlert(fresh(), other, 4)?.severity).toBe(2);
  });

  it('counts alerts beyond the cap instead of growing without bound', () => {
    let incident = fresh();
    for (let i = 0; i < MAX_ALERT_REFS + 5; i++) {
      incident = attachAlert(incident, { ...incident.alerts[0]!, key: `x${i}` }, 3) ?? incident;
    }
    expect(incident.alerts).toHaveLength(MAX_ALERT_REFS);
    expect(incident.droppedAlerts).toBe(6);
  });

  it('finds a full incident’s refs on every join, the same refs asked again, and one firing again', () => {
    const refs = Array.from({ length: MAX_ALERT_REFS }, (_, i) =>
      genericRef(`f${i}`, i === 60 ? T0 + 1 : undefined),
    );
    const full: Incident = { ...fresh(), alerts: refs };
    const join = (fingerprint: string): AlertJoin => ({ ref: genericRef(fingerprint), severity: 3 });

    for (let round = 0; round < 2; round++) {
      expect(attachAlerts(full, [join('f0')])).toBeUndefined();
      expect(attachAlerts(full, [join('f99')])).toBeUndefined();
      expect(attachAlerts(full, [join('new')])?.incident.droppedAlerts).toBe(full.droppedAlerts + 1);
    }
    const again = attachAlerts(full, [join('f60'), join('f61'), join('f60')]);
    expect(again?.attached.map(({ index, again }) => ({ index, again }))).toEqual([
      { index: 0, again: true },
    ]);
    expect(again?.incident.alerts[60]).toEqual(genericRef('f60'));
    // Firing again, it is held unresolved in the same place: the next copy is a repeat.
    expect(again && attachAlerts(again.incident, [join('f60')])).toBeUndefined();
    expect(full.alerts[60]).toEqual(genericRef('f60', T0 + 1));
  });

  it('joins a batch in one change: repeats within it, known keys and refs past the cap each counted once', () => {
    const kept = Array.from({ length: MAX_ALERT_REFS - 2 }, (_, i) => genericRef(`kept${i}`));
    const incident: Incident = { ...fresh(), alerts: [genericRef('again', T0 - 1), ...kept] };
    const before = structuredClone(incident);
    const join = (fingerprint: string, severity: Severity): AlertJoin => ({
      ref: genericRef(fingerprint),
      severity,
    });
    const joins = [
      join('new', 3),
      join('new', 1),
      join('again', 2),
      join('again', 1),
      join('known', 1),
      join('past-cap', 1),
      join('past-cap', 4),
      join('kept3', 1),
    ];

    const change = attachAlerts(incident, joins, new Set([alertKey('generic', 'known')]));

    expect(change?.attached.map(({ index, severity, again }) => ({ index, severity, again }))).toEqual([
      { index: 0, severity: 2, again: false },
      { index: 2, severity: 2, again: true },
      { index: 5, severity: 1, again: false },
    ]);
    expect(change?.incident.severity).toBe(1);
    expect(change?.incident.alerts).toHaveLength(MAX_ALERT_REFS);
    expect(change?.incident.alerts[0]).toEqual(genericRef('again'));
    expect(change?.incident.alerts.at(-1)).toEqual(genericRef('new'));
    expect(change?.incident.droppedAlerts).toBe(incident.droppedAlerts + 1);
    // The incident it was given is left as it was.
    expect(incident).toEqual(before);
    expect(attachAlerts(incident, [join('kept3', 1)])).toBeUndefined();
  });
});

describe('resolved alerts', () => {
  const T1 = T0 - 120_000;
  const episode = (startsAt: number): AlertRef => ({
    key: alertKey('alertmanager', 'f1', startsAt),
    source: 'alertmanager',
    fingerprint: 'f1',
    name: 'High',
    startsAt,
    receivedAt: startsAt,
  });
  const resolution = (startsAt?: number) => ({
    source: 'alertmanager' as const,
    fingerprint: 'f1',
    ...(startsAt === undefined ? {} : { startsAt }),
  });

  /** Episode T1 of alert f1 resolved, then the rule fired again at T0: same fingerprint, new start. */
  function refired(): Incident {
    const first = markAlertResolved({ ...fresh(), alerts: [episode(T1)] }, resolution(T1), T0 - 60_000);
    return attachAlert(first!, episode(T0), 2)!;
  }

  it('resolves only the episode a resolution names by its start time', () => {
    const incident = refired();
    // An HA Alertmanager peer re-sends the resolution of T1.
    expect(markAlertResolved(incident, resolution(T1), T0 + 60_000)).toBeUndefined();
    const resolved = markAlertResolved(incident, resolution(T0), T0 + 60_000);
    expect(resolved?.alerts.map((ref) => ref.resolvedAt)).toEqual([T0 - 60_000, T0 + 60_000]);
  });

  it('resolves an alert recorded without a start time whatever episode the resolution names', () => {
    const undated = { ...episode(T0), key: alertKey('alertmanager', 'f1') };
    const resolved = markAlertResolved({ ...fresh(), alerts: [undated] }, resolution(T1), T0 + 60_000);
    expect(resolved?.alerts[0]?.resolvedAt).toBe(T0 + 60_000);
  });

  it('falls back to the fingerprint when the resolution has no start time', () => {
    const resolved = markAlertResolved(refired(), resolution(), T0 + 60_000);
    expect(resolved?.alerts.map((ref) => ref.resolvedAt)).toEqual([T0 - 60_000, T0 + 60_000]);
  });
});

describe('stage targets', () => {
  it('is in time at target − 1 ms and breached at exactly the target', () => {
    const clock = { startedAt: T0 };
    expect(viewStage('triage', clock, 600_000, T0 + 599_999)).toMatchObject({
      breached: false,
      remainingMs: 1,
    });
    expect(viewStage('triage', clock, 600_000, T0 + 600_000)).toMatchObject({
      breached: true,
      remainingMs: 0,
    });
  });

  it('records a breach once', () => {
    const breached = recordBreach(fresh(), 'triage', T0 + 600_000);
    expect(breached?.stages.triage.breachedAt).toBe(T0 + 600_000);
    expect(recordBreach(breached!, 'triage', T0 + 700_000)).toBeUndefined();
  });

  it('views every stage in order', () => {
    const views = viewStages(fresh(), T0 + 30_000);
    expect(views.map((view) => [view.stage, view.state, view.elapsedMs])).toEqual([
      ['detect', 'done', 120_000],
      ['triage', 'running', 30_000],
      ['rollback', 'pending', 0],
      ['confirm', 'pending', 0],
      ['retro', 'pending', 0],
    ]);
  });
});
