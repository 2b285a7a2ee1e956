import { describe, expect, it } from 'vitest';
import { dismiss } from '../../../src/engine/decisions.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { rollback } from '../../../src/engine/rollback.js';
import { firing } from '../../helpers/alerts.js';
import {
  makeDeps,
  makeRunbook,
  metricValue,
  type TestDeps,
  recordDeployments,
} from '../../helpers/engine.js';
import { checkLine } from '../../../src/slack/blocks/incident-message.js';
import { FakeMetrics } from '../../helpers/fake-metrics.js';
import { RollbotError } from '../../../src/core/errors.js';

const ERRORS = 'error_ratio{model="fraud-scorer"}';
const APPROVALS = 'approval_ratio{model="fraud-scorer"}';
const LATENCY = 'p99_seconds{model="fraud-scorer"}';
const REQUESTS = 'requests_per_second{model="fraud-scorer"}';
const CHECKS = `triage:
  checks:
    - { name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }
    - { name: approval rate, kind: business, query: '${APPROVALS}', min: 0.8 }
    - { name: p99 latency, kind: latency, query: '${LATENCY}', max: 0.25 }
impact: { requestRate: '${REQUESTS}' }`;

function setup(policy: 'auto' | 'approve' | 'two-person' = 'auto', extra = '') {
  const metrics = new FakeMetrics()
    .set(ERRORS, 0.079)
    .set(APPROVALS, 0.9)
    .set(LATENCY, 0.1)
    .set(REQUESTS, 100);
  const runbook = makeRunbook(
    'fraud-scorer',
    // Two approvers: two-person needs a requester and a different approver among them.
    `${CHECKS}\nrollback: { policy: ${policy}, approvers: [U0APPROVE1, U0APPROVE2] }\n${extra}`,
  );
  const deps = makeDeps({ runbooks: [runbook], metricsSource: metrics });
  return { deps, metrics };
}

async function open(deps: TestDeps) {
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  await pollDeadlines(deps); // the triage run
  return (await deps.store.getIncident('INC-1'))!;
}

async function timeline(deps: TestDeps) {
  return (await deps.store.list('INC-1')).map((entry) => `${entry.type}: ${entry.text}`);
}

