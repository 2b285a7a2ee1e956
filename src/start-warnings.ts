/**
 * What a bot says when it starts on settings that leave it without something its runbooks rely on: fine for a
 * local trial, and what an operator must hear at start rather than at 2am. Words only; the caller logs them.
 */
import type { Config } from './config.js';
import type { MetricsSource } from './engine/metrics-port.js';
import type { RunbookSet } from './engine/runbook-set.js';

/** The warnings of a composition: the store it falls back to, and checks nothing can measure. */
export function compositionWarnings(
  config: Pick<Config, 'redisUrl'>,
  runbooks: RunbookSet,
  metricsSource: MetricsSource | undefined,
): string[] {
  const warnings: string[] = [];
  if (!config.redisUrl) {
    warnings.push(
      'REDIS_URL is not set: using the IN-MEMORY store. Incidents, deadlines and locks are lost on restart and ' +
        'not shared between replicas. Set REDIS_URL for anything but a local trial.',
    );
  }
  if (!metricsSource && runbooks.all.some((runbook) => runbook.triage.checks.length > 0)) {
    warnings.push(
      "PROMETHEUS_URL is not set: the runbooks' triage and confirmation checks cannot be measured, so a person " +
        'decides every incident and resolves it by hand (no automatic rollback, no confirmation). Set ' +
        'PROMETHEUS_URL (and PROMETHEUS_AUTHORIZATION if it needs one), the same on every replica.',
    );
  }
  return warnings;
}

/** The warning of a serving bot whose alert routes refuse everything. */
export function alertRoutesWarning(config: Pick<Config, 'alerts'>): string | undefined {
  if (config.alerts.token || config.alerts.allowUnauthenticated) return undefined;
  return 'alert routes are closed: set ALERT_WEBHOOK_TOKEN (or ALLOW_UNAUTHENTICATED_ALERTS=true locally)';
}
