/**
 * The impact estimate on answers Prometheus flagged as partial (`warnings`): its numbers may leave something
 * out, so it keeps the warnings and says so wherever it shows them.
 */
import { describe, expect, it } from 'vitest';
import { estimateImpact } from '../../../src/engine/impact.js';
import { resolve } from '../../../src/engine/resolve.js';
import { makeDeps, makeRunbook } from '../../helpers/engine.js';
import { FakeMetrics } from '../../helpers/fake-metrics.js';
import { makeIncident } from '../../helpers/incidents.js';

const ERRORS = 'error_ratio{model="fraud-scorer"}';
const REQUESTS = 'requests_per_second{model="fraud-scorer"}';
const RUNBOOK = makeRunbook(
  'fraud-scorer',
  `triage:
  checks:
    - { name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }
impact: { requestRate: '${REQUESTS}' }`,
);
const REMOTE_READ = 'error sending request: Post "http://archive:9201/read": connection refused';
const MINUTE = 60_000;

function metrics() {
  return new FakeMetrics().set(ERRORS, 0.05).set(REQUESTS, 100);
}

describe('impact estimate on partial answers', () => {
  const incident = makeIncident({ at: Date.parse('2026-11-22T02:00:00Z') });
  const resolvedAt = incident.openedAt + 30 * MINUTE;

  it('keeps the warnings of either answer it used', async () => {
    for (const query of [ERRORS, REQUESTS]) {
      const source = metrics().warn(query, [REMOTE_READ]);
      const estimate = await estimateImpact(source, RUNBOOK, incident, resolvedAt);
      expect(estimate?.excessFailedRequests).toBeGreaterThan(0);
      expect(estimate?.warnings).toEqual([REMOTE_READ]);
    }
  });

  it('has no warnings on complete answers', async () => {
    const estimate = await estimateImpact(metrics(), RUNBOOK, incident, resolvedAt);
    expect(estimate).not.toHaveProperty('warnings');
  });

  it('says on the resolution that its count rests on a partial answer', async () => {
    const deps = makeDeps({ runbooks: [RUNBOOK], metricsSource: metrics().warn(REQUESTS, [REMOTE_READ]) });
    const id = await deps.store.nextIncidentId();
    await deps.store.createIfNoneOpen(makeIncident({ id, at: deps.clock.now() - 30 * MINUTE }));
    await resolve(deps, id, { by: 'U0ANA', reason: 'service restored' });
    const [resolved] = (await deps.store.list(id)).filter((entry) => entry.type === 'incident.resolved');
    expect(resolved?.text).toMatch(
      /: service restored; about \d+ excess failed requests \(partial answer "error sending request: .*"\)$/,
    );
  });
});

describe('impact estimate baseline', () => {
  it('takes the baseline confirmation measured for the same query under another check name', async () => {
    const runbook = makeRunbook(
      'fraud-scorer',
      `triage:
  checks:
    - { name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }
confirm:
  checks:
    - { name: errors after rollback, kind: error, query: '${ERRORS}', max: 0.02 }
impact: { requestRate: '${REQUESTS}' }`,
    );
    const opened = makeIncident({ at: Date.parse('2026-11-22T02:00:00Z') });
    const incident = {
      ...opened,
      confirmation: {
        startedAt: opened.openedAt,
        baselines: { 'errors after rollback': 0.04 },
        outcomes: [],
      },
    };
    const estimate = await estimateImpact(metrics(), runbook, incident, incident.openedAt + 30 * MINUTE);
    // 0.05 against the pre-deployment 0.04, not against 0: a fifth of the failed requests are excess.
    expect(estimate?.baseline).toBe(0.04);
    const all = await estimateImpact(metrics(), RUNBOOK, opened, opened.openedAt + 30 * MINUTE);
    expect(estimate?.excessFailedRequests).toBe(Math.round((all?.excessFailedRequests ?? 0) / 5));
  });

  it('counts against no baseline where confirmation measured ±Inf, as confirmation itself does', async () => {
    // x/0 before the deployment: +Inf would make every failed request "no excess", -Inf every one infinite.
    const opened = makeIncident({ at: Date.parse('2026-11-22T02:00:00Z') });
    const resolvedAt = opened.openedAt + 30 * MINUTE;
    const without = await estimateImpact(metrics(), RUNBOOK, opened, resolvedAt);
    expect(without?.excessFailedRequests).toBeGreaterThan(0);
    for (const baseline of [Infinity, -Infinity]) {
      const incident = {
        ...opened,
        confirmation: { startedAt: opened.openedAt, baselines: { 'error rate': baseline }, outcomes: [] },
      };
      const estimate = await estimateImpact(metrics(), RUNBOOK, incident, resolvedAt);
      expect(estimate).not.toHaveProperty('baseline');
      expect(estimate?.excessFailedRequests).toBe(without?.excessFailedRequests);
    }
  });
});
