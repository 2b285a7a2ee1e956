/**
 * An incident settled at the source (every alert it holds resolved there, every triage check passing on a complete
 * answer) is not worth waking anyone for when its triage target is missed: the rule both the pager and the
 * escalation's words follow.
 */
import { describe, expect, it } from 'vitest';
import type { CheckResult, TriageRecord } from '../../src/core/evaluation.js';
import type { Incident } from '../../src/core/incident.js';
import { escalationStaysQuiet, settledAtSource } from '../../src/core/settled-at-source.js';
import { makeAlertRef, makeIncident, T0 } from '../helpers/incidents.js';

const MINUTE = 60_000;

function check(verdict: CheckResult['verdict'], extra: Partial<CheckResult> = {}): CheckResult {
  return {
    name: 'error rate',
    kind: 'error',
    value: 0.01,
    threshold: '≤ 2%',
    outcomes: [],
    verdict,
    ...extra,
  };
}

function triage(finding: TriageRecord['finding'], checks: CheckResult[] = [check('PASS')]): TriageRecord {
  return { at: T0, finding, checks, summary: 'no threshold breached: a person decides' };
}

/** INC-9 with two alerts, both resolved at the source, and a triage whose every check passed. */
function settled(extra: Partial<Incident> = {}): Incident {
  const base = makeIncident({ id: 'INC-9', alert: { resolvedAt: T0 + 2 * MINUTE } });
  const second = makeAlertRef(T0 + MINUTE, { fingerprint: 'fp-latency', resolvedAt: T0 + 3 * MINUTE });
  return { ...base, alerts: [...base.alerts, second], triage: triage('ok'), ...extra };
}

describe('settledAtSource', () => {
  it('holds when every alert resolved at the source and every check passes', () => {
    expect(settledAtSource(settled())).toBe(true);
  });

  it('does not hold while one alert still fires', () => {
    const incident = settled();
    const stillFiring = makeAlertRef(T0 + MINUTE, { fingerprint: 'fp-latency' });
    expect(settledAtSource({ ...incident, alerts: [incident.alerts[0]!, stillFiring] })).toBe(false);
    expect(settledAtSource(makeIncident({ alert: {} }))).toBe(false);
  });

  it('does not hold when alerts were dropped past the ref cap: whether those resolved is unknown', () => {
    expect(settledAtSource(settled({ droppedAlerts: 1 }))).toBe(false);
  });

  it.each(['breach', 'no-data', 'unavailable'] as const)('does not hold on a %s finding', (finding) => {
    expect(settledAtSource(settled({ triage: triage(finding, [check('FAIL')]) }))).toBe(false);
  });

  it('does not hold before triage measured anything, nor on an incident without alerts', () => {
    const { triage: _none, ...untriaged } = settled();
    expect(settledAtSource(untriaged)).toBe(false);
    expect(settledAtSource(settled({ alerts: [] }))).toBe(false);
  });

  it('does not hold when a passing check rests on a partial answer (Prometheus warnings)', () => {
    const partial = triage('ok', [check('PASS'), check('PASS', { name: 'p99', warnings: ['store down'] })]);
    expect(settledAtSource(settled({ triage: partial }))).toBe(false);
  });
});

describe('escalationStaysQuiet', () => {
  it("is the triage target's escalation of a settled incident only", () => {
    expect(escalationStaysQuiet(settled(), 'triage')).toBe(true);
    expect(escalationStaysQuiet(settled(), 'triage', 'something-else')).toBe(false);
    expect(escalationStaysQuiet(settled(), 'rollback')).toBe(false);
    expect(escalationStaysQuiet(settled(), 'confirm', 'confirmation-failed')).toBe(false);
    expect(escalationStaysQuiet(settled({ droppedAlerts: 2 }), 'triage')).toBe(false);
  });
});
