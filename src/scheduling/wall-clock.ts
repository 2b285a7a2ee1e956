/**
 * What the wall clock of a time zone reads at an instant: business hours (paging/policy.ts) and the times a
 * daylight-saving change skips (scheduling/clock-gaps.ts) both ask. Pure: from the instant, not the system clock.
 */

export interface WallClock {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 (Sunday) – 6. */
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** One formatter per zone: making one is far slower than using it, and callers use it hundreds of times. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall clock of `timeZone` at `at` (epoch ms). Throws RangeError for a zone Intl does not know. */
export function wallClockAt(at: number, timeZone: string): WallClock {
  const parts = formatterFor(timeZone).formatToParts(new Date(at));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((one) => one.type === type)?.value ?? '';
  const clock = {
    year: Number(part('year')),
    month: Number(part('month')),
    day: Number(part('day')),
    hour: Number(part('hour')),
    minute: Number(part('minute')),
    second: Number(part('second')),
    weekday: WEEKDAYS[part('weekday')] ?? NaN,
  };
  if (!Object.values(clock).every(Number.isInteger)) {
    throw new RangeError(`cannot read the local time in ${timeZone}`);
  }
  return clock;
}

const pad = (value: number): string => String(value).padStart(2, '0');

/**
 * "2027-01-15 10:00 America/New_York": `at` as the clocks of `timeZone` read it, for people in that zone (a drill
 * reminder), whom a UTC time beside the zone's name would have read as their own.
 */
export function localTime(at: number, timeZone: string): string {
  const { year, month, day, hour, minute } = wallClockAt(at, timeZone);
  return `${year}-${pad(month)}-${pad(day)} ${pad(hour)}:${pad(minute)} ${timeZone}`;
}
