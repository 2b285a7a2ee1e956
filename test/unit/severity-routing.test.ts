import { describe, expect, it } from 'vitest';
import { routeAlert } from '../../src/core/routing.js';
import { DEFAULT_SEVERITY_MAPPING, formatSeverity, severityOf } from '../../src/core/severity.js';
import { closest, editDistance } from '../../src/core/suggest.js';

describe('severity', () => {
  it.each([
    ['critical', 1],
    ['CRITICAL', 1],
    ['page', 1],
    ['error', 2],
    ['warning', 3],
    ['info', 4],
    ['sev2', 2],
    ['bogus', 3],
    // Object.prototype's members are not severities (found by fuzzing: "constructor" gave a function).
    ['constructor', 3],
    ['__proto__', 3],
    ['toString', 3],
  ])('%s → SEV-%d', (value, expected) => {
    expect(severityOf({ severity: value }, DEFAULT_SEVERITY_MAPPING)).toBe(expected);
  });

  it('uses the default when the label is missing, and a custom label and map', () => {
    expect(severityOf({}, DEFAULT_SEVERITY_MAPPING)).toBe(3);
    expect(severityOf({ priority: 'p1' }, { label: 'priority', map: { p1: 1 }, default: 4 })).toBe(1);
    expect(formatSeverity(2)).toBe('SEV-2');
  });
});

describe('routing', () => {
  const runbooks = [
    { model: 'generic', match: { team: 'ml' } },
    { model: 'fraud-prod', match: { team: 'ml', model: 'fraud', env: 'prod' } },
    { model: 'fraud', match: { team: 'ml', model: 'fraud' } },
  ];

  it('picks the most specific runbook whose labels all match', () => {
    expect(routeAlert({ team: 'ml', model: 'fraud', env: 'prod' }, runbooks)?.model).toBe('fraud-prod');
    expect(routeAlert({ team: 'ml', model: 'fraud', env: 'staging' }, runbooks)?.model).toBe('fraud');
    expect(routeAlert({ team: 'ml' }, runbooks)?.model).toBe('generic');
    expect(routeAlert({ team: 'web' }, runbooks)).toBeUndefined();
  });

  it('weighs matchers naming a model and matchers naming none by specificity alone, then by their order', () => {
    const mixed = [
      { model: 'by-team', match: { team: 'ml' } },
      { model: 'fraud', match: { model: 'fraud' } },
      { model: 'by-env', match: { env: 'prod', team: 'ml' } },
      { model: 'churn', match: { model: 'churn' } },
    ];
    expect(routeAlert({ team: 'ml', model: 'fraud', env: 'prod' }, mixed)?.model).toBe('by-env');
    expect(routeAlert({ team: 'ml', model: 'fraud' }, mixed)?.model).toBe('by-team');
    expect(routeAlert({ model: 'fraud' }, mixed)?.model).toBe('fraud');
    expect(routeAlert({ model: 'churn', team: 'web' }, mixed)?.model).toBe('churn');
    expect(routeAlert({ model: 'ranker', team: 'ml' }, mixed)?.model).toBe('by-team');
    expect(routeAlert({ model: 'ranker' }, mixed)).toBeUndefined();
  });

  it('never lets an empty matcher take every alert: it routes like the default, model: <model>', () => {
    const empty = { model: 'fraud', match: {} };
    expect(routeAlert({ model: 'churn' }, [empty])).toBeUndefined();
    expect(routeAlert({}, [empty])).toBeUndefined();
    expect(routeAlert({ model: 'fraud', env: 'prod' }, [empty])?.model).toBe('fraud');
    expect(routeAlert({ team: 'ml', model: 'fraud' }, [empty, ...runbooks])?.model).toBe('fraud');
  });
});

describe('suggestions', () => {
  it('counts a swap of neighbouring letters as one edit', () => {
    expect(editDistance('atuo', 'auto')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests only plausible typos', () => {
    expect(closest('escalaton', ['escalation', 'serving'])).toBe('escalation');
    expect(closest('zzz', ['escalation', 'serving'])).toBeUndefined();
    // Hostile words get no suggestion rather than a quadratic comparison (a 1 MB key took 19 s).
    expect(closest('escalation'.repeat(20), ['escalation'])).toBeUndefined();
  });
});
