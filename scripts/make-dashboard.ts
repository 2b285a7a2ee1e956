/**
 * Writes deploy/grafana/rollbot.json, the Grafana dashboard of rollbot's metrics. Generated, so that every
 * panel is built the same way; `tsx scripts/make-dashboard.ts` after changing a panel.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface Panel {
  title: string;
  expr: string;
  legend: string;
  type?: 'timeseries' | 'stat' | 'table';
  unit?: string;
}

const panels: Panel[] = [
  {
    title: 'Incidents by severity (production)',
    expr: 'sum by (severity) (increase(rollbot_incidents_total{drill="false"}[$__range]))',
    legend: '{{severity}}',
    type: 'stat',
  },
  {
    title: 'Stage duration p90 against target',
    expr: 'histogram_quantile(0.9, sum by (le, stage) (rate(rollbot_stage_duration_seconds_bucket{drill="false"}[1h])))',
    legend: '{{stage}}',
    unit: 's',
  },
  {
    title: 'Target breaches by stage',
    expr: 'sum by (stage) (increase(rollbot_target_breaches_total[$__interval]))',
    legend: '{{stage}}',
  },
  {
    title: 'Rollbacks by outcome',
    expr: 'sum by (outcome, trigger) (increase(rollbot_rollbacks_total{trigger!="drill"}[$__interval]))',
    legend: '{{outcome}} ({{trigger}})',
  },
  {
    title: 'Mean time to rollback',
    expr: 'sum(rate(rollbot_rollback_duration_seconds_sum[1d])) / sum(rate(rollbot_rollback_duration_seconds_count[1d]))',
    legend: 'mean',
    unit: 's',
    type: 'stat',
  },
  {
    title: 'Days since last successful drill',
    // The store-backed gauges say the same on every replica: one line per model, not one per replica.
    expr: '(time() - max by (model) (rollbot_drill_last_success_timestamp_seconds)) / 86400',
    legend: '{{model}}',
    type: 'table',
  },
  {
    title: 'Drills by outcome',
    expr: 'sum by (model, outcome) (increase(rollbot_drills_total[$__range]))',
    legend: '{{model}} {{outcome}}',
    type: 'table',
  },
  {
    title: 'Open and overdue retrospectives',
    expr: 'max by (model) (rollbot_retros_open)',
    legend: 'open {{model}}',
  },
  {
    title: 'Overdue retrospectives',
    expr: 'max by (model) (rollbot_retros_overdue)',
    legend: 'overdue {{model}}',
  },
  {
    title: 'Deployments',
    expr: 'sum by (model) (increase(rollbot_deployments_total[$__interval]))',
    legend: '{{model}}',
  },
  {
    title: 'Change failure rate',
    expr: 'sum(increase(rollbot_rollbacks_total{outcome="succeeded",trigger!="drill"}[30d])) / sum(increase(rollbot_deployments_total[30d]))',
    legend: 'rollbacks per deployment',
    unit: 'percentunit',
    type: 'stat',
  },
  {
    title: 'Alerts received',
    expr: 'sum by (source, status) (rate(rollbot_alerts_received_total[5m]))',
    legend: '{{source}} {{status}}',
  },
  {
    title: 'Slack delivery failures',
    expr: 'sum by (kind, reason) (increase(rollbot_slack_delivery_failures_total[$__interval]))',
    legend: '{{kind}} {{reason}}',
  },
  {
    title: 'Deadline failures by kind',
    expr: 'sum by (kind) (increase(rollbot_deadline_failures_total[$__interval]))',
    legend: '{{kind}}',
  },
  {
    title: 'Deadlines overdue (no replica polling)',
    // Read from the store: every replica says the same.
    expr: 'max(rollbot_deadlines_overdue)',
    legend: 'overdue',
  },
];

const dashboard = {
  title: 'rollbot',
  uid: 'rollbot',
  schemaVersion: 39,
  time: { from: 'now-7d', to: 'now' },
  templating: { list: [{ name: 'datasource', type: 'datasource', query: 'prometheus' }] },
  panels: panels.map((panel, i) => ({
    id: i + 1,
    title: panel.title,
    type: panel.type ?? 'timeseries',
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
    fieldConfig: { defaults: panel.unit ? { unit: panel.unit } : {}, overrides: [] },
    targets: [{ refId: 'A', expr: panel.expr, legendFormat: panel.legend }],
  })),
};

/** The dashboard as the committed deploy/grafana/rollbot.json holds it (a test compares the two). */
export function dashboardJson(): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  writeFileSync(new URL('../deploy/grafana/rollbot.json', import.meta.url), dashboardJson());
}
