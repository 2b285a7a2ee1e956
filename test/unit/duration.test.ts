import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/core/duration.js';
import { isRollbotError } from '../../src/core/errors.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['48h', 172_800_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5s', 1_500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', '5 minutes', 'm5', '5mm', '-5m'])('refuses %j with a hint', (text) => {
    try {
      parseDuration(text);
      expect.unreachable('should have thrown');
    } catch (error) {
      expect(isRollbotError(error, 'BAD_REQUEST')).toBe(true);
      expect((error as Error & { hint: string }).hint).toContain('30s, 5m');
    }
  });
});

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [59_000, '59s'],
    [299_000, '4m 59s'],
    [600_000, '10m'],
    [172_800_000, '2d'],
    [5_430_000, '1h 30m'],
    [-65_000, '-1m 5s'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
