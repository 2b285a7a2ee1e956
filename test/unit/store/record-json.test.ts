import { describe, expect, it } from 'vitest';
import { fromRecordJson, toRecordJson } from '../../../src/store/redis/record-json.js';

describe('stored record JSON', () => {
  it('writes a record without non-finite numbers exactly as JSON.stringify does', () => {
    const record = { id: 'INC-1', value: 0.5, series: [1, 2, 3], note: undefined, nested: { ok: true } };
    expect(toRecordJson(record)).toBe(JSON.stringify(record));
  });

  it('keeps ±Inf and NaN beside real nulls, and reads each back as written', () => {
    const record = {
      baselines: { errors: null, p99: Infinity, floor: -Infinity },
      value: NaN,
      title: 'null',
    };
    const json = toRecordJson(record);
    expect(json).not.toBe(JSON.stringify(record));
    const read = fromRecordJson<typeof record>(json);
    expect(read.baselines).toEqual({ errors: null, p99: Infinity, floor: -Infinity });
    expect(read.value).toBeNaN();
    expect(read.title).toBe('null');
  });
});
