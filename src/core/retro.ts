/**
 * The blameless retrospective every resolved incident gets (DESIGN §1, stage `retro`): what it records, how
 * people write its action items in Slack, and when rollbot reminds them. Pure: no I/O, time is a parameter.
 */
import { RollbotError } from './errors.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** One follow-up from a retrospective. Open items block the model's next deployment. */
export interface ActionItem {
  /** `A1`, `A2`, … in the order they were written: short enough for a button value. */
  id: string;
  text: string;
  /** A Slack mention (`<@U123>`), `@name` or a bare ID, as written. */
  owner: string;
  /** Epoch ms (midnight UTC of the date written). */
  due: number;
  status: 'open' | 'closed';
  closedBy?: string;
  closedAt?: number;
}

export interface Retrospective {
  incidentId: string;
  model: string;
  openedAt: number;
  dueAt: number;
  completedAt?: number;
  completedBy?: string;
  rootCause?: string;
  wentWell?: string;
  wentBadly?: string;
  actionItems: ActionItem[];
  /** Reminder keys already sent, so that a deadline delivered twice reminds once. */
  remindersSent: string[];
}

/** Without a due date an action item is due this long after the retrospective is completed. */
export const DEFAULT_ACTION_ITEM_DAYS = 14;
/** One line per action item; shown in errors and in the modal hint. */
export const ACTION_ITEM_FORMAT = '<owner> | <what> | <due YYYY-MM-DD>';
/** A line longer than this is a paste accident, not an action item. */
const MAX_LINE = 1_000;
const MAX_ITEMS = 100;

// `<@U123>` / `<@U123|name>`, `@name`, or a bare Slack ID (U…, W…, S… for a user group).
const OWNER = /^(<@[A-Z0-9]+(\|[^>]*)?>|<!subteam\^[A-Z0-9]+(\|[^>]*)?>|@[\w.-]+|[UWS][A-Z0-9]{2,})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function badLine(lineNumber: number, line: string, problem: string): RollbotError {
  return new RollbotError('BAD_REQUEST', `action item line ${lineNumber}: ${problem}`, {
    hint: `write one item per line as \`${ACTION_ITEM_FORMAT}\` (the date is optional), e.g. \`<@U123> | add a canary gate | 2026-12-01\``,
    details: { line: lineNumber, text: line.slice(0, 200) },
  });
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/**
 * Midnight UTC of a real calendar date as epoch ms, or undefined (2026-02-30 is not a date). Computed by hand
 * (days from civil, H. Hinnant) because core/ does not touch `Date`: its results must not depend on a clock.
 */
function parseDate(text: string): number | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const monthDays = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1];
  if (monthDays === undefined || day < 1 || day > monthDays) return undefined;
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return (era * 146_097 + dayOfEra - 719_468) * DAY;
}

/**
 * Parses the action items box: one item per non-blank line, `owner | what | YYYY-MM-DD`, the date optional
 * (default: DEFAULT_ACTION_ITEM_DAYS after `now`). A malformed line is refused with BAD_REQUEST naming its
 * line number (1-based, counting blank lines, as people see them in the box) rather than silently dropped:
 * a lost action item is a lost lesson.
 */
export function parseActionItems(text: string, now: number): ActionItem[] {
  const items: ActionItem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim().replace(/^[-*•]\s+/, '');
    const lineNumber = index + 1;
    if (line === '') return;
    if (line.length > MAX_LINE) throw badLine(lineNumber, line, `longer than ${MAX_LINE} characters`);
    const parts = line.split('|').map((part) => part.trim());
    if (parts.length < 2 || parts.length > 3)
      throw badLine(lineNumber, line, 'expected 2 or 3 parts separated by |');
    const [owner = '', what = '', dueText = ''] = parts;
    if (!OWNER.test(owner))
      throw badLine(lineNumber, line, `"${owner.slice(0, 80)}" is not an owner (a @mention or Slack ID)`);
    if (what === '') throw badLine(lineNumber, line, 'says who but not what');
    let due = now + DEFAULT_ACTION_ITEM_DAYS * DAY;
    if (dueText !== '') {
      const parsed = parseDate(dueText);
      if (parsed === undefined)
        throw badLine(lineNumber, line, `"${dueText.slice(0, 40)}" is not a date (YYYY-MM-DD)`);
      due = parsed;
    }
    items.push({ id: `A${items.length + 1}`, text: what, owner, due, status: 'open' });
  });
  if (items.length > MAX_ITEMS) {
    throw new RollbotError('BAD_REQUEST', `${items.length} action items; at most ${MAX_ITEMS}`, {
      hint: 'keep the few that matter; a retrospective is not a backlog',
    });
  }
  return items;
}

/** Reminders before the due time, as offsets before it. */
const BEFORE_DUE = [
  { key: 'due-in-24h', before: 24 * HOUR },
  { key: 'due-in-2h', before: 2 * HOUR },
] as const;
/** Overdue reminders: at the due time, then every 24 h, this many in all. */
export const OVERDUE_REMINDERS = 3;

/** A reminder key is about the time before the due time (`due-in-…`) or after it (`overdue-…`). */
export function isOverdueKey(key: string): boolean {
  return key.startsWith('overdue-');
}

/**
 * When to remind people of a retrospective, soonest first: 24 h and 2 h before `dueAt` (only those after
 * `openedAt`: a retrospective opened 3 h before its due time gets no "due in 24h"), then at `dueAt` and every
 * 24 h after it, OVERDUE_REMINDERS times. Keys are stable, so rescheduling keeps one deadline per reminder.
 */
export function reminderTimes(openedAt: number, dueAt: number): { key: string; at: number }[] {
  const before = BEFORE_DUE.map(({ key, before: offset }) => ({ key, at: dueAt - offset })).filter(
    (reminder) => reminder.at > openedAt,
  );
  const overdue = Array.from({ length: OVERDUE_REMINDERS }, (_, day) => ({
    key: `overdue-${day}d`,
    at: dueAt + day * DAY,
  }));
  return [...before, ...overdue];
}

/** The action items still open. */
export function openItems(retro: Pick<Retrospective, 'actionItems'>): ActionItem[] {
  return retro.actionItems.filter((item) => item.status === 'open');
}

/** Open (not completed) and past its due time at `now`: at exactly `dueAt` it is overdue. */
export function isOverdue(retro: Pick<Retrospective, 'completedAt' | 'dueAt'>, now: number): boolean {
  return retro.completedAt === undefined && now >= retro.dueAt;
}
