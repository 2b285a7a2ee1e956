import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Narrator, terminalWidth } from '../../../src/demo/narrator.js';

/** The lines a narrator of `width` columns prints on entering the triage chapter, 8.4 s into the demo. */
function triageHeader(width: number | undefined): string {
  const out = new PassThrough();
  const narrator = new Narrator(out, 0, () => 8_400, width);
  narrator.enter('triage');
  return String(out.read()).trim();
}

describe('Narrator chapter headers', () => {
  it('fill 100 columns by default, with the elapsed time at the right', () => {
    const header = triageHeader(undefined);
    expect(
      header.startsWith('━━ 5. Triage: error rate, approval rate, p99 latency against thresholds ━'),
    ).toBe(true);
    expect(header.endsWith('━ +8.4s')).toBe(true);
    expect([...header]).toHaveLength(100);
  });

  it('fit a narrow terminal instead of wrapping a run of ━ onto a line of its own', () => {
    const out = new PassThrough();
    const narrator = new Narrator(out, 0, () => 1_000, 60);
    narrator.enter('rollback');
    const header = String(out.read()).trim();
    expect(header).toBe(`━━ 6. Roll back (policy auto: no committee at 2am) ${'━'.repeat(3)} +1.0s`);
    expect([...header].length).toBeLessThanOrEqual(60);
  });

  it('leave the rule out when the title alone is wider than the terminal', () => {
    expect(triageHeader(60)).toBe(
      '━━ 5. Triage: error rate, approval rate, p99 latency against thresholds +8.4s',
    );
  });
});

describe('terminalWidth', () => {
  it("is the terminal's own width when the output is one, at most 100", () => {
    expect(terminalWidth({ columns: 60 }, { COLUMNS: '200' })).toBe(60);
    expect(terminalWidth({ columns: 200 }, {})).toBe(100);
  });

  it('is COLUMNS when the output is piped (NO_COLOR=1 npm run demo > file, or under `script`)', () => {
    expect(terminalWidth({}, { COLUMNS: '60' })).toBe(60);
    expect(terminalWidth({}, { COLUMNS: ' 72\n' })).toBe(72);
  });

  it.each(['', 'wide', '0', '-5', '12.5'])('is 100 for COLUMNS=%j, which is no width', (columns) => {
    expect(terminalWidth({}, { COLUMNS: columns })).toBe(100);
  });
});
