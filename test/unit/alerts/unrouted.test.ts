import { describe, expect, it } from 'vitest';
import { unroutedReason, unroutedReasons } from '../../../src/alerts/index.js';

const runbooks = [
  { model: 'fraud-scorer', match: { model: 'fraud-scorer', env: 'prod' } },
  { model: 'churn-predictor', match: {} },
];

describe('unroutedReason', () => {
  it('names every label the nearest runbook wants otherwise', () => {
    expect(unroutedReason({ model: 'Fraud-Scorer', env: 'Prod' }, runbooks)).toBe(
      'label model is "Fraud-Scorer", not "fraud-scorer"; label env is "Prod", not "prod" as the alerts.match of ' +
        'runbook fraud-scorer wants: label values are compared exactly, case included',
    );
  });

  it('does not take a label for near when another the runbook wants is missing', () => {
    // An empty matcher routes on model: <model> (core/routing.ts), so churn-predictor's labels are named too.
    expect(unroutedReason({ model: 'fraud-scorer' }, runbooks)).toBe(
      'no runbook\'s alerts.match fits its labels (model is "fraud-scorer", no label env); ' +
        'runbooks: churn-predictor, fraud-scorer',
    );
  });

  it('quotes a huge label value shortened, and takes no label from Object.prototype', () => {
    const reason = unroutedReason({ model: 'x'.repeat(100_000) }, [{ model: 'constructor', match: {} }]);
    expect(reason).toBe(
      `no runbook's alerts.match fits its labels (model is "${'x'.repeat(60)}"… (100000 characters)); runbooks: constructor`,
    );
    expect(unroutedReason({}, [{ model: 'm', match: { constructor: 'Object' } }])).toContain(
      'no label constructor',
    );
  });

  it('words each alert of a body by its own routed labels, once per set of their values', () => {
    const reasonOf = unroutedReasons(runbooks);
    const cased = reasonOf({ model: 'Fraud-Scorer', env: 'Prod' });
    expect(reasonOf({ model: 'Fraud-Scorer', env: 'Prod', pod: 'a-1' })).toBe(cased);
    expect(reasonOf({ model: 'nobody', env: 'prod' })).toBe(
      unroutedReason({ model: 'nobody', env: 'prod' }, runbooks),
    );
    // Empty and missing are told apart, as each is worded.
    expect(reasonOf({ model: '' })).toContain('model is empty');
    expect(reasonOf({})).toContain('no label model');
    expect(reasonOf({ model: 'Fraud-Scorer', env: 'Prod' })).toBe(cased);
  });

  it('names at most ten runbooks, and says when there are none', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({
      model: `m${String(i).padStart(2, '0')}`,
      match: {},
    }));
    expect(unroutedReason({ model: 'zzz' }, many)).toMatch(/runbooks: m00, m01, .*, m09 and 2 more$/);
    expect(unroutedReason({ model: 'zzz' }, [])).toBe('no runbooks are loaded (RUNBOOKS_DIR)');
  });
});
