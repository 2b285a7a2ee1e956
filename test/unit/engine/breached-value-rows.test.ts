import { describe, expect, it } from 'vitest';
import { render } from '../../../src/console/notifier.js';
import type { TriageRecord } from '../../../src/core/evaluation.js';
import { measureTriageCheck } from '../../../src/engine/measure.js';
import type { MetricsSource } from '../../../src/engine/metrics-port.js';
import { checkLine } from '../../../src/slack/blocks/incident-message.js';
import { makeIncident, T0 } from '../../helpers/incidents.js';
import { makeRunbook } from '../../helpers/engine.js';

const NOW = 1_800_000_000_000;
const CHECK = makeRunbook(
  'fraud-scorer',
  `triage: { checks: [{ name: error rate, kind: error, query: 'errors', max: 0.02, unit: ratio }] }`,
).triage.checks[0]!;
const WINDOW = { now: NOW, intervalMs: 30_000, samples: 3, failing: 2, trendMs: 900_000 };

/** Two of the last three measurements at 7.9 %, the newest back at 1 %: a breach by 2 of 3. */
const source: MetricsSource = {
  query: () => Promise.reject(new Error('triage asks range queries only')),
  range: async (_promql, start, end, stepMs) => {
    const points = [];
    for (let at = start; at <= end; at += stepMs) points.push({ at, value: at === end ? 0.01 : 0.079 });
    return { series: [{ labels: {}, points }], warnings: [] };
  },
};

describe('a check that breached while its newest value is back in range', () => {
  it('shows the value that breached on its row, not only a latest value that passes', async () => {
    const check = await measureTriageCheck(source, CHECK, WINDOW);
    expect(check).toMatchObject({ verdict: 'FAIL', value: 0.01, failedValue: 0.079 });
    // Not "❌ error rate 1% (≤ 2%) FAIL": a failing row whose value is inside its range.
    expect(checkLine(check)).toMatch(/^❌ \*error rate\* 7\.9%, latest 1% \(≤ 2%\) FAIL /);
    const triage: TriageRecord = { at: NOW, finding: 'breach', checks: [check], summary: '…' };
    const incident = makeIncident({ id: 'INC-7', model: 'fraud-scorer', at: T0 });
    const text = render({ type: 'triage.completed', incident, channel: 'C0FRAUD01', triage }, T0);
    expect(text).toContain('error rate 7.9%, latest 1% (≤ 2%)');
  });
});
