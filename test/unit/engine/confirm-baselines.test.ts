import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { answerError, HINT_PROMQL, HINT_REACH, transportError } from '../../../src/metrics-source/errors.js';
import { DEFAULT_TIMEOUT_MS } from '../../../src/metrics-source/prometheus.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, recordDeployments } from '../../helpers/engine.js';
import { FakeMetrics } from '../../helpers/fake-metrics.js';

/** The Prometheus source's own per-call timeout. */
const TIMEOUT_MS = DEFAULT_TIMEOUT_MS;
const QUERIES = ['errors', 'approvals', 'p99', 'queue_depth', 'drift', 'nulls'];
const CHECKS = `triage:
  checks:
${QUERIES.map((query) => `    - { name: ${query}, kind: error, query: '${query}', max: 0.5 }`).join('\n')}
rollback: { policy: auto }`;

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('confirmation baselines', () => {
  it('are asked for together: a Prometheus that never answers holds the start up one timeout, not one per check', async () => {
    const metrics = new FakeMetrics();
    for (const query of QUERIES) metrics.set(query, 0.1);
    metrics.set('errors', 0.9); // a breach: policy auto rolls back, and confirmation starts
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', CHECKS)], metricsSource: metrics });
    await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
    // Triage answers (range queries); then Prometheus hangs, as the baselines (instant queries) are asked for.
    metrics.hang = { now: () => deps.clock.now(), timeoutMs: TIMEOUT_MS };
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const alertAt = deps.clock.now(); // triage and the rollback take no time on this clock
    let started = false;
    const triage = pollDeadlines(deps).then(() => (started = true));
    // Time passes only while queries hang: each round lets every query sent together reach Prometheus, then
    // moves the clock one timeout on. Asked one after another, the checks would take one round each.
    for (let round = 0; round < QUERIES.length + 2 && !started; round++) {
      for (let turn = 0; turn < 50 && !started; turn++) await settle();
      if (metrics.hanging.length === 0) continue;
      deps.clock.advance(TIMEOUT_MS);
      metrics.expire();
    }
    await triage;

    const incident = await deps.store.getIncident('INC-1');
    expect(incident?.phase).toBe('confirm');
    // Every check's baseline is unknown (its own timeout), in the runbook's order; the triage thresholds apply.
    expect(Object.entries(incident?.confirmation?.baselines ?? {})).toEqual(
      QUERIES.map((query) => [query, null]),
    );
    expect(incident?.confirmation?.startedAt).toBe(alertAt + TIMEOUT_MS);
    const entries = await deps.store.list('INC-1');
    expect(entries.find((entry) => entry.type === 'confirm.started')?.text).toContain(
      `(${QUERIES.map((query) => `${query} unknown`).join(', ')})`,
    );
  });

  it('say why one is unknown when its query failed, briefly: the triage thresholds apply because Prometheus failed', async () => {
    const metrics = new FakeMetrics();
    for (const query of QUERIES) metrics.set(query, 0.1);
    metrics.set('errors', 0.9); // a breach: policy auto rolls back, and confirmation starts
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', CHECKS)], metricsSource: metrics });
    await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
    // Triage answers (range queries); three baselines (instant queries) fail: two unreachable, one refused.
    const long = `connect ECONNREFUSED 10.0.0.9:9090 ${'x'.repeat(150)}`;
    const failures: Record<string, () => Error> = {
      errors: () =>
        transportError('errors', new Error(long), { host: 'prometheus:9090', timeoutMs: 1, timedOut: false }),
      approvals: () =>
        transportError('approvals', new Error(long), {
          host: 'prometheus:9090',
          timeoutMs: 1,
          timedOut: false,
        }),
      p99: () => answerError('p99', 400, { errorType: 'bad_data', error: 'unknown function "p99"' }, ''),
    };
    const query = metrics.query.bind(metrics);
    metrics.query = (promql, at) => {
      const failure = failures[promql];
      return failure ? Promise.reject(failure()) : query(promql, at);
    };
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await pollDeadlines(deps);

    const incident = await deps.store.getIncident('INC-1');
    expect(incident?.confirmation?.baselines).toEqual({
      errors: null,
      approvals: null,
      p99: null,
      queue_depth: 0.1,
      drift: 0.1,
      nulls: 0.1,
    });
    const started = (await deps.store.list('INC-1')).find((entry) => entry.type === 'confirm.started');
    // Each failure once, for the checks it left without a baseline, in the capped form a poll's line uses.
    const unreachable = `cannot reach prometheus:9090: connect ECONNREFUSED 10.0.0.9:9090 ${'x'.repeat(65)}… (${HINT_REACH})`;
    expect(started?.text).toBe(
      'confirming: 3 passes in a row every 30s, within 10% of the pre-deployment baseline (errors unknown, ' +
        'approvals unknown, p99 unknown, queue_depth 0.1, drift 0.1, nulls 0.1); no baseline where the query ' +
        `failed, for errors, approvals (${unreachable}); p99 (Prometheus refused it (HTTP 400 bad_data: ` +
        `unknown function "p99") (${HINT_PROMQL})): their triage thresholds apply`,
    );
  });

  it('say why one is unknown when Prometheus had no data from before the bad version took traffic', async () => {
    const metrics = new FakeMetrics();
    for (const query of QUERIES) metrics.set(query, 0.1);
    metrics.set('errors', 0.9); // a breach: policy auto rolls back, and confirmation starts
    // Two series that began after v42 took traffic (a new metric, a relabelled job): nothing to compare with.
    const since = (at: number) => (at < 1_000 ? undefined : 0.1);
    metrics.set('drift', since).set('nulls', since);
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', CHECKS)], metricsSource: metrics });
    await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await pollDeadlines(deps);

    const started = (await deps.store.list('INC-1')).find((entry) => entry.type === 'confirm.started');
    expect(started?.text).toMatch(
      /\(errors 0\.9, approvals 0\.1, p99 0\.1, queue_depth 0\.1, drift unknown, nulls unknown\); no baseline where Prometheus had no data before v42 took traffic, for drift, nulls: their triage thresholds apply$/,
    );
  });
  it('say why they are unknown when the ledger has no record of when the bad version took traffic', async () => {
    const metrics = new FakeMetrics();
    for (const query of QUERIES) metrics.set(query, 0.1);
    metrics.set('errors', 0.9); // a breach: policy auto rolls back, and confirmation starts
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', CHECKS)], metricsSource: metrics });
    // No deployment recorded: the serving layer alone says v42 serves and v41 is warm beside it.
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await pollDeadlines(deps);

    expect((await deps.store.getIncident('INC-1'))?.phase).toBe('confirm');
    const started = (await deps.store.list('INC-1')).find((entry) => entry.type === 'confirm.started');
    expect(started?.text).toMatch(
      /\(errors unknown, approvals unknown, p99 unknown, queue_depth unknown, drift unknown, nulls unknown\); no baseline for any check: the deployment ledger has no record of when v42 took traffic \(CI records deployments with POST \/api\/deployments or rollbot deploy record\): the triage thresholds apply$/,
    );
  });
  it('name a few of many failures and checks, and count the rest', async () => {
    const many = Array.from({ length: 30 }, (_, i) => `q${i + 1}`);
    const checks = `triage:
  checks:
${many.map((query) => `    - { name: ${query}, kind: error, query: '${query}', max: 0.5 }`).join('\n')}
rollback: { policy: auto }`;
    const metrics = new FakeMetrics();
    for (const query of many) metrics.set(query, 0.9); // a breach: policy auto rolls back
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', checks)], metricsSource: metrics });
    await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
    // Every baseline query refused, each for its own reason; ten more answer with a warning; ten with nothing.
    metrics.query = (promql) => {
      const n = Number(promql.slice(1));
      if (n <= 10)
        return Promise.reject(
          answerError(promql, 400, { errorType: 'bad_data', error: `bad ${promql}` }, ''),
        );
      if (n <= 20)
        return Promise.resolve({ samples: [{ labels: {}, value: 0.1 }], warnings: [`store ${n} down`] });
      return Promise.resolve({ samples: [], warnings: [] });
    };
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await pollDeadlines(deps);

    const started = (await deps.store.list('INC-1')).find((entry) => entry.type === 'confirm.started');
    const why = started?.text.slice(started.text.indexOf('); ') + 3) ?? '';
    expect(why).toMatch(
      /^no baseline from a partial answer \(Prometheus warnings\) for q11 "store 11 down"; .*; q15 "store 15 down"; and 5 more partial answers: its triage thresholds apply; /,
    );
    expect(why).toMatch(
      /; no baseline where the query failed, for q1 \(Prometheus refused it .*bad q1\) .*; q5 \(.*bad q5\) .*; and 5 more failures: their triage thresholds apply; /,
    );
    expect(why).toMatch(/, for q21, q22, q23, q24, q25 and 5 more checks: their triage thresholds apply$/);
    expect(why.length).toBeLessThan(2_000);
  });
  it('say when a measured baseline cannot be used, so that "within 10% of 0" is not read as "must be 0"', async () => {
    const metrics = new FakeMetrics();
    for (const query of QUERIES) metrics.set(query, 0.1);
    metrics.set('errors', (at) => (at < 1_000 ? 0 : 0.9)); // no errors at all before v42, then a breach
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', CHECKS)], metricsSource: metrics });
    await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await pollDeadlines(deps);

    const started = (await deps.store.list('INC-1')).find((entry) => entry.type === 'confirm.started');
    expect(started?.text).toMatch(
      /\(errors 0, approvals 0\.1, p99 0\.1, queue_depth 0\.1, drift 0\.1, nulls 0\.1\); a baseline of 0 leaves no room for a tolerance, for errors: its triage thresholds apply$/,
    );
  });
  it('say which unusable value a baseline has: 0 and +Inf are not the same finding', async () => {
    const metrics = new FakeMetrics();
    for (const query of QUERIES) metrics.set(query, 0.1);
    metrics.set('errors', (at) => (at < 1_000 ? 0 : 0.9));
    // histogram_quantile past the histogram's last bucket: latency beyond what it can tell, not "none".
    metrics.set('p99', (at) => (at < 1_000 ? Infinity : 0.1));
    metrics.set('drift', (at) => (at < 1_000 ? -Infinity : 0.1));
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', CHECKS)], metricsSource: metrics });
    await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await pollDeadlines(deps);

    const started = (await deps.store.list('INC-1')).find((entry) => entry.type === 'confirm.started');
    expect(started?.text).toMatch(
      /\(errors 0, approvals 0\.1, p99 \+Inf, queue_depth 0\.1, drift -Inf, nulls 0\.1\); a baseline of 0 leaves no room for a tolerance, for errors: its triage thresholds apply; a baseline of \+Inf leaves no room for a tolerance, for p99: its triage thresholds apply; a baseline of -Inf leaves no room for a tolerance, for drift: its triage thresholds apply$/,
    );
  });
  it('say when a baseline lies so far outside a two-sided range that no value could be restored to it', async () => {
    const checks = `triage:
  checks:
    - { name: errors, kind: error, query: 'errors', max: 0.5 }
    - { name: share, kind: business, query: 'share', min: 0.4, max: 0.6 }
rollback: { policy: auto }`;
    const metrics = new FakeMetrics().set('errors', 0.9).set('share', (at) => (at < 1_000 ? 5 : 0.5));
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', checks)], metricsSource: metrics });
    await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await pollDeadlines(deps);

    const started = (await deps.store.list('INC-1')).find((entry) => entry.type === 'confirm.started');
    expect(started?.text).toMatch(
      /\(errors 0\.9, share 5\); a baseline so far outside the check's range that no value is both within tolerance and within it, for share: its triage thresholds apply$/,
    );
  });
});
