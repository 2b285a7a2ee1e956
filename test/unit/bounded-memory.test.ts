import { describe, expect, it } from 'vitest';
import { rememberNewest } from '../../src/core/bounded-memory.js';

describe('rememberNewest', () => {
  it('forgets the oldest entry beyond the bound', () => {
    const map = new Map<string, number>();
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) rememberNewest(map, key, i, 3);
    expect([...map]).toEqual([
      ['b', 1],
      ['c', 2],
      ['d', 3],
    ]);
  });

  it('makes an entry set again the newest, so the one forgotten next is another', () => {
    const map = new Map<string, string>();
    rememberNewest(map, 'a', 'first', 2);
    rememberNewest(map, 'b', 'b', 2);
    rememberNewest(map, 'a', 'again', 2);
    rememberNewest(map, 'c', 'c', 2);
    expect([...map]).toEqual([
      ['a', 'again'],
      ['c', 'c'],
    ]);
  });
});
