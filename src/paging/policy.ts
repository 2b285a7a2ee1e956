/**
 * Which notifier events page someone, and how. Pure: the time and the business hours are parameters.
 */
import type { Incident } from '../core/incident.js';
import type { Severity } from '../core/severity.js';
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
 * The page for `event` at `now`, `'digest'` for a SEV-4 opening (collected, not paged), or undefined.
 * Drills never page. SEV-1/2 openings and every escalation trigger; a SEV-3 opening triggers only within
 * business hours; an update that leaves an incident resolved, dismissed or closed resolves; any other
 * event about an acknowledged open incident acknowledges (idempotent at the provider).
 */
export function pageFor(
  event: NotifierEvent,
  now: number,
  hours: BusinessHours,
): Page | 'digest' | undefined {
  // A tick is the clock moving, not news: it never pages (nor acknowledges again).
  if (event.type === 'channel.message' || event.type === 'incident.tick') return undefined;
  const incident = event.incident;
  if (incident.drill) return undefined;
  if (event.type === 'escalation') {
    return page(incident, 'trigger', `${event.stage} target missed — ${incident.summary}`, {
      stage: event.stage,
    });
  }
  // A joining alert that raised the severity pages as an opening at the new severity would have.
  if (event.type === 'incident.opened' || (event.type === 'incident.updated' && event.severityRaisedFrom)) {
    if (incident.severity <= 2) return page(incident, 'trigger', incident.summary);
    if (incident.severity === 3) {
      return withinBusinessHours(now, hours) ? page(incident, 'trigger', incident.summary) : undefined;
    }
    return 'digest';
  }
  if (event.type === 'incident.updated' && FINAL_PHASES.has(incident.phase)) {
    return page(incident, 'resolve', `${incident.phase}: ${incident.summary}`);
  }
  if (incident.acknowledged !== undefined && OPEN_PHASES.has(incident.phase)) {
    return page(incident, 'acknowledge', `acknowledged by ${incident.acknowledged.by}: ${incident.summary}`, {
      acknowledgedBy: incident.acknowledged.by,
    });
  }
  return undefined;
}

/** True when `now` falls within the business hours in their timezone. Throws RangeError for a bad zone. */
export function withinBusinessHours(now: number, hours: BusinessHours): boolean {
  const { hour, weekday } = localTime(now, hours.timezone);
  const start = hours.start ?? 9;
  const end = hours.end ?? 18;
  const days = hours.days ?? [1, 2, 3, 4, 5];
  return days.includes(weekday) && hour >= start && hour < end;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function localTime(now: number, timeZone: string): { hour: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hour: 'numeric',
    hourCycle: 'h23',
    weekday: 'short',
  }).formatToParts(new Date(now));
  const hour = Number(parts.find((part) => part.type === 'hour')?.value);
  const weekday = WEEKDAYS[parts.find((part) => part.type === 'weekday')?.value ?? ''];
  if (!Number.isInteger(hour) || weekday === undefined) {
    throw new RangeError(`cannot read the local time in ${timeZone}`);
  }
  return { hour, weekday };
}

function page(
  incident: Incident,
  action: Page['action'],
  text: string,
  extra: Record<string, unknown> = {},
): Page {
  return {
    action,
    dedupKey: dedupKeyFor(incident.id),
    summary: `[SEV-${incident.severity}] ${incident.model}: ${text} (${incident.id})`,
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
