/**
 * What a bot says when it starts on settings that leave it without something its runbooks rely on: fine for a
 * local trial, and what an operator must hear at start rather than at 2am. Words only; the caller logs them. The
 * platform checks read the files the serving layers would (a service-account token, a kubeconfig, the AWS shared
 * files), never the network.
 */
import { readFileSync } from 'node:fs';
import type { Config } from './config.js';
import { sentence } from './core/text.js';
import { isUnset, unsetState, type Environment } from './env.js';
import { sixFieldsWarning } from './runbooks/drill-cadence.js';
import type { Runbook } from './runbooks/schema.js';
import type { MetricsSource } from './engine/metrics-port.js';
import type { RunbookSet } from './engine/runbook-set.js';
import { keyFormatProblem, pagingKey, pagingKeyEnv } from './paging/routes.js';
import type { ServingConfig } from './runbooks/serving.js';
import { servingCredentialProblems, servingVariables } from './serving/index.js';
import type { ReadFile } from './serving/k8s/types.js';

/** How the platform the serving layers run on is checked (missingCredentials). */
export interface PlatformCheck {
  /** False when the serving layers are not the real adapters (tests, the demo): nothing to check. Default true. */
  credentials?: boolean;
  /** Reads the service-account token, the kubeconfig, the AWS shared files; `fs.readFileSync` by default. */
  readFile?: ReadFile;
}

/**
 * The warnings of a composition: the store it falls back to, checks nothing can measure, and serving layers that
 * read a variable `env` does not set or lack the platform's credentials (their first rollback would fail, at 2am).
 */
export function compositionWarnings(
  config: Pick<Config, 'redisUrl'>,
  runbooks: RunbookSet,
  metricsSource: MetricsSource | undefined,
  env: Environment,
  platform: PlatformCheck = {},
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
  for (const runbook of runbooks.all) {
    const schedule = runbook.drill && sixFieldsWarning(runbook.drill.schedule);
    if (schedule) warnings.push(`${runbook.model}: ${schedule}.`);
  }
  // The paging keys stop start-up (pagingRoutes) and PROMETHEUS_URL is warned of above: the serving ones are left.
  for (const unset of unsetVariables(runbooks.all, env).filter(({ kind }) => kind === 'serving')) {
    warnings.push(
      `${unset.model}: ${unset.field} needs ${unset.name}, which is ${unsetState(env, unset.name)}: ${unset.effect}. Set ${unset.name} on every replica.`,
    );
  }
  if (platform.credentials !== false) {
    for (const lack of missingCredentials(runbooks.all, env, platform.readFile)) {
      if (lack.level === 'note') continue;
      warnings.push(
        `${lack.model}: ${lack.fields.join(', ')} (${lack.adapter}): ${lack.missing}. ` +
          `${sentence(whatFails(lack.fields))} through this serving layer fail on this replica: ${lack.fix}.`,
      );
    }
  }
  return warnings;
}

/**
 * What a starting bot says at info level: what the serving layers' platform checks did not find but a source
 * they cannot see without a network call may still give (an EC2 instance role, its region). Not a warning: on
 * EC2 nothing is missing, and a warning there would teach operators to ignore the real ones.
 */
export function compositionNotes(
  runbooks: RunbookSet,
  env: Environment,
  platform: PlatformCheck = {},
): string[] {
  if (platform.credentials === false) return [];
  return missingCredentials(runbooks.all, env, platform.readFile)
    .filter((lack) => lack.level === 'note')
    .map(
      (lack) => `${lack.model}: ${lack.fields.join(', ')} (${lack.adapter}): ${lack.missing}; ${lack.fix}.`,
    );
}

/** A runbook whose triage or confirmation checks only a metrics source (PROMETHEUS_URL) can measure. */
function needsPrometheus(runbook: Runbook): boolean {
  return checksField(runbook) !== undefined;
}

/** The field of the runbook's checks (confirm.checks defaults to triage's: a runbook may have only its own). */
function checksField(runbook: Runbook): 'triage.checks' | 'confirm.checks' | undefined {
  if (runbook.triage.checks.length > 0) return 'triage.checks';
  return runbook.confirm.checks.length > 0 ? 'confirm.checks' : undefined;
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
 * What `rollbot validate` warns of besides unset variables: a paging key set in a form its provider refuses, which
 * stops the bot's start (paging/routes.ts keyFormatProblem). Said without the key.
 */
export function malformedPagingKeys(
  runbooks: readonly Runbook[],
  env: Environment,
): { model: string; field: string; name: string; problem: string; hint: string }[] {
  return runbooks.flatMap((runbook) => {
    if (!runbook.paging) return [];
    const { name, field } = pagingKeyEnv(runbook.paging);
    const key = pagingKey(env, name);
    const malformed = key === undefined ? undefined : keyFormatProblem(runbook.paging.provider, key, name);
    return malformed ? [{ model: runbook.model, field, name, ...malformed }] : [];
  });
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
    const checks = checksField(runbook);
    if (checks !== undefined && isUnset(env, 'PROMETHEUS_URL')) {
      add(
        'metrics',
        checks,
        'PROMETHEUS_URL',
        'the bot starts, but nothing measures these checks (a person decides every incident)',
      );
    }
    for (const { at, serving } of servingLayers(runbook)) {
      for (const { name, field } of servingVariables(serving)) {
        if (isUnset(env, name)) {
          add(
            'serving',
            `${at}.${field}`,
            name,
            `${whatFails([at])} through this serving layer fail without it`,
          );
        }
      }
    }
    return unset;
  });
}

