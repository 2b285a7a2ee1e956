/**
 * Which notifier events page someone, and how. Pure: the time and the business hours are parameters.
 */
import type { Incident } from '../core/incident.js';
import { escalationStaysQuiet } from '../core/settled-at-source.js';
import type { Severity } from '../core/severity.js';
import { wallClockAt } from '../scheduling/wall-clock.js';
import { STAGES, type Stage } from '../core/stages.js';
import type { NotifierEvent } from '../engine/notifier-port.js';
import type { Page, PageSeverity } from './types.js';

/** When a SEV-3 may page: local hours [start, end) on `days` (0 = Sunday … 6 = Saturday) in `timezone`. */
export interface BusinessHours {
  /** An IANA zone such as `Europe/Dublin`. */
  timezone: string;
  /** First paging hour, local (default 9). */
  start?: number;
  /** First hour no longer paging, local (default 18). */
  end?: number;
  /** Weekdays that page (default Monday to Friday: [1, 2, 3, 4, 5]). */
  days?: readonly number[];
}

/** What every page says it came from. */
export const PAGE_SOURCE = 'rollbot';

const SEVERITY: Record<Severity, PageSeverity> = { 1: 'critical', 2: 'error', 3: 'warning', 4: 'info' };

const FINAL_PHASES: ReadonlySet<string> = new Set(['resolved', 'dismissed', 'closed']);
const OPEN_PHASES: ReadonlySet<string> = new Set(['triage', 'rollback', 'confirm']);

/** The dedup key of an incident's page: the same for its trigger, acknowledge and resolve. */
export function dedupKeyFor(incidentId: string): string {
  return `rollbot-${incidentId}`;
}

/**
 * The dedup key of an incident's escalations in `stage`, apart from its opening page: a provider appends a
 * trigger on an alert someone acknowledged to that alert and notifies nobody (PagerDuty, Opsgenie), so "the
 * rollback FAILED" on the opening's key would wake no one once the opening page was acknowledged.
 */
export function escalationKeyFor(incidentId: string, stage: Stage): string {
  return `rollbot-${incidentId}-${stage}`;
}

/**
 * The pages for `event` at `now` (none: an empty list), or `'digest'` for a SEV-4 opening or missed target
 * (collected, not paged), or `'business-hours'` for a SEV-3's missed target outside business hours (paged when they
 * begin, if the incident is still unresolved then: nextBusinessStart, engine/business-hours-page.ts). Drills never
 * page. SEV-1/2 openings and every escalation but detection's and a quiet one's (escalationStaysQuiet: the missed
 * triage target of an incident settled at the source) trigger (an escalation after resolving its stage's earlier
 * page, so that it rings; but a `deferred` one, the night's miss paged when business hours begin, only triggers, so
 * that sent again it joins the alert it opened); a SEV-3 opening or missed target triggers only within business
 * hours; an update that leaves an incident resolved, dismissed or closed resolves its page and the escalation pages
 * it may have left open; any other event about an acknowledged open incident acknowledges (idempotent at the
 * provider) its opening page, not its escalations: each is acknowledged where it rang.
 */
