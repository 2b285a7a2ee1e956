/**
 * Whether a drill schedule comes round often enough for the gate (core/drill-cadence.ts): the calendar of a cron
 * expression's days, for the runbook loader (fields.ts). Not in core/, which reads no calendar.
 */

const DAY_MS = 86_400_000;
/** Four years hold every gap a day-of-month/month schedule has, leap days included. */
const WINDOW_DAYS = 4 * 366;

/** The day fields of a parsed cron expression (node-cron's `parse`): numbers, `L` for the month's last day. */
export interface CronDays {
  dayOfMonth: readonly (number | string)[];
  month: readonly number[];
  dayOfWeek: readonly (number | string)[];
}

/**
 * The longest time between the days a cron schedule runs on (whole days, so within a day of the exact gap),
 * over the four years from `from`, or the whole window when it runs on none of them. Day of month and day of
 * week must both match, as node-cron has it. Undefined for the rarer tokens (`15W`, `L-2`, `1#2`, `5L`) whose
 * calendars this does not follow: such a schedule is not judged.
 */
export function longestDrillGap(days: CronDays, from: number): number | undefined {
  const tokens = [...days.dayOfMonth, ...days.dayOfWeek].filter((value) => typeof value === 'string');
  if (tokens.some((token) => token !== 'L') || days.dayOfWeek.includes('L')) return undefined;
  const start = Math.floor(from / DAY_MS) * DAY_MS;
  let previous = start;
  let longest = 0;
  for (let day = 0; day < WINDOW_DAYS; day++) {
    const at = start + day * DAY_MS;
    if (!runsOn(days, new Date(at))) continue;
    longest = Math.max(longest, at - previous);
    previous = at;
  }
  return Math.max(longest, start + WINDOW_DAYS * DAY_MS - previous);
}

function runsOn(days: CronDays, date: Date): boolean {
  const dayOfMonth = date.getUTCDate();
  const last = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
  return (
    days.month.includes(date.getUTCMonth() + 1) &&
    days.dayOfWeek.includes(date.getUTCDay()) &&
    days.dayOfMonth.some((value) => value === dayOfMonth || (value === 'L' && dayOfMonth === last))
  );
}

/**
 * A warning for a drill schedule of six fields, which node-cron takes, its first being seconds (the e2e tests time
 * a drill to the second so), or undefined. Not refused: but a `*` too many in a five-field schedule is six fields
 * too, every field read one along ("0 10 15 1,4,7,10 * *": 15:10 on the 1st, 4th, 7th and 10th of every month), and
 * such a schedule loads without a word. Said at start and by `rollbot validate`, with how node-cron reads it.
 */
export function sixFieldsWarning(schedule: string): string | undefined {
  if (schedule === 'quarterly') return undefined;
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 6) return undefined;
  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = fields;
  return (
    `drill.schedule "${schedule}" has six fields, and the first is read as seconds: it drills at second ${second}, ` +
    `minute ${minute}, hour ${hour}, day of month ${dayOfMonth}, month ${month}, day of week ${dayOfWeek}. For ` +
    'minute hour day-of-month month day-of-week, write five fields (quarterly: "0 10 15 1,4,7,10 *")'
  );
}
