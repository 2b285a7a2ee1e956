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
