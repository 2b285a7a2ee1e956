import { describe, expect, it } from 'vitest';
import type { CheckResult, TriageRecord } from '../../../src/core/evaluation.js';
import type { Incident } from '../../../src/core/incident.js';
import type { Severity } from '../../../src/core/severity.js';
import type { Stage } from '../../../src/core/stages.js';
import type { NotifierEvent } from '../../../src/engine/notifier-port.js';
import { nextBusinessStart, pageFor, withinBusinessHours } from '../../../src/paging/policy.js';
import { executingRollback, makeAlertRef, makeIncident, T0 } from '../../helpers/incidents.js';

const DUBLIN = { timezone: 'Europe/Dublin' };
/** Monday 15 June 2026, 10:00 in Dublin (IST, UTC+1). */
const MONDAY_10 = Date.parse('2026-06-15T09:00:00Z');

const opened = (incident: Incident): NotifierEvent => ({ type: 'incident.opened', incident, channel: '#ml' });
const updated = (incident: Incident): NotifierEvent => ({
  type: 'incident.updated',
  incident,
  channel: '#ml',
  text: 'changed',
});
const incident = (severity: Severity, extra: Partial<Incident> = {}): Incident => ({
  ...makeIncident({ id: 'INC-9', severity, summary: 'accuracy dropped' }),
  ...extra,
});

