import { createTask } from 'node-cron';
import type { BusinessHours } from './policy.js';

/**
 * When the next daily digest goes out: the start of the next business day's hours, in the runbook's time
 * zone (09:00 Monday to Friday by default). node-cron computes from the system clock, hence at the edge.
 */
export function nextDigestAt(hours: BusinessHours): number {
  const days = (hours.days ?? [1, 2, 3, 4, 5]).join(',');
  const task = createTask(`0 ${hours.start ?? 9} * * ${days}`, () => {}, { timezone: hours.timezone });
  try {
    const [next] = task.getNextRuns(1);
    if (next === undefined) throw new RangeError(`no digest time for ${JSON.stringify(hours)}`);
    return next.getTime();
  } finally {
    void task.destroy();
  }
}
