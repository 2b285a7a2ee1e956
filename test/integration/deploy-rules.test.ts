import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { dashboardJson } from '../../scripts/make-dashboard.js';

const RULES = new URL('../../deploy/prometheus/rollbot-rules.yml', import.meta.url);
const DASHBOARD = new URL('../../deploy/grafana/rollbot.json', import.meta.url);

/** Every series name the bot exports, with a histogram's _bucket/_sum/_count. */
async function exported(): Promise<Set<string>> {
  const metrics = createMetrics(new Registry(), { defaultMetrics: true });
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

const used = (text: string) => new Set(text.match(/\brollbot_[a-z_]+/g) ?? []);

describe('shipped alert rules and dashboard', () => {
  it('are rules promtool accepts', () => {
    const result = spawnSync('promtool', ['check', 'rules', RULES.pathname], { encoding: 'utf8' });
    expect(result.error, 'promtool is in the Debian prometheus package').toBeUndefined();
    expect(result.stdout + result.stderr).toContain('SUCCESS: 8 rules found');
    expect(result.status).toBe(0);
  });

  it('use only metrics the bot exports', async () => {
    const names = await exported();
    const rules = used(readFileSync(RULES, 'utf8'));
    const dashboard = used(readFileSync(DASHBOARD, 'utf8'));
    expect(rules.size).toBeGreaterThan(4);
    expect(dashboard.size).toBeGreaterThan(8);
    expect([...rules, ...dashboard].filter((name) => !names.has(name))).toEqual([]);
  });

  it('is the dashboard scripts/make-dashboard.ts writes, so that regenerating it (README) changes nothing', () => {
    expect(readFileSync(DASHBOARD, 'utf8')).toBe(dashboardJson());
  });

  it('cover what the issue asks for: drills, retrospectives, failed rollbacks, bot down, Slack delivery, deadlines', () => {
    const rules = readFileSync(RULES, 'utf8');
    for (const alert of [
      'RollbotDown',
      'RollbotRollbackFailed',
      'RollbotDrillOverdue',
      'RollbotRetrospectiveOverdue',
      'RollbotSlackDeliveryFailing',
      'RollbotDeadlineFailing',
      'RollbotDeadlinesOverdue',
    ]) {
      expect(rules).toContain(`alert: ${alert}`);
    }
  });
});

/** The dashboard's query in the panel titled `title`. */
function panelExpr(title: string): string {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: { title?: string; targets?: { expr?: string }[] }[];
  };
  const expr = dashboard.panels.find((panel) => panel.title === title)?.targets?.[0]?.expr;
  if (expr === undefined) throw new Error(`no panel "${title}" with a query`);
  return expr;
}

/** Runs `promtool test rules` on one test file (YAML written as JSON); its output, and whether it passed. */
function promtoolTest(test: object, evaluationInterval = '1m'): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rollbot-rules-'));
  const file = join(dir, 'test.yml');
  writeFileSync(
    file,
    JSON.stringify({ rule_files: [RULES.pathname], evaluation_interval: evaluationInterval, tests: [test] }),
  );
  const result = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
  return { ok: result.status === 0, output: result.stdout + result.stderr };
}

/**
 * The gauges read from the store (drills, retrospectives) say the same on every replica: the shipped Deployment
 * runs two, so a panel or an alert must count each model once, not once per replica.
 */