describe('triage', () => {
  it('rolls back at once on a breach with policy auto, saying why on the timeline', async () => {
    const { deps } = setup('auto');
    const incident = await open(deps);
    expect(incident.triage).toMatchObject({ finding: 'breach' });
    expect(incident.triage?.checks.map((check) => [check.name, check.verdict, check.value])).toEqual([
      ['error rate', 'FAIL', 0.079],
      ['approval rate', 'PASS', 0.9],
      ['p99 latency', 'PASS', 0.1],
    ]);
    expect(incident.triage?.checks[0]?.trend).toEqual({
      sparkline: '▄'.repeat(31),
      direction: 'flat',
      windowMs: 900_000,
    });
    const lines = await timeline(deps);
    expect(lines).toContain(
      'triage.result: triage: error rate 0.079 outside ≤ 0.02 for 3 of 3 measurements (3 needed) (flat ▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄)',
    );
    expect(lines.find((line) => line.startsWith('rollback.started'))).toContain(
      'requested by rollbot via auto: auto: error rate 0.079 outside ≤ 0.02 for 3 of 3 measurements',
    );
    expect(incident.phase).toBe('confirm');
    expect(incident.decision).toMatchObject({ kind: 'rollback', by: 'rollbot', trigger: 'auto' });
    expect(deps.fake.mutations).toBe(1);
    expect(
      await metricValue(deps.metrics, 'rollbot_rollbacks_total', { trigger: 'auto', outcome: 'succeeded' }),
    ).toBe(1);
    expect(
      await metricValue(deps.metrics, 'rollbot_stage_duration_seconds', { stage: 'triage' }),
    ).toBeGreaterThanOrEqual(0);
  });

  it('draws the rising trend of a degrading model', async () => {
    const { deps, metrics } = setup('approve');
    const start = deps.clock.now() - 900_000;
    metrics.set(ERRORS, (at) => 0.001 + ((at - start) / 900_000) * 0.08);
    const incident = await open(deps);
    expect(incident.triage?.checks[0]?.trend?.direction).toBe('rising');
    expect(incident.triage?.checks[0]?.trend?.sparkline).toMatch(/^▁.*█$/);
  });

  it.each(['approve', 'two-person'] as const)(
    'asks for a decision on a breach with policy %s, and does not roll back',
    async (policy) => {
      const { deps } = setup(policy);
      const incident = await open(deps);
      expect(incident.phase).toBe('triage');
      expect(deps.fake.mutations).toBe(0);
      const [request] = deps.notifier.ofType('decision.requested');
      expect(request).toMatchObject({ policy, approvers: ['U0APPROVE1', 'U0APPROVE2'] });
      expect(request?.text).toContain('threshold breached — error rate 0.079 outside ≤ 0.02');
    },
  );

  it('leaves the decision to a person when no threshold is breached', async () => {
    const { deps, metrics } = setup('auto');
    metrics.set(ERRORS, 0.004);
    const incident = await open(deps);
    expect(incident.triage?.finding).toBe('ok');
    expect(deps.fake.mutations).toBe(0);
    expect(deps.notifier.ofType('decision.requested')[0]?.text).toBe(
      'no threshold breached (error rate 0.004, approval rate 0.9, p99 latency 0.1): a person decides',
    );
  });

  it('needs M of N measurements to breach', async () => {
    const { deps, metrics } = setup('auto');
    const now = deps.clock.now();
    metrics.set(ERRORS, (at) => (at >= now - 30_000 ? 0.05 : 0.001)); // only the last 2 of 3 breach
    expect((await open(deps)).triage?.finding).toBe('ok');
    expect(deps.fake.mutations).toBe(0);
    // Not "no threshold breached (error rate 0.05)": the person deciding must see that it is breaching.
    expect(deps.notifier.ofType('decision.requested')[0]?.text).toBe(
      'no check breached for 3 of 3 measurements (error rate 0.05 outside ≤ 0.02 for 2 of 3, approval rate 0.9, p99 latency 0.1): a person decides',
    );
  });

  it('names the value that breached, not a latest value already back in range', async () => {
    const metrics = new FakeMetrics().set(APPROVALS, 0.9).set(LATENCY, 0.1);
    const now = Date.parse('2026-11-22T02:00:00Z');
    metrics.set(ERRORS, (at) => (at < now ? 0.079 : 0.01)); // the last of 3 measurements is back at 1 %
    const checks = CHECKS.replace('impact:', '  failing: 2\nimpact:').replaceAll(
      'max: 0.02 }',
      'max: 0.02, unit: ratio }',
    );
    const runbook = makeRunbook('fraud-scorer', `${checks}\nrollback: { policy: approve }`);
    const deps = makeDeps({ runbooks: [runbook], metricsSource: metrics });
    const incident = await open(deps);
    expect(incident.triage?.finding).toBe('breach');
    expect(incident.triage?.summary).toMatch(
      /^error rate 7\.9% outside ≤ 2% for 2 of 3 measurements \(2 needed, latest 1%\) \(falling /,
    );
  });

  it('says plainly when Prometheus is unreachable and never rolls back on missing data', async () => {
    const { deps, metrics } = setup('auto');
    metrics.down = true;
    const incident = await open(deps);
    expect(incident.triage?.finding).toBe('unavailable');
    expect(deps.fake.mutations).toBe(0);
    expect(deps.notifier.ofType('decision.requested')[0]?.text).toBe(
      'Prometheus could not be asked (error rate, approval rate, p99 latency: connect ECONNREFUSED 127.0.0.1:9090 (check PROMETHEUS_URL)): a person decides',
    );
  });

  it('does not mistake no data for a healthy model', async () => {
    const { deps, metrics } = setup('auto');
    metrics.set(ERRORS, () => undefined);
    const incident = await open(deps);
    expect(incident.triage?.finding).toBe('no-data');
    expect(deps.fake.mutations).toBe(0);
  });

  it('does not read the last values of a series that stopped reporting as the latest measurements', async () => {
    const { deps, metrics } = setup('approve');
    const stoppedAt = deps.clock.now() - 420_000; // healthy until 7 minutes ago, then nothing
    metrics.set(ERRORS, (at) => (at <= stoppedAt ? 0.001 : undefined));
    const incident = await open(deps);
    expect(incident.triage?.finding).toBe('no-data');
    const [errorRate] = incident.triage?.checks ?? [];
    expect(errorRate).toMatchObject({ verdict: 'INCONCLUSIVE', outcomes: Array(3).fill('inconclusive') });
    expect(errorRate?.value).toBeUndefined();
    expect(deps.notifier.ofType('decision.requested')[0]?.text).toBe(
      'no clear signal (error rate: no data): a person decides',
    );
  });

  it('reads the measurements of a server that aligns range steps to multiples of the step (Mimir, Thanos)', async () => {
    const { deps, metrics } = setup('approve');
    deps.clock.advance(7_000); // now is not on the 30 s grid, so the server's steps are not the requested ones
    const range = metrics.range.bind(metrics);
    metrics.range = (promql, start, end, step) =>
      range(promql, Math.ceil(start / step) * step, Math.floor(end / step) * step, step);
    const incident = await open(deps);
    expect(incident.triage?.checks[0]).toMatchObject({
      verdict: 'FAIL',
      value: 0.079,
      outcomes: ['fail', 'fail', 'fail'],
    });
  });

  it('rolls back on missing data when the runbook asks for it', async () => {
    const metrics = new FakeMetrics(); // answers every query with an empty result
    const runbook = makeRunbook('fraud-scorer', `${CHECKS}\nrollback: { policy: auto, onNoData: rollback }`);
    const rolling = makeDeps({ runbooks: [runbook], metricsSource: metrics });
    expect((await open(rolling)).triage?.finding).toBe('no-data');
    expect(rolling.fake.mutations).toBe(1);
  });

  describe('never rolls back blind, even with onNoData: rollback', () => {
    const runbook = () =>
      makeRunbook('fraud-scorer', `${CHECKS}\nrollback: { policy: auto, onNoData: rollback }`);

    it('when Prometheus is down', async () => {
      const metrics = new FakeMetrics();
      metrics.down = true;
      const deps = makeDeps({ runbooks: [runbook()], metricsSource: metrics });
      const incident = await open(deps);
      expect(incident.triage?.finding).toBe('unavailable');
      expect(incident.phase).toBe('triage');
      expect(deps.fake.mutations).toBe(0);
      expect(deps.notifier.ofType('decision.requested')[0]?.text).toBe(
        'Prometheus could not be asked (error rate, approval rate, p99 latency: connect ECONNREFUSED 127.0.0.1:9090 (check PROMETHEUS_URL)): a person decides',
      );
    });

    it('when no metrics source is configured', async () => {
      const deps = makeDeps({ runbooks: [runbook()] });
      expect((await open(deps)).triage?.finding).toBe('unavailable');
      expect(deps.fake.mutations).toBe(0);
      expect(deps.notifier.ofType('decision.requested')).toHaveLength(1);
    });

    it('when the runbook has no triage checks: nothing was measured, and the summary says a person decides', async () => {
      const metrics = new FakeMetrics();
      const noChecks = makeRunbook('fraud-scorer', 'rollback: { policy: auto, onNoData: rollback }');
      const deps = makeDeps({ runbooks: [noChecks], metricsSource: metrics });
      const incident = await open(deps);
      expect(incident.triage?.finding).toBe('no-data');
      expect(incident.phase).toBe('triage');
      expect(deps.fake.mutations).toBe(0);
      expect(deps.notifier.ofType('decision.requested')[0]?.text).toBe(
        'the runbook has no triage checks: a person decides',
      );
    });

    it('when one query failed and the others passed', async () => {
      const metrics = new FakeMetrics().set(APPROVALS, 0.9).set(LATENCY, 0.1);
      const range = metrics.range.bind(metrics);
      metrics.range = async (promql, ...rest) => {
        if (promql === ERRORS) throw new Error('Prometheus query "error_ratio": no answer within 10000ms');
        return range(promql, ...rest);
      };
      const deps = makeDeps({ runbooks: [runbook()], metricsSource: metrics });
      const incident = await open(deps);
      expect(incident.triage?.finding).toBe('no-data');
      expect(deps.fake.mutations).toBe(0);
      expect(deps.notifier.ofType('decision.requested')[0]?.text).toContain('no answer within 10000ms');
    });
  });

  describe('a breach that only missing data shows (noData: fail) is no data to policy auto', () => {
    const noDataFails = (rollbackLine: string) => {
      const checks = CHECKS.replace(`max: 0.02 }`, `max: 0.02, noData: fail }`);
      const metrics = new FakeMetrics().set(APPROVALS, 0.9).set(LATENCY, 0.1); // error rate: no series
      const runbook = makeRunbook('fraud-scorer', `${checks}\n${rollbackLine}`);
      return { deps: makeDeps({ runbooks: [runbook], metricsSource: metrics }), metrics };
    };

    it('asks a person with onNoData: ask (the default), showing the breach', async () => {
      const { deps } = noDataFails('rollback: { policy: auto }');
      const incident = await open(deps);
      expect(incident.triage?.finding).toBe('breach');
      expect(incident.phase).toBe('triage');
      expect(deps.fake.mutations).toBe(0);
      expect(deps.notifier.ofType('decision.requested')[0]?.text).toBe(
        // Not "no data outside ≤ 0.02": nothing measured was outside the range.
        'threshold breached — error rate no data, which noData: fail counts as failing, for 3 of 3 measurements (3 needed). Policy auto does not roll back on a breach that only missing data shows (noData: fail) without rollback.onNoData: rollback: a person decides',
      );
    });

    it('asks a person when fewer than M of the measured values failed', async () => {
      const { deps, metrics } = noDataFails('rollback: { policy: auto }');
      const now = deps.clock.now();
      metrics.set(ERRORS, (at) => (at === now ? 0.079 : undefined)); // 1 measured fail + 2 missing
      const incident = await open(deps);
      expect(incident.triage?.checks[0]).toMatchObject({ verdict: 'FAIL', value: 0.079 });
      expect(deps.fake.mutations).toBe(0);
    });

    it('names the measured value that failed when the newest measurement is missing', async () => {
      const { deps, metrics } = noDataFails('rollback: { policy: auto }');
      const now = deps.clock.now();
      metrics.set(ERRORS, (at) => (at === now - 60_000 ? 0.079 : undefined)); // the oldest measured, then gone
      const incident = await open(deps);
      expect(incident.triage?.checks[0]).toMatchObject({ verdict: 'FAIL', failedValue: 0.079 });
      expect(incident.triage?.summary).toMatch(
        /^error rate 0\.079 outside ≤ 0\.02 for 3 of 3 measurements \(3 needed, latest no data\)/,
      );
    });

    it('rolls back with onNoData: rollback', async () => {
      const { deps } = noDataFails('rollback: { policy: auto, onNoData: rollback }');
      expect((await open(deps)).phase).toBe('confirm');
      expect(deps.fake.mutations).toBe(1);
    });

    it('still rolls back at once when the measured values breach', async () => {
      const { deps, metrics } = noDataFails('rollback: { policy: auto }');
      metrics.set(ERRORS, 0.079);
      expect((await open(deps)).phase).toBe('confirm');
      expect(deps.fake.mutations).toBe(1);
    });
  });

  it('asks a person about a value in the grey band, even with onNoData: rollback: it was measured', async () => {
    const metrics = new FakeMetrics().set(ERRORS, 0.05).set(APPROVALS, 0.9).set(LATENCY, 0.1);
    const banded = CHECKS.replace(`max: 0.02 }`, `max: 0.02, fail: { max: 0.1 } }`);
    const runbook = makeRunbook('fraud-scorer', `${banded}\nrollback: { policy: auto, onNoData: rollback }`);
    const deps = makeDeps({ runbooks: [runbook], metricsSource: metrics });
    const incident = await open(deps);
    expect(incident.triage?.checks[0]).toMatchObject({ verdict: 'INCONCLUSIVE', value: 0.05 });
    expect(incident.phase).toBe('triage');
    expect(deps.fake.mutations).toBe(0);
    expect(deps.notifier.ofType('decision.requested')[0]?.text).toBe(
      'no clear signal (error rate: 0.05): a person decides',
    );
  });

  it('shows the grey-band value it measured when the newest step has no data, not "no data"', async () => {
    // "no data" with onNoData: rollback would contradict the question: no data rolls back, a measured value asks.
    const metrics = new FakeMetrics().set(APPROVALS, 0.9).set(LATENCY, 0.1);
    const banded = CHECKS.replace(`max: 0.02 }`, `max: 0.02, fail: { max: 0.1 } }`);
    const runbook = makeRunbook('fraud-scorer', `${banded}\nrollback: { policy: auto, onNoData: rollback }`);
    const deps = makeDeps({ runbooks: [runbook], metricsSource: metrics });
    const now = deps.clock.now();
    metrics.set(ERRORS, (at) => (at < now ? 0.05 : undefined)); // the newest step not scraped yet
    const incident = await open(deps);
    const check = incident.triage!.checks[0]!;
    expect(check).toMatchObject({ verdict: 'INCONCLUSIVE', inconclusiveValue: 0.05 });
    expect(check.value).toBeUndefined();
    expect(deps.fake.mutations).toBe(0);
    expect(deps.notifier.ofType('decision.requested')[0]?.text).toBe(
      'no clear signal (error rate: 0.05, latest no data): a person decides',
    );
    expect(checkLine(check)).toMatch(/^❔ \*error rate\* 0\.05, latest no data \(≤ 0\.02\) INCONCLUSIVE /);
  });

  it('triages again when another alert joins while nobody has decided', async () => {
    const { deps, metrics } = setup('approve');
    metrics.set(ERRORS, 0.004);
    await open(deps);
    metrics.set(ERRORS, 0.3);
    const triagedAt = deps.clock.now();
    deps.clock.advance(10_000);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now(), { fingerprint: 'second' })]);
    // Due when the triage interval (30 s) of the last triage ends, not at once: the poller is not woken early.
    expect((await deps.store.pending()).find((deadline) => deadline.kind === 'triage-run')?.dueAt).toBe(
      triagedAt + 30_000,
    );
    await pollDeadlines(deps); // within the interval: not yet
    expect((await timeline(deps)).filter((line) => line.startsWith('triage.result'))).toHaveLength(1);
    deps.clock.advance(20_000);
    await pollDeadlines(deps);
    expect((await deps.store.getIncident('INC-1'))?.triage?.finding).toBe('breach');
    expect((await timeline(deps)).filter((line) => line.startsWith('triage.result'))).toHaveLength(2);
  });

  it('does not roll back automatically when a person rolled back while triage was running', async () => {
    const { deps } = setup('auto');
    await recordDeployments(deps, 'fraud-scorer', ['v40', 'v41', 'v42']);
    // Ana's rollback runs to the end between triage's measurement and its decision.
    const notify = deps.notifier.notify.bind(deps.notifier);
    deps.notifier.notify = async (event) => {
      await notify(event);
      if (event.type === 'triage.completed')
        await rollback(deps, { model: 'fraud-scorer', reason: 'p99', by: 'U0ANA', trigger: 'slack' });
    };
    const incident = await open(deps);
    expect(deps.fake.mutations).toBe(1);
    expect(deps.fake.current).toBe('v41');
    expect(incident).toMatchObject({ phase: 'confirm', rollback: { attempt: 1, by: 'U0ANA' } });
    expect((await timeline(deps)).at(-1)).toBe(
      'rollback.skipped: automatic rollback not started: INC-1 was decided already (U0ANA rolled back v42 → v41, succeeded): the automatic policy only makes the first decision',
    );
    expect(deps.notifier.ofType('decision.requested')).toEqual([]);
  });

  it('does not roll back automatically when a person decided "not a rollback" while triage was running', async () => {
    const { deps } = setup('auto');
    const notify = deps.notifier.notify.bind(deps.notifier);
    deps.notifier.notify = async (event) => {
      await notify(event);
      if (event.type === 'triage.completed')
        await dismiss(deps, 'INC-1', {
          actor: { id: 'U0APPROVE1', groups: [] },
          reason: 'upstream outage, not the model',
          trigger: 'slack',
        });
    };
    const incident = await open(deps);
    expect(deps.fake.mutations).toBe(0);
    expect(incident.phase).toBe('dismissed');
    expect(await deps.store.listIncidents({})).toHaveLength(1);
    expect((await timeline(deps)).at(-1)).toMatch(
      /^rollback\.skipped: automatic rollback not started: fraud-scorer has no open incident any more/,
    );
  });

  it('folds an alert storm into one triage per interval, and asks for a decision once per finding', async () => {
    const { deps, metrics } = setup('approve');
    metrics.set(ERRORS, 0.3);
    await open(deps);
    for (let i = 0; i < 20; i++) {
      await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now(), { fingerprint: `storm-${i}` })]);
      deps.clock.advance(5_000);
      await pollDeadlines(deps);
    }
    const lines = await timeline(deps);
    // 100 s of alerts: the opening triage and one every 30 s after it.
    expect(lines.filter((line) => line.startsWith('triage.result'))).toHaveLength(4);
    expect(lines.filter((line) => line.startsWith('decision.requested'))).toHaveLength(1);
    expect(deps.notifier.ofType('decision.requested')).toHaveLength(1);
  });
});