describe('pageFor', () => {
  it.each([
    [1, 'critical'],
    [2, 'error'],
  ] as const)('SEV-%s openings trigger as %s at any hour', (severity, level) => {
    const night = Date.parse('2026-06-20T01:00:00Z');
    expect(pageFor(opened(incident(severity)), night, DUBLIN)).toEqual([
      {
        action: 'trigger',
        dedupKey: 'rollbot-INC-9',
        summary: `[SEV-${severity}] fraud-scorer: accuracy dropped (INC-9)`,
        severity: level,
        source: 'rollbot',
        details: { incident: 'INC-9', model: 'fraud-scorer', severity: `SEV-${severity}`, phase: 'triage' },
      },
    ]);
  });

  it('SEV-3 openings trigger only within business hours', () => {
    const sev3 = opened(incident(3));
    expect(pageFor(sev3, MONDAY_10, DUBLIN)).toMatchObject([{ action: 'trigger', severity: 'warning' }]);
    expect(pageFor(sev3, Date.parse('2026-06-15T07:59:00Z'), DUBLIN)).toEqual([]);
  });

  it('a joining alert that raises the severity pages as an opening at the new severity would', () => {
    const night = Date.parse('2026-06-20T01:00:00Z');
    const raised = (severity: Severity): NotifierEvent => ({
      ...(updated(incident(severity)) as Extract<NotifierEvent, { type: 'incident.updated' }>),
      severityRaisedFrom: 4,
    });
    expect(pageFor(raised(1), night, DUBLIN)).toMatchObject([{ action: 'trigger', severity: 'critical' }]);
    expect(pageFor(raised(3), night, DUBLIN)).toEqual([]);
    expect(pageFor(raised(3), MONDAY_10, DUBLIN)).toMatchObject([{ action: 'trigger', severity: 'warning' }]);
    expect(pageFor(updated(incident(1)), night, DUBLIN)).toEqual([]);
  });

  it('SEV-4 openings go to the digest', () => {
    expect(pageFor(opened(incident(4)), MONDAY_10, DUBLIN)).toBe('digest');
  });

  it('escalations trigger whatever the hour, saying what happened, apart from the opening page', () => {
    const event: NotifierEvent = {
      type: 'escalation',
      incident: incident(3),
      channel: '#ml',
      stage: 'rollback',
      about: 'rollback-failed',
      mention: ['@oncall'],
      text: 'rollback of fraud-scorer to v41 FAILED: 503 from the serving layer',
    };
    // Its own dedup key: a trigger on the opening page's key, once someone acknowledged that page, would be
    // appended to it and notify nobody (the provider's rule for acknowledged alerts).
    const details = {
      incident: 'INC-9',
      model: 'fraud-scorer',
      severity: 'SEV-3',
      phase: 'triage',
      stage: 'rollback',
      alert: 'accuracy dropped',
    };
    // After resolving the stage's earlier escalation, if any: a second one (target missed, then FAILED) on an
    // alert still open would be appended to it and ring nobody.
    expect(pageFor(event, Date.parse('2026-06-20T01:00:00Z'), DUBLIN)).toEqual([
      {
        action: 'resolve',
        dedupKey: 'rollbot-INC-9-rollback',
        summary: '[SEV-3] fraud-scorer: superseded by a new rollback escalation (INC-9)',
        severity: 'warning',
        source: 'rollbot',
        details,
      },
      {
        action: 'trigger',
        dedupKey: 'rollbot-INC-9-rollback',
        summary: '[SEV-3] rollback of fraud-scorer to v41 FAILED: 503 from the serving layer',
        severity: 'warning',
        source: 'rollbot',
        details,
      },
    ]);
  });

  describe('a missed target pages as its incident opening would', () => {
    const SATURDAY_2AM = Date.parse('2026-06-20T01:00:00Z');
    const missed = (severity: Severity, about?: string): NotifierEvent => ({
      type: 'escalation',
      incident: incident(severity),
      channel: '#ml',
      stage: 'triage',
      ...(about ? { about } : {}),
      mention: ['@oncall'],
      text: 'triage target missed',
    });
    const actions = (event: NotifierEvent, now: number) => {
      const pages = pageFor(event, now, DUBLIN);
      return typeof pages === 'string' ? pages : pages.map((one) => `${one.action} ${one.dedupKey}`);
    };
    const rings = ['resolve rollbot-INC-9-triage', 'trigger rollbot-INC-9-triage'];

    it("a SEV-4's goes to the digest, by day or at night: SEV-4 never pages", () => {
      expect(actions(missed(4), SATURDAY_2AM)).toBe('digest');
      expect(actions(missed(4), MONDAY_10)).toBe('digest');
    });

    it("a SEV-3's pages within business hours, and waits for them at night rather than paging nobody", () => {
      expect(actions(missed(3), MONDAY_10)).toEqual(rings);
      expect(actions(missed(3), SATURDAY_2AM)).toBe('business-hours');
      expect(actions(missed(3), Date.parse('2026-06-15T17:00:00Z'))).toBe('business-hours');
    });

    it("a SEV-3's deferred page, when business hours begin, only triggers: sent again, it joins the alert it opened", () => {
      const deferred: NotifierEvent = {
        ...(missed(3) as Extract<NotifierEvent, { type: 'escalation' }>),
        deferred: true,
      };
      expect(actions(deferred, MONDAY_10)).toEqual(['trigger rollbot-INC-9-triage']);
      // Handled past its hours (the bot down all day): deferred again, to the next day's start.
      expect(actions(deferred, SATURDAY_2AM)).toBe('business-hours');
    });

    it('knows when business hours next begin, in their time zone', () => {
      // Saturday 02:00 in Dublin (UTC+1 in June): Monday 09:00 local.
      expect(new Date(nextBusinessStart(SATURDAY_2AM, DUBLIN)).toISOString()).toBe(
        '2026-06-22T08:00:00.000Z',
      );
      // Monday 10:00 local, within them: Tuesday's start.
      expect(new Date(nextBusinessStart(MONDAY_10, DUBLIN)).toISOString()).toBe('2026-06-16T08:00:00.000Z');
      // Half-hour zones, and other hours and days.
      const kolkata = { timezone: 'Asia/Kolkata', start: 8, days: [6] };
      expect(new Date(nextBusinessStart(SATURDAY_2AM, kolkata)).toISOString()).toBe(
        '2026-06-20T02:30:00.000Z',
      );
    });

    it('knows that business hours whose start hour a DST change skips begin with the first hour after it', () => {
      // Sunday 28 March 2027 in London: 01:00 GMT becomes 02:00 BST, so 01:00 local never comes. Hours from 1 begin
      // at 02:00 BST (withinBusinessHours says so): the night's page went a day later, on Monday's 01:00.
      const london = { timezone: 'Europe/London', start: 1, days: [0] };
      const night = Date.parse('2027-03-28T00:30:00Z');
      expect(withinBusinessHours(Date.parse('2027-03-28T01:00:00Z'), london)).toBe(true);
      expect(new Date(nextBusinessStart(night, london)).toISOString()).toBe('2027-03-28T01:00:00.000Z');
      // Sunday 14 March 2027 in New York: 02:00 EST becomes 03:00 EDT.
      const newYork = { timezone: 'America/New_York', start: 2, days: [0] };
      expect(new Date(nextBusinessStart(Date.parse('2027-03-14T06:30:00Z'), newYork)).toISOString()).toBe(
        '2027-03-14T07:00:00.000Z',
      );
    });

    it("a SEV-1's and a SEV-2's page at any hour", () => {
      expect(actions(missed(1), SATURDAY_2AM)).toEqual(rings);
      expect(actions(missed(2), SATURDAY_2AM)).toEqual(rings);
    });

    it.each(['rollback-failed', 'outcome-unknown', 'confirmation-failed'])(
      'a %s escalation, rollbot changing production and failing, pages at any hour and severity',
      (about) => {
        expect(actions(missed(4, about), SATURDAY_2AM)).toEqual(rings);
        expect(actions(missed(3, about), SATURDAY_2AM)).toEqual(rings);
      },
    );
  });

  it("resolves the escalation pages a resolution leaves open: missed targets', and a rollback's", () => {
    const missedTriage = makeIncident({ id: 'INC-9', severity: 1 });
    missedTriage.stages.triage = { ...missedTriage.stages.triage, breachedAt: MONDAY_10 };
    const keys = (phase: Incident['phase'], from: Incident = missedTriage) => {
      const pages = pageFor(updated({ ...from, phase }), MONDAY_10, DUBLIN);
      return typeof pages === 'string' ? pages : pages.map((page) => [page.action, page.dedupKey]);
    };
    expect(keys('dismissed')).toEqual([
      ['resolve', 'rollbot-INC-9'],
      ['resolve', 'rollbot-INC-9-triage'],
    ]);
    const rolledBack = executingRollback(missedTriage, MONDAY_10);
    expect(keys('resolved', rolledBack)).toEqual([
      ['resolve', 'rollbot-INC-9'],
      ['resolve', 'rollbot-INC-9-triage'],
      ['resolve', 'rollbot-INC-9-rollback'],
      ['resolve', 'rollbot-INC-9-confirm'],
    ]);
  });

  it.each(['resolved', 'dismissed', 'closed'] as const)('an update to %s resolves', (phase) => {
    expect(pageFor(updated(incident(1, { phase })), MONDAY_10, DUBLIN)).toMatchObject([
      { action: 'resolve', dedupKey: 'rollbot-INC-9' },
    ]);
  });

  it('an acknowledged open incident acknowledges; resolution wins over acknowledgement', () => {
    const acknowledged = { by: 'U123', at: MONDAY_10 };
    expect(pageFor(updated(incident(1, { acknowledged })), MONDAY_10, DUBLIN)).toMatchObject([
      { action: 'acknowledge', dedupKey: 'rollbot-INC-9', details: { acknowledgedBy: 'U123' } },
    ]);
    expect(
      pageFor(updated(incident(1, { acknowledged, phase: 'resolved' })), MONDAY_10, DUBLIN),
    ).toMatchObject([{ action: 'resolve' }]);
  });

  it('other updates, ticks and channel messages do not page', () => {
    expect(pageFor(updated(incident(1)), MONDAY_10, DUBLIN)).toEqual([]);
    const acknowledged = incident(1, { acknowledged: { by: 'U123', at: MONDAY_10 } });
    expect(
      pageFor({ type: 'incident.tick', incident: acknowledged, channel: '#ml' }, MONDAY_10, DUBLIN),
    ).toEqual([]);
    expect(pageFor({ type: 'channel.message', channel: '#ml', text: 'hi' }, MONDAY_10, DUBLIN)).toEqual([]);
  });

  it('drills never page', () => {
    const drill = (extra: Partial<Incident> = {}) => incident(1, { drill: true, ...extra });
    expect(pageFor(opened(drill()), MONDAY_10, DUBLIN)).toEqual([]);
    expect(pageFor(opened(incident(4, { drill: true })), MONDAY_10, DUBLIN)).toEqual([]);
    expect(pageFor(updated(drill({ phase: 'resolved' })), MONDAY_10, DUBLIN)).toEqual([]);
    expect(
      pageFor(
        { type: 'escalation', incident: drill(), channel: '#ml', stage: 'triage', mention: [], text: '' },
        MONDAY_10,
        DUBLIN,
      ),
    ).toEqual([]);
  });
});

