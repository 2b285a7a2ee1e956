import { describe, expect, it } from 'vitest';
import { inputChecked, inputText, readJsonObject } from '../../../src/slack/context.js';
import { INPUTS } from '../../../src/slack/ids.js';

describe('reading what a Slack interaction carries', () => {
  it('keeps only the string fields of a button value or modal metadata', () => {
    expect(readJsonObject('{"incidentId":"INC-1","model":5,"to":{"a":1},"channel":null}')).toEqual({
      incidentId: 'INC-1',
    });
    expect(readJsonObject('[1]')).toEqual({});
    expect(readJsonObject('not json')).toEqual({});
    expect(readJsonObject(42)).toEqual({});
    expect(readJsonObject(undefined)).toEqual({});
  });

  it('reads modal inputs as empty when the state, the input or its value is missing or mistyped', () => {
    const view = (values: unknown) => ({ state: { values } });
    const reason = (value: unknown) => view({ [INPUTS.reason.block]: { [INPUTS.reason.action]: { value } } });
    expect(inputText(reason('  p99 doubled  '), INPUTS.reason)).toBe('p99 doubled');
    for (const broken of [{}, { state: null }, { state: { values: 3 } }, reason(42), reason(null), null]) {
      expect(inputText(broken, INPUTS.reason)).toBe('');
    }
    const dryRun = (selected: unknown) =>
      view({ [INPUTS.dryRun.block]: { [INPUTS.dryRun.action]: { selected_options: selected } } });
    expect(inputChecked(dryRun([{ value: 'dry-run' }]), INPUTS.dryRun)).toBe(true);
    expect(inputChecked(dryRun([]), INPUTS.dryRun)).toBe(false);
    expect(inputChecked(dryRun('yes'), INPUTS.dryRun)).toBe(false);
    expect(inputChecked({}, INPUTS.dryRun)).toBe(false);
  });
});
