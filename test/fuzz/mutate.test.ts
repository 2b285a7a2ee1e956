/**
 * The fuzzers' document mutation must not change what it inserts: fast-check's constants (`[]`, `{}`) are one
 * instance for every run, and a document that comes to hold itself cannot be written as YAML.
 */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { mutate } from './support/hostile-values.js';

describe('mutate', () => {
  it('inserts copies of the values it is given, never the values themselves', () => {
    const shared: unknown[] = [];
    const { document } = mutate({ model: 'fraud-scorer' }, [
      { op: 'set', at: 0, value: shared },
      { op: 'add', at: 0, key: 'k', value: shared },
    ]);
    expect(shared).toEqual([]);
    expect(document).toEqual({ model: [[]] });
    expect(() => stringify(document)).not.toThrow();
  });
});
