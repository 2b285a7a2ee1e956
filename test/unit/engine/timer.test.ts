import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, realTimer } from '../../../src/engine/timer.js';

afterEach(() => vi.restoreAllMocks());

describe('realTimer', () => {
  it('never hands setTimeout more than 2^31-1 ms, which Node would fire at once instead', () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    // A Retry-After of a million seconds from a proxy in front of Slack: 11.6 days is fine, 115 days is not.
    const cancels = [1_000_000_000, 10_000_000_000].map((ms) => realTimer(() => undefined, ms));
    cancels.forEach((cancel) => cancel());
    const delays = setTimeoutSpy.mock.calls.map(([, ms]) => ms);
    expect(delays).toEqual([1_000_000_000, MAX_TIMER_MS]);
    expect(MAX_TIMER_MS).toBe(2 ** 31 - 1);
  });
});
