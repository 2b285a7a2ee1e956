import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../src/core/ledger.js';
import { watchNote, watchPeriod } from '../../src/core/watch.js';

const HOUR = 3_600_000;
const WATCH = 72 * HOUR;
const T = 1_700_000_000_000;

function deployment(version: string, at: number, extra: Partial<Deployment> = {}): Deployment {
  return { model: 'fraud-scorer', version, strategy: 'canary', at, by: 'api', ...extra };
}

describe('watchPeriod', () => {
  it('starts when the newest deployment takes all traffic, targets the version it replaced, ends after the watch', () => {
    const ledger = [deployment('v2', T), deployment('v1', T - 10 * HOUR)];
    expect(watchPeriod(ledger, T + HOUR, WATCH)).toEqual({
      version: 'v2',
      previousVersion: 'v1',
      since: T,
      until: T + WATCH,
    });
    expect(watchPeriod(ledger, T + WATCH - 1, WATCH)?.version).toBe('v2');
    expect(watchPeriod(ledger, T + WATCH, WATCH)).toBeUndefined();
  });

  it('waits for 100 % of a canary, and counts repeated full records from the first', () => {
    const canary = [deployment('v2', T, { traffic: 10 }), deployment('v1', T - HOUR)];
    expect(watchPeriod(canary, T + HOUR, WATCH)).toBeUndefined();
    const promoted = [deployment('v2', T + 2 * HOUR, { traffic: 100 }), ...canary];
    expect(watchPeriod(promoted, T + 3 * HOUR, WATCH)?.since).toBe(T + 2 * HOUR);
    const again = [deployment('v2', T + 5 * HOUR), ...promoted];
    expect(watchPeriod(again, T + 6 * HOUR, WATCH)).toMatchObject({
      since: T + 2 * HOUR,
      previousVersion: 'v1',
    });
  });

  it('ends with a rollback, ignores what rollbot merely observed, and needs a recorded deployment', () => {
    expect(watchPeriod([], T, WATCH)).toBeUndefined();
    const rolledBack = [
      deployment('v2', T, { rolledBackAt: T + HOUR, incidentId: 'INC-1' }),
      deployment('v1', T - HOUR),
    ];
    expect(watchPeriod(rolledBack, T + 2 * HOUR, WATCH)).toBeUndefined();
    const observedLater = [
      deployment('v3', T + HOUR, { strategy: 'observed', by: 'serving' }),
      deployment('v2', T),
      deployment('v1', T - HOUR),
    ];
    expect(watchPeriod(observedLater, T + 2 * HOUR, WATCH)?.version).toBe('v2');
    expect(watchPeriod([deployment('v2', T, { strategy: 'observed' })], T + 1, WATCH)).toBeUndefined();
  });

  it('skips a version rolled back from when it picks the target', () => {
    const ledger = [
      deployment('v3', T),
      deployment('v2', T - HOUR, { rolledBackAt: T - HOUR / 2, incidentId: 'INC-1' }),
      deployment('v1', T - 2 * HOUR),
    ];
    expect(watchPeriod(ledger, T + 1, WATCH)?.previousVersion).toBe('v1');
  });
});

describe('watchNote', () => {
  it('says what is watched, the rollback target, and how long is left — or that the watch is over', () => {
    const watch = { version: 'v2', previousVersion: 'v1', since: T, until: T + WATCH };
    expect(watchNote(watch, T + 2 * HOUR)).toBe(
      'In its watch period: v2 took all traffic 2h ago; rollback target v1 kept ready for 2d 22h more.',
    );
    expect(watchNote(watch, T + WATCH)).toBe(
      'Opened in the watch period of v2 (now over); rollback target v1.',
    );
    expect(watchNote({ version: 'v2', since: T, until: T + WATCH }, T)).toContain(
      'no previous version recorded to go back to',
    );
  });
});