describe('store-backed gauges scraped from two replicas', () => {
  const series = (name: string, values: string) =>
    ['10.0.0.1:3000', '10.0.0.2:3000'].map((instance) => ({
      series: `${name}{job="rollbot",instance="${instance}",model="fraud-scorer"}`,
      values,
    }));

  it('show one retrospective as one on the dashboard, and alert once', () => {
    const result = promtoolTest({
      interval: '1m',
      input_series: [...series('rollbot_retros_open', '1x120'), ...series('rollbot_retros_overdue', '1x120')],
      promql_expr_test: [
        {
          expr: panelExpr('Open and overdue retrospectives'),
          eval_time: '10m',
          exp_samples: [{ labels: '{model="fraud-scorer"}', value: 1 }],
        },
        {
          expr: panelExpr('Overdue retrospectives'),
          eval_time: '10m',
          exp_samples: [{ labels: '{model="fraud-scorer"}', value: 1 }],
        },
      ],
      alert_rule_test: [
        {
          eval_time: '90m',
          alertname: 'RollbotRetrospectiveOverdue',
          exp_alerts: [
            {
              exp_labels: { severity: 'warning', model: 'fraud-scorer' },
              exp_annotations: { summary: '1 retrospective(s) of fraud-scorer overdue' },
            },
          ],
        },
      ],
    });
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it('show one line per model for the days since its last drill, and alert once when it is overdue', () => {
    // The last successful drill at time 0; evaluated 101 days later.
    const result = promtoolTest(
      {
        interval: '1h',
        input_series: series('rollbot_drill_last_success_timestamp_seconds', '0x2500'),
        promql_expr_test: [
          {
            expr: panelExpr('Days since last successful drill'),
            eval_time: '101d',
            exp_samples: [{ labels: '{model="fraud-scorer"}', value: 101 }],
          },
        ],
        alert_rule_test: [
          {
            eval_time: '101d',
            alertname: 'RollbotDrillOverdue',
            exp_alerts: [
              {
                exp_labels: { severity: 'warning', model: 'fraud-scorer' },
                exp_annotations: {
                  summary:
                    'No successful rollback drill of fraud-scorer in 100 days: the rollback path is unrehearsed',
                },
              },
            ],
          },
        ],
      },
      '1h',
    );
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });
});

describe('a drill in the alert rules', () => {
  const failed = (trigger: string) => ({
    series: `rollbot_rollbacks_total{job="rollbot",instance="10.0.0.1:3000",model="fraud-scorer",outcome="failed",trigger="${trigger}"}`,
    values: '0 0 1 1 1 1',
  });

  it('pages nobody when its rollback fails on the drill target: production traffic never moved', () => {
    const result = promtoolTest({
      interval: '1m',
      input_series: [failed('drill')],
      alert_rule_test: [{ eval_time: '3m', alertname: 'RollbotRollbackFailed', exp_alerts: [] }],
    });
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it('still alerts on a production rollback that failed, whoever asked for it', () => {
    const result = promtoolTest({
      interval: '1m',
      input_series: [failed('slack')],
      alert_rule_test: [
        {
          eval_time: '3m',
          alertname: 'RollbotRollbackFailed',
          exp_alerts: [
            {
              exp_labels: {
                severity: 'critical',
                model: 'fraud-scorer',
                outcome: 'failed',
                trigger: 'slack',
                job: 'rollbot',
                instance: '10.0.0.1:3000',
              },
              exp_annotations: {
                summary:
                  'A rollback of fraud-scorer failed or ended unknown: traffic may still be on the bad version',
              },
            },
          ],
        },
      ],
    });
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });
});

/**
 * A deadline whose handler keeps failing is tried again 1, 2, 4 and 8 minutes after each failure, then every 15
 * (engine/deadline-failure.ts): the alert fires on a kind that keeps failing, not on one failure that a retry got
 * past.
 */
describe('a deadline that keeps failing in the alert rules', () => {
  const FAILED_AT_MINUTE = [0, 1, 3, 7, 15, 30, 45, 60, 75, 90];
  /** The failure counter of one replica, sampled each minute for `minutes`, as failures at these minutes left it. */
  const counter = (failedAt: readonly number[], minutes: number) => ({
    series: `rollbot_deadline_failures_total{job="rollbot",instance="10.0.0.1:3000",kind="retro-reminder"}`,
    values: Array.from(
      { length: minutes + 1 },
      (_, minute) => failedAt.filter((at) => at <= minute).length,
    ).join(' '),
  });
  const firing = {
    exp_labels: { severity: 'warning', kind: 'retro-reminder' },
    exp_annotations: {
      summary:
        'rollbot keeps failing to handle retro-reminder deadlines: the work they guard is not getting done; its log says why ("deadline handler failed")',
    },
  };

  it('fires once one has been failing for 25 minutes, and keeps firing while it fails every 15', () => {
    const result = promtoolTest({
      interval: '1m',
      input_series: [counter(FAILED_AT_MINUTE, 95)],
      alert_rule_test: [
        { eval_time: '20m', alertname: 'RollbotDeadlineFailing', exp_alerts: [] },
        { eval_time: '30m', alertname: 'RollbotDeadlineFailing', exp_alerts: [firing] },
        { eval_time: '95m', alertname: 'RollbotDeadlineFailing', exp_alerts: [firing] },
      ],
    });
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it('has a panel on the dashboard: failures of each kind, from every replica', () => {
    expect(panelExpr('Deadline failures by kind')).toBe(
      'sum by (kind) (increase(rollbot_deadline_failures_total[$__interval]))',
    );
  });

  it('does not fire for a failure that the next try got past', () => {
    const result = promtoolTest({
      interval: '1m',
      input_series: [counter([0, 5], 60)],
      alert_rule_test: [
        // The one failure is in the window from minute 5 to minute 25: not long enough.
        { eval_time: '15m', alertname: 'RollbotDeadlineFailing', exp_alerts: [] },
        { eval_time: '24m', alertname: 'RollbotDeadlineFailing', exp_alerts: [] },
        { eval_time: '27m', alertname: 'RollbotDeadlineFailing', exp_alerts: [] },
        { eval_time: '60m', alertname: 'RollbotDeadlineFailing', exp_alerts: [] },
      ],
    });
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });
});

/**
 * Deadlines due a minute ago that no replica picked up (engine/deadlines-overdue.ts) mean polling has stopped on
 * every replica. Read from the store, the gauge says the same on each: one alert, not one per replica.
 */
describe('overdue deadlines in the alert rules', () => {
  const OVERDUE =
    '3 rollbot deadline(s) overdue and picked up by no replica: escalations, reminders and rollback settlements are not happening; restart the replicas and look for "deadline poll failed" in their logs';
  // Polling stops at minute 10 on both replicas: 3 deadlines stay overdue from then on.
  const overdue = ['10.0.0.1:3000', '10.0.0.2:3000'].map((instance) => ({
    series: `rollbot_deadlines_overdue{job="rollbot",instance="${instance}"}`,
    values: '0x9 3x50',
  }));

  it('fires once, after five minutes of deadlines nobody picks up', () => {
    const result = promtoolTest({
      interval: '1m',
      input_series: overdue,
      promql_expr_test: [
        {
          expr: panelExpr('Deadlines overdue (no replica polling)'),
          eval_time: '12m',
          exp_samples: [{ labels: '{}', value: 3 }],
        },
      ],
      alert_rule_test: [
        { eval_time: '9m', alertname: 'RollbotDeadlinesOverdue', exp_alerts: [] },
        { eval_time: '13m', alertname: 'RollbotDeadlinesOverdue', exp_alerts: [] },
        {
          eval_time: '16m',
          alertname: 'RollbotDeadlinesOverdue',
          exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: { summary: OVERDUE } }],
        },
      ],
    });
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });
});
