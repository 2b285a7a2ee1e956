import { describe, expect, it } from 'vitest';
import { isRollbotError } from '../../src/core/errors.js';
import {
  isOverdue,
  openItems,
  parseActionItems,
  reminderTimes,
  type ActionItem,
} from '../../src/core/retro.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-11-22T02:00:00Z');

/** The RollbotError `run` throws (fails the test when it throws something else or nothing). */
function errorOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (isRollbotError(error)) return error;
    throw error;
  }
  throw new Error('expected a RollbotError');
}

describe('parseActionItems', () => {
  it('reads one item per line: mention, @name or ID; with or without a due date', () => {
    const items = parseActionItems(
      [
        '<@U012ABC> | add a canary gate for accuracy | 2026-12-15',
        '',
        '- @ml-platform | alert on feature drift',
        'W0SOMEONE|pin the feature store schema|2024-02-29',
      ].join('\n'),
      NOW,
    );
    expect(items).toEqual([
      {
        id: 'A1',
        owner: '<@U012ABC>',
        text: 'add a canary gate for accuracy',
        due: Date.UTC(2026, 11, 15),
        status: 'open',
      },
      {
        id: 'A2',
        owner: '@ml-platform',
        text: 'alert on feature drift',
        due: NOW + 14 * DAY,
        status: 'open',
      },
      {
        id: 'A3',
        owner: 'W0SOMEONE',
        text: 'pin the feature store schema',
        due: Date.UTC(2024, 1, 29),
        status: 'open',
      },
    ]);
  });

  it('gives nothing for an empty box', () => {
    expect(parseActionItems('  \n\n', NOW)).toEqual([]);
  });

  it.each([
    ['just some text', 'line 3', 'parts'],
    ['someone | do it', 'line 3', 'not an owner'],
    ['@ana |  | 2026-12-01', 'line 3', 'not what'],
    ['@ana | do it | next week', 'line 3', 'not a date'],
    ['@ana | do it | 2026-02-30', 'line 3', 'not a date'],
    ['@ana | do it | 2026-12-01 | extra', 'line 3', 'parts'],
  ])('refuses %j naming its line and the format', (bad, line, problem) => {
    const error = errorOf(() => parseActionItems(`@ana | fine | 2026-12-01\n\n${bad}`, NOW));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(line);
    expect(error.message).toContain(problem);
    expect(error.hint).toContain('<owner> | <what> | <due YYYY-MM-DD>');
  });

  it('refuses a pasted wall of text', () => {
    expect(errorOf(() => parseActionItems(`@ana | ${'x'.repeat(2_000)}`, NOW)).message).toContain('line 1');
    const many = Array.from({ length: 101 }, (_, i) => `@ana | item ${i}`).join('\n');
    expect(errorOf(() => parseActionItems(many, NOW)).code).toBe('BAD_REQUEST');
  });
});

describe('reminderTimes', () => {
  const due = NOW + 48 * HOUR;

  it('reminds 24h and 2h before the due time, then at it and daily, three times', () => {
    expect(reminderTimes(NOW, due)).toEqual([
      { key: 'due-in-24h', at: due - 24 * HOUR },
      { key: 'due-in-2h', at: due - 2 * HOUR },
      { key: 'overdue-0d', at: due },
      { key: 'overdue-1d', at: due + DAY },
      { key: 'overdue-2d', at: due + 2 * DAY },
    ]);
  });

  it('skips "before" reminders at or before the opening', () => {
    expect(reminderTimes(due - 24 * HOUR, due).map((r) => r.key)).toEqual([
      'due-in-2h',
      'overdue-0d',
      'overdue-1d',
      'overdue-2d',
    ]);
    expect(reminderTimes(due - 24 * HOUR - 1, due)[0]?.key).toBe('due-in-24h');
    expect(reminderTimes(due - HOUR, due)[0]?.key).toBe('overdue-0d');
  });
});

describe('openItems and isOverdue', () => {
  it('lists open items only and is overdue from the due time on, until completed', () => {
    const item: ActionItem = { id: 'A1', owner: '@a', text: 't', due: 0, status: 'open' };
    const closed: ActionItem = { ...item, id: 'A2', status: 'closed', closedBy: 'U1', closedAt: 1 };
    expect(openItems({ actionItems: [item, closed] })).toEqual([item]);
    expect(isOverdue({ dueAt: 100 }, 99)).toBe(false);
    expect(isOverdue({ dueAt: 100 }, 100)).toBe(true);
    expect(isOverdue({ dueAt: 100, completedAt: 50 }, 200)).toBe(false);
  });
});