describe('pageFor, an incident settled at the source', () => {
  const NIGHT = Date.parse('2026-06-20T01:00:00Z');
  const passing: CheckResult = {
    name: 'error rate',
    kind: 'error',
    value: 0.01,
    threshold: '≤ 2%',
    outcomes: ['pass'],
    verdict: 'PASS',
  };
  const ok: TriageRecord = { at: T0, finding: 'ok', checks: [passing], summary: 'no threshold breached' };
  /** A SEV-1 whose two alerts resolved at the source and whose every check passed. */
  const settled = (extra: Partial<Incident> = {}, severity: Severity = 1): Incident => {
    const base = incident(severity, { triage: ok });
    const first = { ...base.alerts[0]!, resolvedAt: T0 + 60_000 };
    const second = makeAlertRef(T0, { fingerprint: 'fp-latency', resolvedAt: T0 + 120_000 });
    return { ...base, alerts: [first, second], ...extra };
  };
  const escalation = (of: Incident, stage: Stage = 'triage', about?: string): NotifierEvent => ({
    type: 'escalation',
    incident: of,
    channel: '#ml',
    stage,
    ...(about ? { about } : {}),
    mention: ['@oncall'],
    text: 'triage target missed',
  });
  const actions = (event: NotifierEvent) => {
    const pages = pageFor(event, NIGHT, DUBLIN);
    return typeof pages === 'string' ? pages : pages.map((one) => `${one.action} ${one.dedupKey}`);
  };
  const pages = ['resolve rollbot-INC-9-triage', 'trigger rollbot-INC-9-triage'];

  it.each([1, 2, 3, 4] as const)('does not page its triage escalation at SEV-%s', (severity) => {
    expect(actions(escalation(settled({}, severity)))).toEqual([]);
  });

  it('pages as before while one of its alerts still fires', () => {
    const firing = settled();
    firing.alerts = [firing.alerts[0]!, makeAlertRef(T0, { fingerprint: 'fp-latency' })];
    expect(actions(escalation(firing))).toEqual(pages);
  });

  it.each(['breach', 'no-data', 'unavailable'] as const)('pages as before on a %s finding', (finding) => {
    expect(actions(escalation(settled({ triage: { ...ok, finding } })))).toEqual(pages);
  });

  it('pages as before when alerts were dropped past the ref cap', () => {
    expect(actions(escalation(settled({ droppedAlerts: 1 })))).toEqual(pages);
  });

  it("pages other stages' escalations and a failed rollback's or confirmation's as before", () => {
    expect(actions(escalation(settled(), 'rollback'))).toEqual([
      'resolve rollbot-INC-9-rollback',
      'trigger rollbot-INC-9-rollback',
    ]);
    expect(actions(escalation(settled(), 'rollback', 'rollback-failed'))).toHaveLength(2);
    expect(actions(escalation(settled(), 'confirm', 'confirmation-failed'))).toHaveLength(2);
  });
});

