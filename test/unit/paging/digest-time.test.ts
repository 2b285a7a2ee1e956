import { describe, expect, it } from 'vitest';
import { nextDigestAt } from '../../../src/paging/digest-time.js';

function local(at: number, timeZone: string): { hour: string; minute: string; weekday: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    weekday: 'short',
  }).formatToParts(new Date(at));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { hour: part('hour'), minute: part('minute'), weekday: part('weekday') };
}

describe('nextDigestAt', () => {
  it('is the next start of business hours in the runbook time zone', () => {
    const at = nextDigestAt({ timezone: 'Asia/Tokyo', start: 8, days: [1, 2, 3, 4, 5] });
    expect(at).toBeGreaterThan(Date.now());
    expect(at - Date.now()).toBeLessThanOrEqual(4 * 86_400_000); // at most a weekend away
    const time = local(at, 'Asia/Tokyo');
    expect({ hour: time.hour, minute: time.minute }).toEqual({ hour: '08', minute: '00' });
    expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']).toContain(time.weekday);
  });

  it('defaults to 09:00 on weekdays and honours other days', () => {
    expect(local(nextDigestAt({ timezone: 'UTC' }), 'UTC').hour).toBe('09');
    expect(local(nextDigestAt({ timezone: 'UTC', start: 7, days: [0] }), 'UTC')).toMatchObject({
      hour: '07',
      weekday: 'Sun',
    });
  });
});
