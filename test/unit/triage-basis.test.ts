import { describe, expect, it } from 'vitest';
import type { CheckResult, TriageRecord } from '../../src/core/evaluation.js';
import { decidesAgain, decisionBasis, decisionOn, type DecisionBasis } from '../../src/core/triage-basis.js';

const REMOTE_READ = 'error sending request: Post "http://archive:9201/read": connection refused';

function failed(warnings?: string[]): Pick<TriageRecord, 'finding' | 'checks'> {
  const check: CheckResult = {
    name: 'error rate',
    kind: 'error',
    threshold: '≤ 0.02',
    outcomes: ['fail', 'fail', 'fail'],
    verdict: 'FAIL',
    ...(warnings ? { warnings } : {}),
  };
  return { finding: 'breach', checks: [check] };
}

const AUTO = { policy: 'auto', onNoData: 'ask' } as const;

describe('decisionBasis', () => {
  it('is the finding, with what policy auto could do with it alone', () => {
    expect(decisionBasis(failed(), AUTO)).toEqual({ finding: 'breach', ground: 'breach' });
    expect(decisionBasis(failed([REMOTE_READ]), AUTO)).toEqual({ finding: 'breach', ground: 'partial' });
  });

  it('has no ground under the policies that never act alone', () => {
    expect(decisionBasis(failed(), { policy: 'approve', onNoData: 'rollback' })).toEqual({
      finding: 'breach',
    });
  });
});

describe('decidesAgain', () => {
  const breach: DecisionBasis = { finding: 'breach', ground: 'breach' };
  const partialBreach: DecisionBasis = { finding: 'breach', ground: 'partial' };
  const asked: DecisionBasis = { finding: 'breach' };

  it('decides the first finding, and a new one', () => {
    expect(decidesAgain(undefined, partialBreach)).toBe(true);
    expect(decidesAgain({ finding: 'ok' }, partialBreach)).toBe(true);
    expect(decidesAgain(breach, { finding: 'ok' })).toBe(true);
  });

  it('decides the same finding again only when policy auto may now act on it alone', () => {
    expect(decidesAgain(partialBreach, breach)).toBe(true);
    expect(decidesAgain(asked, breach)).toBe(true);
    expect(decidesAgain(partialBreach, partialBreach)).toBe(false);
    expect(decidesAgain(breach, breach)).toBe(false);
    expect(decidesAgain(breach, partialBreach)).toBe(false);
    expect(decidesAgain(partialBreach, asked)).toBe(false);
  });
});

describe('decisionOn', () => {
  it('names its triage and keeps the basis of the decision it replaced, without what that one replaced', () => {
    const first = decisionOn({ finding: 'breach', ground: 'partial' }, 1_000, { finding: 'ok' });
    expect(first).toEqual({
      finding: 'breach',
      ground: 'partial',
      triageAt: 1_000,
      replaced: { finding: 'ok' },
    });
    expect(decisionOn({ finding: 'breach', ground: 'breach' }, 2_000, first)).toEqual({
      finding: 'breach',
      ground: 'breach',
      triageAt: 2_000,
      replaced: { finding: 'breach', ground: 'partial' },
    });
    expect(decisionOn({ finding: 'no-data' }, 3_000, undefined)).toEqual({
      finding: 'no-data',
      triageAt: 3_000,
    });
  });
});
