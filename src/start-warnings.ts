/**
 * What a bot says when it starts on settings that leave it without something its runbooks rely on: fine for a
 * local trial, and what an operator must hear at start rather than at 2am. Words only; the caller logs them.
 */
import type { Config } from './config.js';
import { isUnset, type Environment } from './env.js';
import type { Runbook } from './runbooks/schema.js';
import type { MetricsSource } from './engine/metrics-port.js';
import type { RunbookSet } from './engine/runbook-set.js';
import { pagingKey, pagingKeyEnv } from './paging/routes.js';
import { servingVariables } from './serving/index.js';

/**
 * The warnings of a composition: the store it falls back to, checks nothing can measure, and serving layers that
 * read a variable `env` does not set (their first rollback would fail, at 2am).
 */
export function compositionWarnings(
  config: Pick<Config, 'redisUrl'>,
  runbooks: RunbookSet,
  metricsSource: MetricsSource | undefined,
  env: Environment,
): string[] {
  const warnings: string[] = [];
  if (!config.redisUrl) {
    warnings.push(
      'REDIS_URL is not set: using the IN-MEMORY store. Incidents, deadlines and locks are lost on restart and ' +
        'not shared between replicas. Set REDIS_URL for anything but a local trial.',
    );
  }
  if (!metricsSource && runbooks.all.some(needsPrometheus)) {
    warnings.push(
      "PROMETHEUS_URL is not set: the runbooks' triage and confirmation checks cannot be measured, so a person " +
        'decides every incident and resolves it by hand (no automatic rollback, no confirmation). Set ' +
        'PROMETHEUS_URL (and PROMETHEUS_AUTHORIZATION if it needs one), the same on every replica.',
    );
  }
  // The paging keys stop start-up (pagingRoutes) and PROMETHEUS_URL is warned of above: the serving ones are left.
  for (const unset of unsetVariables(runbooks.all, env).filter(({ kind }) => kind === 'serving')) {
    warnings.push(
      `${unset.model}: ${unset.field} needs ${unset.name}, which is not set: ${unset.effect}. Set ${unset.name} on every replica.`,
    );
  }
  return warnings;
}

/** A runbook whose triage checks only a metrics source (PROMETHEUS_URL) can measure. */
function needsPrometheus(runbook: Runbook): boolean {
  return runbook.triage.checks.length > 0;
}

/** A variable a runbook needs that the environment does not set: the field that needs it, and what follows. */
export interface UnsetVariable {
  /**
   * What reads it: the paging key (start-up refuses it unset), PROMETHEUS_URL for the checks, or a variable of a
   * serving layer (`serving` or `drill.serving`). Set where the entry is made, so that no caller has to tell
   * them apart by the shape of `field`.
   */
  kind: 'paging' | 'metrics' | 'serving';
  model: string;
  /** The runbook field that needs it (`paging.routingKeyEnv`, `drill.serving.env`, `triage.checks`). */
  field: string;
  name: string;
  effect: string;
}

/**
 * What `rollbot validate` warns of: each variable the runbooks need that `env` leaves unset, by the same checks
 * as the bot's (start-up refuses a paging key, warns of PROMETHEUS_URL; a serving layer fails when it acts).
 */
export function unsetVariables(runbooks: readonly Runbook[], env: Environment): UnsetVariable[] {
  return runbooks.flatMap((runbook) => {
    const unset: UnsetVariable[] = [];
    const add = (kind: UnsetVariable['kind'], field: string, name: string, effect: string) =>
      unset.push({ kind, model: runbook.model, field, name, effect });
    if (runbook.paging) {
      const { name, field } = pagingKeyEnv(runbook.paging);
      if (!pagingKey(env, name)) add('paging', field, name, 'the bot refuses to start without it');
    }
    if (needsPrometheus(runbook) && isUnset(env, 'PROMETHEUS_URL')) {
      add(
        'metrics',
        'triage.checks',
        'PROMETHEUS_URL',
        'the bot starts, but nothing measures these checks (a person decides every incident)',
      );
    }
    const layers = [
      { at: 'serving', serving: runbook.serving },
      ...(runbook.drill?.serving ? [{ at: 'drill.serving', serving: runbook.drill.serving }] : []),
    ];
    for (const { at, serving } of layers) {
      for (const { name, field } of servingVariables(serving)) {
        if (isUnset(env, name)) {
          add('serving', `${at}.${field}`, name, 'rollbacks through this serving layer fail without it');
        }
      }
    }
    return unset;
  });
}

/** The warning of a serving bot whose alert routes refuse everything. */
export function alertRoutesWarning(config: Pick<Config, 'alerts'>): string | undefined {
  if (config.alerts.token || config.alerts.allowUnauthenticated) return undefined;
  return 'alert routes are closed: set ALERT_WEBHOOK_TOKEN (or ALLOW_UNAUTHENTICATED_ALERTS=true locally)';
}