describe('withinBusinessHours', () => {
  it.each([
    ['2026-06-15T07:59:00Z', false, 'Monday 08:59 IST'],
    ['2026-06-15T08:00:00Z', true, 'Monday 09:00 IST'],
    ['2026-06-15T16:59:00Z', true, 'Monday 17:59 IST'],
    ['2026-06-15T17:00:00Z', false, 'Monday 18:00 IST'],
    ['2026-01-12T08:59:00Z', false, 'Monday 08:59 GMT (winter)'],
    ['2026-01-12T09:00:00Z', true, 'Monday 09:00 GMT (winter)'],
    ['2026-06-20T09:00:00Z', false, 'Saturday 10:00 IST'],
    ['2026-06-19T23:30:00Z', false, 'Saturday 00:30 IST (Friday in UTC)'],
  ])('%s is %s (%s)', (at, expected) => {
    expect(withinBusinessHours(Date.parse(at), DUBLIN)).toBe(expected);
  });

  it('takes custom hours and days', () => {
    const saturdayNoon = Date.parse('2026-06-20T11:00:00Z');
    expect(withinBusinessHours(saturdayNoon, { ...DUBLIN, start: 12, end: 13, days: [6] })).toBe(true);
    expect(withinBusinessHours(saturdayNoon, { timezone: 'America/New_York', days: [6] })).toBe(false);
  });

  it('refuses an unknown timezone', () => {
    expect(() => withinBusinessHours(MONDAY_10, { timezone: 'Mars/Olympus' })).toThrow(RangeError);
  });
});