export function pageFor(
  event: NotifierEvent,
  now: number,
  hours: BusinessHours,
): Page[] | 'digest' | 'business-hours' {
  // A tick is the clock moving, not news: it never pages (nor acknowledges again).
  if (event.type === 'channel.message' || event.type === 'incident.tick') return [];
  const incident = event.incident;
  if (incident.drill) return [];
  if (event.type === 'escalation') {
    // A late alert is news about the alert rule, not a second emergency: its incident pages, or not, by its
    // severity (a SEV-4 goes to the digest, a SEV-3 at night waits), and a SEV-1's opening rang already.
    if (event.stage === 'detect') return [];
    // A blip that healed itself (its alerts resolved at the source, every check passing): Slack is told, in words
    // that say why nobody is paged (engine/escalation.ts, by the same rule), and a person decides when they can.
    if (escalationStaysQuiet(incident, event.stage, event.about)) return [];
    // A missed target is late news of the incident at its severity: it pages as the incident's opening would (a
    // SEV-4's goes to the digest, a SEV-3's only within business hours), or a SEV-4 would wake someone at 2am for
    // being slow. A rollback that failed, an unknown outcome or a failed confirmation (`about`) is rollbot's own
    // change to production gone wrong, whatever the incident's severity: it pages at any hour. A SEV-3's missed at
    // night is not forgotten: it pages when business hours begin, should the incident still be unresolved then.
    if (event.about === undefined && incident.severity === 4) return 'digest';
    if (event.about === undefined && incident.severity === 3 && !withinBusinessHours(now, hours)) {
      return 'business-hours';
    }
    const key = escalationKeyFor(incident.id, event.stage);
    const details = { stage: event.stage, alert: incident.summary };
    const trigger = page(incident, 'trigger', `[SEV-${incident.severity}] ${event.text}`, details, key);
    // The night's miss paged at last (engine/business-hours-page.ts): a trigger only. Sent again by another replica
    // (the first died before its timeline mark), it is added to the alert the first send opened, which rang already,
    // rather than resolving that alert (acknowledged by now, perhaps) and ringing the on-call anew. An earlier page
    // of the stage still open (its rollback FAILED at night) is one this miss joins: it rang then.
    if (event.deferred) return [trigger];
    // A stage can escalate twice (its target missed, then the rollback FAILED): the provider would append the
    // second to the first, rung and perhaps acknowledged by now, and ring nobody. Resolving the stage's page first
    // makes the trigger open a new alert, which rings (a no-op resolve when the stage never paged).
    const superseded = `[SEV-${incident.severity}] ${incident.model}: superseded by a new ${event.stage} escalation (${incident.id})`;
    return [page(incident, 'resolve', superseded, details, key), trigger];
  }
  const opening = `[SEV-${incident.severity}] ${incident.model}: ${incident.summary} (${incident.id})`;
  // A joining alert that raised the severity pages as an opening at the new severity would have.
  if (event.type === 'incident.opened' || (event.type === 'incident.updated' && event.severityRaisedFrom)) {
    if (incident.severity <= 2) return [page(incident, 'trigger', opening)];
    if (incident.severity === 3) {
      return withinBusinessHours(now, hours) ? [page(incident, 'trigger', opening)] : [];
    }
    return 'digest';
  }
  if (event.type === 'incident.updated' && FINAL_PHASES.has(incident.phase)) {
    const over = `[SEV-${incident.severity}] ${incident.model}: ${incident.phase}: ${incident.summary} (${incident.id})`;
    return [
      page(incident, 'resolve', over),
      ...escalatedStages(incident).map((stage) =>
        page(incident, 'resolve', over, { stage }, escalationKeyFor(incident.id, stage)),
      ),
    ];
  }
  if (incident.acknowledged !== undefined && OPEN_PHASES.has(incident.phase)) {
    const by = incident.acknowledged.by;
    const text = `[SEV-${incident.severity}] ${incident.model}: acknowledged by ${by}: ${incident.summary} (${incident.id})`;
    return [page(incident, 'acknowledge', text, { acknowledgedBy: by })];
  }
  return [];
}

/**
 * The stages whose escalation may have paged, as the incident shows it on any replica: a missed target marks
 * its stage, and a rollback's failure, unknown outcome or failed confirmation escalate in its rollback and
 * confirm stages. Resolving a key that never paged is a no-op at the provider.
 */
function escalatedStages(incident: Incident): Stage[] {
  const rolledBack = incident.rollback !== undefined;
  return STAGES.filter(
    (stage) =>
      incident.stages[stage].breachedAt !== undefined ||
      (rolledBack && (stage === 'rollback' || stage === 'confirm')),
  );
}

/** True when `now` falls within the business hours in their timezone. Throws RangeError for a bad zone. */
export function withinBusinessHours(now: number, hours: BusinessHours): boolean {
  const { hour, weekday } = wallClockAt(now, hours.timezone);
  const start = hours.start ?? 9;
  const end = hours.end ?? 18;
  const days = hours.days ?? [1, 2, 3, 4, 5];
  return days.includes(weekday) && hour >= start && hour < end;
}

/** Steps nextBusinessStart looks in: a quarter of an hour, the finest offset a time zone has (Nepal's +5:45). */
const STEP_MS = 15 * 60_000;
/** A week and a day of steps: every weekday comes round once in that, whatever DST does. */
const STEPS = (8 * 86_400_000) / STEP_MS;

/**
 * When business hours next begin after `now`: the first quarter hour within them (withinBusinessHours) whose quarter
 * before was not, which is `start`:00 local on one of `days`, or, on the day a DST change skips that hour (01:00 in
 * London, 02:00 in New York), the first hour after it: looking for `start`:00 itself found the next week's. Pure,
 * from `now` (not the system clock), to the quarter hour. Throws RangeError for a bad zone.
 */
export function nextBusinessStart(now: number, hours: BusinessHours): number {
  const first = Math.floor(now / STEP_MS) * STEP_MS + STEP_MS;
  let before = withinBusinessHours(first - STEP_MS, hours);
  for (let step = 0; step < STEPS; step++) {
    const at = first + step * STEP_MS;
    const within = withinBusinessHours(at, hours);
    if (within && !before) return at;
    before = within;
  }
  throw new RangeError(`business hours ${JSON.stringify(hours)} never begin`);
}

function page(
  incident: Incident,
  action: Page['action'],
  summary: string,
  extra: Record<string, unknown> = {},
  dedupKey = dedupKeyFor(incident.id),
): Page {
  return {
    action,
    dedupKey,
    summary,
    severity: SEVERITY[incident.severity],
    source: PAGE_SOURCE,
    details: {
      incident: incident.id,
      model: incident.model,
      severity: `SEV-${incident.severity}`,
      phase: incident.phase,
      ...extra,
    },
  };
}
