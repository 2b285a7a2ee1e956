/**
 * Cron times that a daylight-saving gap skips. node-cron walks the local calendar and drops a time the clock
 * jumps over (02:30 on the day 02:00 becomes 03:00), so a quarterly drill at that time would lose its quarter's
 * rehearsal. Here such a time runs at the first instant after it, the jump itself (03:00 local), as Vixie cron and
 * systemd have it. A time the clock repeats (a fold) node-cron already gives once.
 */
import { createTask, parse } from 'node-cron';
import { wallClockAt } from './wall-clock.js';

const SECOND_MS = 1_000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** The time zone's offset from UTC at `at` (ms), read from its wall clock. */
function offsetAt(at: number, timezone: string): number {
  const { year, month, day, hour, minute, second } = wallClockAt(at, timezone);
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  return wall - Math.floor(at / SECOND_MS) * SECOND_MS;
}

/** The first whole second in (`from`, `to`] at which the offset is no longer `before`. */
function changeAt(from: number, to: number, before: number, timezone: string): number {
  let [low, high] = [from, to];
  while (high - low > SECOND_MS) {
    const middle = low + Math.floor((high - low) / 2 / SECOND_MS) * SECOND_MS;
    if (offsetAt(middle, timezone) === before) low = middle;
    else high = middle;
  }
  return high;
}

/**
 * The instants in (`from`, `to`] at which the clock of `timezone` jumps over a time `expression` names: each such
 * time's first valid instant after it. A day's step finds every change (zones change at most twice a year).
 */
export function gapRuns(expression: string, timezone: string, from: number, to: number): number[] {
  const wallClock = createTask(expression, () => {}, { timezone: 'UTC' });
  const { second: seconds } = parse(expression);
  const names = (start: number, end: number): boolean => {
    for (let minute = Math.floor(start / MINUTE_MS) * MINUTE_MS; minute < end; minute += MINUTE_MS) {
      for (const second of seconds) {
        const wall = minute + second * SECOND_MS;
        if (wall >= start && wall < end && wallClock.match(new Date(wall))) return true;
      }
    }
    return false;
  };
  const runs: number[] = [];
  try {
    for (let at = Math.floor(from / SECOND_MS) * SECOND_MS; at < to; at += DAY_MS) {
      const end = Math.min(at + DAY_MS, Math.ceil(to / SECOND_MS) * SECOND_MS);
      const before = offsetAt(at, timezone);
      const after = offsetAt(end, timezone);
      if (after <= before) continue;
      const jump = changeAt(at, end, before, timezone);
      // The wall clock goes from jump + before straight to jump + after: the times in between never come.
      if (jump > from && jump <= to && names(jump + before, jump + after)) runs.push(jump);
    }
  } finally {
    void wallClock.destroy();
  }
  return runs;
}
