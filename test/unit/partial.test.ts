import { describe, expect, it } from 'vitest';
import type { CheckResult, TriageRecord } from '../../src/core/evaluation.js';
import {
  automaticGround,
  confirmOutcome,
  describeWarnings,
  isPartial,
  keepWarnings,
  MAX_WARNINGS,
  WARNING_CHARS,
} from '../../src/core/partial.js';

const REMOTE_READ = 'error sending request: Post "http://archive:9201/read": connection refused';

function check(verdict: CheckResult['verdict'], warnings?: string[]): CheckResult {
  return {
    name: `${verdict.toLowerCase()} check`,
    kind: 'error',
    threshold: '≤ 0.02',
    outcomes: [],
    verdict,
    ...(warnings ? { warnings } : {}),
  };
}

function triage(finding: TriageRecord['finding'], checks: CheckResult[]): TriageRecord {
  return { at: 0, finding, checks, summary: '' };
}

describe('keepWarnings', () => {
  it('keeps each warning on one line, without control characters or bidi overrides', () => {
    expect(keepWarnings([' remote read\n\tfailed:\u001b[31m store\u0007 down\u202e ', 'limit'])).toEqual([
      'remote read failed: [31m store down',
      'limit',
    ]);
  });

  it('keeps each warning once, and drops empty ones', () => {
    expect(keepWarnings([REMOTE_READ, ' ', REMOTE_READ, `${REMOTE_READ} `])).toEqual([REMOTE_READ]);
  });

  it('cuts a long warning and counts what it could not keep', () => {
    const many = Array.from({ length: 40 }, (_, i) => `store ${i} is down ${'x'.repeat(1000)}`);
    const kept = keepWarnings(many);
    expect(kept).toHaveLength(MAX_WARNINGS);
    expect(kept.slice(0, -1).every((warning) => warning.length === WARNING_CHARS)).toBe(true);
    expect(kept[0]?.endsWith('…')).toBe(true);
    expect(kept.at(-1)).toBe('(36 more warnings not kept)');
  });

  it('never cuts an emoji in half', () => {
    // Lengths are UTF-16 units, as Slack counts them; an emoji is two.
    const [kept] = keepWarnings(['💥'.repeat(WARNING_CHARS)]);
    expect(kept).toBe(`${'💥'.repeat(Math.floor((WARNING_CHARS - 1) / 2))}…`);
  });

  it('keeps nothing when there is nothing', () => {
    expect(keepWarnings([])).toEqual([]);
  });
});

describe('isPartial', () => {
  it('is true only for an answer that carried warnings; a record from before warnings were kept is not', () => {
    expect(isPartial(check('PASS', [REMOTE_READ]))).toBe(true);
    expect(isPartial(check('PASS', []))).toBe(false);
    expect(isPartial(check('PASS'))).toBe(false);
  });
});

describe('confirmOutcome: a partial answer cannot by itself pass confirmation', () => {
  it('turns a pass on a partial answer into inconclusive', () => {
    expect(confirmOutcome('pass', true)).toBe('inconclusive');
  });

  it('keeps a fail and an inconclusive on a partial answer: either asks a person anyway', () => {
    expect(confirmOutcome('fail', true)).toBe('fail');
    expect(confirmOutcome('inconclusive', true)).toBe('inconclusive');
  });

  it('leaves complete answers alone', () => {
    expect(confirmOutcome('pass', false)).toBe('pass');
    expect(confirmOutcome('fail', false)).toBe('fail');
  });
});

describe('automaticGround: a partial answer cannot by itself justify an automatic rollback', () => {
  it('acts on a breach shown by a complete answer', () => {
    expect(automaticGround(triage('breach', [check('FAIL')]), 'ask')).toBe('breach');
  });

  it('holds back a breach shown only by partial answers', () => {
    expect(automaticGround(triage('breach', [check('FAIL', [REMOTE_READ]), check('PASS')]), 'ask')).toBe(
      'partial',
    );
  });

  it('acts when another check failed on a complete answer', () => {
    const checks = [check('FAIL', [REMOTE_READ]), check('FAIL'), check('PASS', [REMOTE_READ])];
    expect(automaticGround(triage('breach', checks), 'ask')).toBe('breach');
  });

  it('acts on no data only with onNoData: rollback, and only when the empty answers were complete', () => {
    const empty = [check('INCONCLUSIVE'), check('PASS', [REMOTE_READ])];
    expect(automaticGround(triage('no-data', empty), 'rollback')).toBe('no-data');
    expect(automaticGround(triage('no-data', empty), 'ask')).toBeUndefined();
    // An empty answer with a warning may be data that could not be read: rollbot would be acting blind.
    const partial = [check('INCONCLUSIVE', [REMOTE_READ]), check('PASS')];
    expect(automaticGround(triage('no-data', partial), 'rollback')).toBe('partial');
    expect(automaticGround(triage('no-data', partial), 'ask')).toBeUndefined();
  });

  it('takes a breach that only noData: fail makes of missing data for no data', () => {
    const blind: CheckResult = { ...check('FAIL'), failedOnNoData: true };
    expect(automaticGround(triage('breach', [blind, check('PASS')]), 'ask')).toBeUndefined();
    expect(automaticGround(triage('breach', [blind, check('PASS')]), 'rollback')).toBe('no-data');
    expect(automaticGround(triage('breach', [blind, check('ERROR')]), 'rollback')).toBeUndefined();
    expect(automaticGround(triage('breach', [blind, check('FAIL')]), 'ask')).toBe('breach');
  });

  it('does not take a value measured in the grey band for no data', () => {
    const grey: CheckResult = {
      ...check('INCONCLUSIVE'),
      outcomes: ['inconclusive'],
      inconclusiveValue: 0.05,
    };
    expect(automaticGround(triage('no-data', [grey, check('PASS')]), 'rollback')).toBeUndefined();
  });

  it('never acts when a query failed or nothing breached', () => {
    expect(automaticGround(triage('no-data', [check('INCONCLUSIVE'), check('ERROR')]), 'rollback')).toBe(
      undefined,
    );
    expect(automaticGround(triage('unavailable', [check('ERROR')]), 'rollback')).toBeUndefined();
    expect(automaticGround(triage('ok', [check('PASS', [REMOTE_READ])]), 'rollback')).toBeUndefined();
  });
});

describe('describeWarnings', () => {
  it('quotes the first warning and counts the others', () => {
    expect(describeWarnings([REMOTE_READ, 'results truncated due to limit'])).toBe(
      `"${REMOTE_READ}" (+1 more)`,
    );
    expect(describeWarnings(['limit'])).toBe('"limit"');
  });

  it('stays within its length, one line, whatever the record holds', () => {
    const text = describeWarnings([`a\nb ${'y'.repeat(500)}`, 'c', 'd'], 60);
    expect(text.length).toBeLessThanOrEqual(60);
    expect(text).toMatch(/^"a b y+…" \(\+2 more\)$/);
  });
});
