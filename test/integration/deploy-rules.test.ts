import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';

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
    expect(result.stdout + result.stderr).toContain('SUCCESS: 6 rules found');
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

  it('cover what the issue asks for: drills, retrospectives, failed rollbacks, bot down, Slack delivery', () => {
    const rules = readFileSync(RULES, 'utf8');
    for (const alert of [
      'RollbotDown',
      'RollbotRollbackFailed',
      'RollbotDrillOverdue',
      'RollbotRetrospectiveOverdue',
      'RollbotSlackDeliveryFailing',
    ]) {
      expect(rules).toContain(`alert: ${alert}`);
    }
  });
});
