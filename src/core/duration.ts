import { RollbotError } from './errors.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

/**
 * Parses a duration such as `30s`, `5m`, `48h`, `7d` or `1h30m` into milliseconds. Plain numbers are
 * refused on purpose: `5` could mean seconds or minutes, and a runbook must not be ambiguous at 2am.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let match = PART.exec(trimmed); match; match = PART.exec(trimmed)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    consumed = PART.lastIndex;
  }
  if (trimmed === '' || consumed !== trimmed.length) {
    throw new RollbotError('BAD_REQUEST', `"${text}" is not a duration`, {
      hint: 'write a number with a unit: 30s, 5m, 48h, 7d (or combined, like 1h30m)',
    });
  }
  return Math.round(total);
}

/** Formats milliseconds for people: `4m 59s`, `48h`, `850ms`, `-1m 5s` for overdue amounts. */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  let seconds = Math.floor(ms / 1_000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds}s`);
  return parts.slice(0, 2).join(' ');
}