/** What a runbook's serving layer needs from the platform rollbot runs on and does not find there. */
export interface MissingCredential {
  model: string;
  /** The blocks that need it: `serving`, `drill.serving`, or both when they lack the same. */
  fields: string[];
  adapter: ServingConfig['adapter'];
  /** What is missing, as the adapter would refuse it (`no Kubernetes credentials: …`). */
  missing: string;
  fix: string;
  /** `note`: not found here, but a source the check cannot see may give it (CredentialProblem.level). */
  level: 'warning' | 'note';
}

/**
 * What `rollbot validate` and the start-up warnings say of the platform: for each runbook whose serving layer
 * (or drill.serving) is kserve, argo-rollouts, sagemaker, vertex or command, the credentials, region, kubeconfig or
 * program it would not find (servingCredentialProblems: files only, no network call).
 */
export function missingCredentials(
  runbooks: readonly Runbook[],
  env: Environment,
  readFile: ReadFile = readFileSync,
): MissingCredential[] {
  return runbooks.flatMap((runbook) => {
    const found: MissingCredential[] = [];
    for (const { at, serving } of servingLayers(runbook)) {
      for (const { missing, fix, level = 'warning' } of servingCredentialProblems(serving, env, readFile)) {
        const same = found.find((entry) => entry.adapter === serving.adapter && entry.missing === missing);
        if (same) same.fields.push(at);
        else
          found.push({ model: runbook.model, fields: [at], adapter: serving.adapter, missing, fix, level });
      }
    }
    return found;
  });
}

/** A runbook's serving layers, each with the field it is in. */
/**
 * What fails without what the serving layers at `fields` need: rollbacks through `serving`, drills through
 * `drill.serving` (a staging target: production is not at stake, the rehearsal is).
 */
export function whatFails(fields: readonly string[]): string {
  const drills = fields.some((field) => field.startsWith('drill.'));
  const rollbacks = fields.some((field) => !field.startsWith('drill.'));
  return rollbacks && drills ? 'rollbacks and drills' : drills ? 'drills' : 'rollbacks';
}

function servingLayers(runbook: Runbook): { at: string; serving: ServingConfig }[] {
  return [
    { at: 'serving', serving: runbook.serving },
    ...(runbook.drill?.serving ? [{ at: 'drill.serving', serving: runbook.drill.serving }] : []),
  ];
}

/**
 * The warning of a serving bot whose alert routes refuse everything, or take anyone's alerts: the switch meant for
 * a local trial, left on where the port is reachable, lets whoever reaches it open incidents and page the on-call.
 * With a token set the token is required whatever the switch says: nothing to warn of.
 */
export function alertRoutesWarning(config: Pick<Config, 'alerts'>, url: string): string | undefined {
  if (config.alerts.token) return undefined;
  if (config.alerts.allowUnauthenticated) {
    return (
      `alert routes take alerts without a token (ALLOW_UNAUTHENTICATED_ALERTS=true): whoever reaches ${url} ` +
      'can open incidents and page the on-call; for local use only: ' +
      'elsewhere set ALERT_WEBHOOK_TOKEN and unset ALLOW_UNAUTHENTICATED_ALERTS'
    );
  }
  return 'alert routes are closed: set ALERT_WEBHOOK_TOKEN (or ALLOW_UNAUTHENTICATED_ALERTS=true locally)';
}

/**
 * The warning of a bot without API_TOKEN: its API refuses every write, the CLI's through ROLLBOT_URL included,
 * and answers reads (incidents' labels, summaries, timelines) to whoever reaches the port. Both are right for a
 * local trial and wrong anywhere else, and neither shows until someone needs the API.
 */
export function apiWarning(config: Pick<Config, 'apiToken'>, url: string): string | undefined {
  if (config.apiToken) return undefined;
  return (
    `API_TOKEN is not set: the API at ${url}/api takes no writes (rollbacks, resolutions, deployments, the CLI's ` +
    'changes through ROLLBOT_URL are refused) and answers reads of incidents and rollback dry runs to whoever ' +
    'reaches it; set API_TOKEN, and the same API_TOKEN where the CLI runs'
  );
}