describe('confirmation', () => {
  async function rolledBack(errorAfter: number | (() => number | undefined)) {
    const { deps, metrics } = setup('auto');
    // v42 was deployed an hour ago, when the error rate was 0.005: that is the baseline.
    const deployedAt = deps.clock.now() - 3_600_000;
    await deps.store.recordDeployment({
      model: 'fraud-scorer',
      version: 'v41',
      strategy: 'canary',
      at: deployedAt - 86_400_000,
      by: 'ci',
    });
    await deps.store.recordDeployment({
      model: 'fraud-scorer',
      version: 'v42',
      strategy: 'canary',
      at: deployedAt,
      by: 'ci',
    });
    const rollbackAt = deps.clock.now();
    metrics.set(ERRORS, (at) =>
      at <= deployedAt
        ? 0.005
        : at < rollbackAt + 1
          ? 0.079
          : typeof errorAfter === 'number'
            ? errorAfter
            : errorAfter(),
    );
    await open(deps);
    return { deps, metrics };
  }

  async function pollUntilQuiet(deps: TestDeps, maxPolls = 40) {
    for (
      let i = 0;
      i < maxPolls && (await deps.store.pending()).some((d) => d.kind === 'confirm-poll');
      i++
    ) {
      deps.clock.advance(30_000);
      await pollDeadlines(deps);
    }
  }

  it('resolves after N passes in a row against the pre-deployment baseline, with an impact estimate', async () => {
    const { deps } = await rolledBack(0.0052);
    let incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.confirmation?.baselines).toEqual({
      'error rate': 0.005,
      'approval rate': 0.9,
      'p99 latency': 0.1,
    });
    await pollUntilQuiet(deps);
    incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.phase).toBe('resolved');
    expect(incident.confirmation).toMatchObject({ verdict: 'PASS', outcomes: ['pass', 'pass', 'pass'] });
    expect(incident.impact).toMatchObject({ check: 'error rate', baseline: 0.005 });
    expect(incident.impact?.excessFailedRequests).toBeGreaterThan(0);
    const lines = await timeline(deps);
    expect(lines.filter((line) => line.startsWith('confirm.poll'))).toHaveLength(3);
    expect(lines.at(-1)).toMatch(/^retro.opened: blameless retrospective opened; due /);
    expect(lines.at(-2)).toMatch(
      /^incident.resolved: resolved by rollbot after .*: confirmation passed 3 times in a row .*about \d+ excess failed requests$/,
    );
    // Only the retrospective's reminders are left.
    expect((await deps.store.pending()).every((deadline) => deadline.kind === 'retro-reminder')).toBe(true);
  });

  it('escalates "the rollback did not restore service" and keeps the incident open', async () => {
    const { deps } = await rolledBack(0.06);
    await pollUntilQuiet(deps);
    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.phase).toBe('confirm');
    expect(incident.confirmation).toMatchObject({ verdict: 'FAIL', outcomes: ['fail', 'fail', 'fail'] });
    const escalation = deps.notifier.ofType('escalation').find((event) => event.stage === 'confirm');
    expect(escalation?.text).toContain('the rollback did not restore service for fraud-scorer (INC-1)');
    expect(escalation?.mention).toEqual(['S0PLATFORM']);
  });

  it('fails on a check still out of range even while another check cannot be read', async () => {
    const { deps, metrics } = await rolledBack(0.06);
    metrics.set(APPROVALS, () => {
      throw new RollbotError('UNAVAILABLE', 'query timed out');
    });
    await pollUntilQuiet(deps);
    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.confirmation).toMatchObject({ verdict: 'FAIL', outcomes: ['fail', 'fail', 'fail'] });
    const escalation = deps.notifier.ofType('escalation').find((event) => event.stage === 'confirm');
    expect(escalation?.text).toContain('the rollback did not restore service for fraud-scorer (INC-1)');
    expect(escalation?.text).toContain('query timed out');
  });

  it('says why it cannot read its metrics when Prometheus stops answering', async () => {
    const { deps, metrics } = await rolledBack(0.004);
    metrics.down = true;
    await pollUntilQuiet(deps);
    expect((await deps.store.getIncident('INC-1'))?.confirmation?.verdict).toBe('ERROR');
    const escalation = deps.notifier.ofType('escalation').find((event) => event.stage === 'confirm');
    expect(escalation?.text).toMatch(
      /^confirmation cannot read its metrics for fraud-scorer \(INC-1\): error rate no data \(≤ 0\.0055\) ERROR \(connect ECONNREFUSED 127\.0\.0\.1:9090 \(check PROMETHEUS_URL\)\), approval rate /,
    );
    const polls = (await timeline(deps)).filter((line) => line.startsWith('confirm.poll'));
    expect(polls.at(-1)).toContain('ERROR (connect ECONNREFUSED 127.0.0.1:9090 (check PROMETHEUS_URL)), ');
  });

  it('gives up as INCONCLUSIVE at the confirm target when the data never says', async () => {
    const { deps } = await rolledBack(() => undefined);
    await pollUntilQuiet(deps);
    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.confirmation?.verdict).toBe('INCONCLUSIVE');
    expect(incident.phase).toBe('confirm');
    // The confirm target, missed as the confirmation gives up, pages once for both (escalation-told-once.test.ts).
    const escalations = deps.notifier.ofType('escalation').filter((event) => event.stage === 'confirm');
    expect(escalations).toHaveLength(1);
    expect(escalations[0]?.text).toContain('with no verdict by then it stops and pages nobody again');
    expect((await timeline(deps)).find((line) => line.startsWith('confirm.failed'))).toMatch(
      /^confirm\.failed: no confirmation verdict within the confirm target for fraud-scorer \(INC-1\): .* Not escalated again: /,
    );
  });

  it('gives a further rollback its own confirm target instead of giving up at its first poll', async () => {
    let afterRollback: number | undefined = undefined; // no data at first: the first confirmation is inconclusive
    const { deps } = await rolledBack(() => afterRollback);
    await pollUntilQuiet(deps);
    expect((await deps.store.getIncident('INC-1'))?.confirmation?.verdict).toBe('INCONCLUSIVE');

    // A minute later, past the confirm target, the engineer rolls back further; the metrics recover.
    deps.clock.advance(60_000);
    afterRollback = 0.0052;
    const further = await rollback(deps, {
      model: 'fraud-scorer',
      to: 'v40',
      reason: 'still degraded on v41',
      by: 'U0APPROVE1',
      trigger: 'slack',
    });
    expect(further.outcome).toBe('succeeded');
    await pollUntilQuiet(deps);
    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.confirmation).toMatchObject({ verdict: 'PASS', outcomes: ['pass', 'pass', 'pass'] });
    expect(incident.phase).toBe('resolved');
  });

  it('takes the baseline from before a canary first sent traffic to the bad version, not from its 100 % step', async () => {
    const { deps, metrics } = setup('auto');
    const now = deps.clock.now();
    const [canaryAt, halfAt, fullAt] = [now - 7_200_000, now - 5_400_000, now - 3_600_000];
    const deploy = (version: string, at: number, traffic?: number) =>
      deps.store.recordDeployment({
        model: 'fraud-scorer',
        version,
        strategy: 'canary',
        at,
        by: 'ci',
        ...(traffic === undefined ? {} : { traffic }),
      });
    await deploy('v41', now - 86_400_000);
    await deploy('v42', canaryAt, 10);
    await deploy('v42', halfAt, 50);
    await deploy('v42', fullAt);
    // v41 ran at 0.5 %, v42 at 8 %: the blend rises with v42's share. After the rollback 4 % is left.
    metrics.set(ERRORS, (at) =>
      at <= canaryAt ? 0.005 : at <= halfAt ? 0.0125 : at <= fullAt ? 0.0425 : at <= now ? 0.08 : 0.04,
    );
    await open(deps);
    await pollUntilQuiet(deps);
    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.confirmation?.baselines['error rate']).toBe(0.005);
    expect(incident.confirmation?.verdict).toBe('FAIL');
    expect(incident.phase).toBe('confirm');
  });

  it('leaves confirmation to a person when the runbook has no checks, instead of resolving on nothing measured', async () => {
    const runbook = makeRunbook('fraud-scorer', 'rollback: { policy: approve }');
    const deps = makeDeps({ runbooks: [runbook], metricsSource: new FakeMetrics() });
    await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
    await open(deps);
    await rollback(deps, { model: 'fraud-scorer', reason: 'bad scores', by: 'U0ANA', trigger: 'slack' });
    await pollUntilQuiet(deps);
    deps.clock.advance(3_600_000);
    await pollDeadlines(deps);
    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.phase).toBe('confirm');
    expect(incident.confirmation).toBeUndefined();
    const lines = await timeline(deps);
    expect(lines).toContain(
      'confirm.manual: the runbook of fraud-scorer has no checks to confirm with (triage.checks or confirm.checks): confirm by hand, then resolve (rollbot resolve INC-1 --reason …)',
    );
    expect(lines.filter((line) => line.startsWith('incident.resolved'))).toEqual([]);
  });

  it("does not confirm at a value the runbook's own threshold calls a breach, whatever the tolerance", async () => {
    const { deps, metrics } = setup('auto', 'confirm: { tolerance: 0.5 }');
    await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
    const deployedAt = (await deps.store.deployments('fraud-scorer'))[0]!.at;
    const rollbackAt = deps.clock.now();
    // 1.5 % before v42, 2.1 % after the rollback: within 50 % of the baseline, but above the 2 % maximum.
    metrics.set(ERRORS, (at) => (at <= deployedAt ? 0.015 : at <= rollbackAt ? 0.079 : 0.021));
    await open(deps);
    await pollUntilQuiet(deps);
    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.confirmation?.baselines['error rate']).toBe(0.015);
    expect(incident.confirmation?.verdict).toBe('FAIL');
    expect(incident.phase).toBe('confirm');
  });

  it.each([
    ['with a baseline, outside its tolerance: a failed poll', 0.005, 'fail', 'FAIL'],
    [
      "without a baseline, in the runbook's grey band: an inconclusive poll",
      undefined,
      'inconclusive',
      'INCONCLUSIVE',
    ],
  ] as const)('judges a value between the pass and fail ranges %s', async (_, baseline, outcome, verdict) => {
    const check = `triage:\n  checks:\n    - { name: error rate, kind: error, query: '${ERRORS}', max: 0.02, fail: { max: 0.1 } }`;
    const metrics = new FakeMetrics();
    const deps = makeDeps({
      runbooks: [makeRunbook('fraud-scorer', `${check}\nrollback: { policy: auto }`)],
      metricsSource: metrics,
    });
    await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
    const rollbackAt = deps.clock.now();
    // Before v42 (deployed at 2): the baseline, or no data. Then 20 %, beyond the fail range: triage rolls back.
    // After the rollback 5 %: above max 0.02, within fail.max 0.1.
    metrics.set(ERRORS, (at) => (at <= 2 ? baseline : at <= rollbackAt ? 0.2 : 0.05));
    expect((await open(deps)).phase).toBe('confirm');
    await pollUntilQuiet(deps);
    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.confirmation?.baselines).toEqual({ 'error rate': baseline ?? null });
    expect(new Set(incident.confirmation?.outcomes)).toEqual(new Set([outcome]));
    expect(incident.confirmation?.verdict).toBe(verdict);
    expect(incident.phase).toBe('confirm');
  });

  it('does not confirm on nothing measured when every check reads no data as a pass', async () => {
    // noData: pass suits an idle model's 0/0, but after the rollback the model may be serving nothing at all.
    const idleIsFine = CHECKS.replaceAll(' }\n', ', noData: pass }\n');
    const runbook = makeRunbook('fraud-scorer', `${idleIsFine}\nrollback: { policy: auto }`);
    const metrics = new FakeMetrics().set(REQUESTS, 100);
    const deps = makeDeps({ runbooks: [runbook], metricsSource: metrics });
    await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
    const rollbackAt = deps.clock.now();
    const beforeRollback = (value: number) => (at: number) => (at <= rollbackAt ? value : undefined);
    metrics
      .set(ERRORS, beforeRollback(0.079))
      .set(APPROVALS, beforeRollback(0.9))
      .set(LATENCY, beforeRollback(0.1));
    expect((await open(deps)).phase).toBe('confirm');
    await pollUntilQuiet(deps);
    const incident = (await deps.store.getIncident('INC-1'))!;
    expect(incident.phase).toBe('confirm');
    expect(incident.confirmation?.verdict).toBe('INCONCLUSIVE');
    expect(incident.confirmation?.outcomes).not.toContain('pass');
    const polls = (await timeline(deps)).filter((line) => line.startsWith('confirm.poll'));
    expect(polls[0]).toMatch(/: nothing measured \(every check answered no data\): not a pass$/);
  });

  it('continues on another replica after a restart: the polls are durable', async () => {
    const { deps, metrics } = await rolledBack(0.0051);
    deps.clock.advance(30_000);
    await pollDeadlines(deps);
    const replica = makeDeps({
      store: deps.store,
      clock: deps.clock,
      runbooks: deps.runbooks.all.slice(),
      metricsSource: metrics,
    });
    await pollUntilQuiet(replica);
    expect((await deps.store.getIncident('INC-1'))?.phase).toBe('resolved');
  });
});
