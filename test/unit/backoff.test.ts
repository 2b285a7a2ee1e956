import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../src/core/backoff.js';
import { ServingError } from '../../src/core/errors.js';

const limits = { baseMs: 1_000, maxWaitMs: 30_000 };
const failed = (details?: Record<string, unknown>) =>
  new ServingError('layer answered 503', { transient: true, status: 503, details });

describe('backoffMs', () => {
  it('doubles from the base wait, never past the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffMs(attempt, failed(), limits))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });

  it('waits as long as Retry-After asks when that is longer, still capped', () => {
    expect(backoffMs(1, failed({ status: 429, retryAfter: '7' }), limits)).toBe(7_000);
    expect(backoffMs(4, failed({ status: 429, retryAfter: '2' }), limits)).toBe(8_000);
    expect(backoffMs(1, failed({ status: 429, retryAfter: '120' }), limits)).toBe(30_000);
  });

  it('ignores a Retry-After that is not a positive number of seconds', () => {
    for (const retryAfter of ['soon', '-3', '0', undefined]) {
      expect(backoffMs(2, failed({ status: 429, retryAfter }), limits)).toBe(2_000);
    }
  });
});
