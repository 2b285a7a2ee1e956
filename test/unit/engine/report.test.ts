import { describe, expect, it } from 'vitest';
import type { Incident } from '../../../src/core/incident.js';
import { incidentMarkdown } from '../../../src/engine/report.js';
import { viewIncident } from '../../../src/engine/views.js';
import { T0 } from '../../helpers/incidents.js';
import { check, MINUTE, triaged } from '../slack/fixtures.js';

describe('incident Markdown', () => {
  it('shows checks, baselines and the impact average in each check’s unit', () => {
    const errorRate = check({ value: 0.079, threshold: '≤ 2%', unit: 'ratio' });
    const incident: Incident = {
      ...triaged(),
      triage: { at: T0, finding: 'breach', summary: 'error rate 7.9% outside ≤ 2%', checks: [errorRate] },
      confirmation: {
        startedAt: T0 + MINUTE,
        baselines: { 'error rate': 0.004 },
        outcomes: ['pass'],
        last: { at: T0 + 2 * MINUTE, checks: [{ ...errorRate, value: 0.0041, verdict: 'PASS' }] },
      },
      impact: {
        windowMs: 10 * MINUTE,
        check: 'error rate',
        averageDuringIncident: 0.033,
        baseline: 0.004,
        formula: 'Σ …',
      },
    };
    const md = incidentMarkdown({ ...viewIncident(incident, T0 + 3 * MINUTE), timeline: [] });
    expect(md).toContain('| error rate (error) | 7.9% | ≤ 2% | FAIL |');
    expect(md).toContain('Pre-deployment baselines: error rate 0.4%');
    expect(md).toContain('| error rate (error) | 0.41% | ≤ 2% | PASS |');
    expect(md).toContain('- **Average during the incident:** 3.3%; baseline 0.4%');
  });
});
