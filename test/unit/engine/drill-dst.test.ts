/**
 * Drill occurrences whose local time a daylight-saving change skips (a gap) or repeats (a fold): one in a gap runs
 * at the first instant after it (the clock's jump, as Vixie cron and systemd have it) instead of being lost with
 * its quarter's rehearsal; one in a fold runs once, whenever the hourly planner asks.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Runbook } from '../../../src/runbooks/schema.js';
import { nextDrills } from '../../../src/scheduling/drills.js';
import { makeRunbook } from '../../helpers/engine.js';

afterEach(() => {
  vi.useRealTimers();
});

/**
 * A runbook drilling on `schedule` in Europe/Berlin. Set after loading: the loader refuses a schedule that drills more
 * than once a day, such as the one naming both the skipped 02:30 and the jump's 03:00, but the calendar here must
 * still give that instant once: clock-gaps.ts is tested on it all the same.
 */
function berlin(schedule: string): Runbook {
  const runbook = makeRunbook('fraud-scorer', 'drill: { timezone: Europe/Berlin, dryRun: true }');
  if (!runbook.drill) throw new Error('the runbook has no drill');
  return { ...runbook, drill: { ...runbook.drill, schedule } };
}

function runsFrom(now: string, schedule: string, count: number): string[] {
  vi.useFakeTimers({ now: Date.parse(now), toFake: ['Date'] });
  return nextDrills(berlin(schedule), count).map((at) => new Date(at).toISOString());
}

describe('drill occurrences over daylight-saving changes', () => {
  it('runs one whose local time the spring change skips at the first instant after it (03:00 local)', () => {
    // 2027-03-28, Europe/Berlin: 02:00 CET becomes 03:00 CEST (01:00 UTC); 02:30 does not exist that day.
    expect(runsFrom('2027-03-27T12:00:00Z', '30 2 * * *', 3)).toEqual([
      '2027-03-28T01:00:00.000Z',
      '2027-03-29T00:30:00.000Z',
      '2027-03-30T00:30:00.000Z',
    ]);
  });

  it('does not lose March’s drill of one at 02:30 on the last Sunday of every month', () => {
    expect(runsFrom('2027-03-01T00:00:00Z', '30 2 25-31 * 0', 2)).toEqual([
      '2027-03-28T01:00:00.000Z',
      '2027-04-25T00:30:00.000Z',
    ]);
  });

  it('runs one at the instant of the jump once, when the schedule also names that instant', () => {
    expect(runsFrom('2027-03-27T12:00:00Z', '30 2,3 * * *', 3)).toEqual([
      '2027-03-28T01:00:00.000Z',
      '2027-03-28T01:30:00.000Z',
      '2027-03-29T00:30:00.000Z',
    ]);
    expect(runsFrom('2027-03-27T12:00:00Z', '0 2,3 * * *', 2)).toEqual([
      '2027-03-28T01:00:00.000Z',
      '2027-03-29T00:00:00.000Z',
    ]);
  });

  it('runs one whose local time the autumn change repeats once, whenever the planner asks', () => {
    // 2027-10-31, Europe/Berlin: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:30 comes at 00:30 and 01:30 UTC.
    const onTheDay = (runs: string[]) => runs.filter((iso) => iso.startsWith('2027-10-31'));
    expect(onTheDay(runsFrom('2027-10-30T12:00:00Z', '30 2 * * *', 3))).toEqual(['2027-10-31T01:30:00.000Z']);
    // The hourly planner asks before, between and after the two instants: it plans the same occurrence, or the next day's.
    expect(runsFrom('2027-10-31T00:17:00Z', '30 2 * * *', 1)).toEqual(['2027-10-31T01:30:00.000Z']);
    expect(runsFrom('2027-10-31T01:17:00Z', '30 2 * * *', 1)).toEqual(['2027-10-31T01:30:00.000Z']);
    expect(runsFrom('2027-10-31T01:30:00Z', '30 2 * * *', 1)).toEqual(['2027-11-01T01:30:00.000Z']);
  });
});
