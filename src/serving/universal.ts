/**
 * What the two universal adapters (http, command) share: they know nothing about the serving layer except
 * what the runbook tells them, so choosing the target, the ETA and the "no status configured" state are the
 * same for both.
 */
import { ServingError } from '../core/errors.js';
import type { ExecuteContext, RollbackPlan, RollbackRegime, ServingState } from '../engine/serving-port.js';
import type { TemplateValues } from './template.js';

/** What a universal adapter is built with besides its runbook block. */
export interface UniversalAdapterContext {
  model: string;
  /** Where `{{env.NAME}}` values (and, for commands, the child's environment) come from: the bot's environment. */
  env: Readonly<Record<string, string | undefined>>;
}

const DEFAULT_ETA_MS: Record<RollbackRegime, number> = {
  'traffic-flip': 30_000,
  redeploy: 600_000,
};

/** The runbook's `eta`, else a default per regime: a flip takes seconds, a redeploy minutes. */
export function etaFor(regime: RollbackRegime, eta: number | undefined): number {
  return eta ?? DEFAULT_ETA_MS[regime];
}

/**
 * The version to roll back to: a person's choice, else the ledger's known-good, else what the layer itself
 * remembers. A universal adapter cannot guess further, so it refuses and says how to name one: the two ways
 * every adapter has, and `layerWay`, the adapter's own way to read the previous version from the layer when it
 * has one not yet configured (the http adapter's previousPath; a command's status reports no previous version).
 */
export function chooseTarget(
  request: { to?: string; knownGood?: string; state: ServingState },
  where: string,
  layerWay?: string,
): string {
  const to = [request.to, request.knownGood, request.state.previous].find((v) => v !== undefined && v !== '');
  if (to !== undefined) return to;
  const ways = [
    'name the version (rollback <model> to <version>)',
    'record deployments with POST /api/deployments',
  ];
  if (layerWay !== undefined) ways.push(layerWay);
  throw new ServingError(`${where}: no version to roll back to`, {
    transient: false,
    hint: `${ways.slice(0, -1).join(', ')}, or ${ways.at(-1) ?? ''}`,
  });
}

/** The state of a layer rollbot cannot read: nothing known, nothing known to be in flight. */
export function unknownState(summary: string): ServingState {
  return { traffic: [], rolloutInProgress: false, settled: true, summary };
}

/** A layer whose status reports one version: all traffic is on it, as far as rollbot can tell. */
export function singleVersionState(current: string, summary: string, previous?: string): ServingState {
  return {
    current,
    traffic: [{ version: current, percent: 100 }],
    ...(previous === undefined ? {} : { previous }),
    rolloutInProgress: false,
    settled: true,
    summary,
  };
}

/** The placeholders a rollback request or command is filled with when it runs (both universal adapters). */
export function executionVars(
  model: string,
  plan: RollbackPlan,
  run: ExecuteContext,
): TemplateValues['vars'] {
  return {
    model,
    to: plan.to,
    ...(plan.from === undefined ? {} : { from: plan.from }),
    incident: run.incidentId,
    reason: run.reason,
    idempotencyKey: run.idempotencyKey,
    fence: String(run.fence),
  };
}

/** The plan of a universal adapter: the chosen target, the runbook's regime and ETA, the described steps. */
export function universalPlan(
  config: { regime: RollbackRegime; eta?: number | undefined },
  from: string | undefined,
  to: string,
  actions: string[],
): RollbackPlan {
  return {
    ...(from === undefined ? {} : { from }),
    to,
    regime: config.regime,
    etaMs: etaFor(config.regime, config.eta),
    actions,
    data: {},
  };
}

/**
 * The one rule both universal adapters keep for a rollback action whose failure leaves its effect unknown
 * (`ServingError.effectUnknown`: a command killed at its timeout; a request that timed out or was reset once
 * sent, or got a 5xx that can follow the work). A retry is safe only when the adapter reads the layer first and
 * does nothing if the first try landed (`readsState`: a status request, statusArgv). Otherwise a second try
 * could repeat a change that is not idempotent (a second `helm rollback` undoes the first), so the error becomes
 * final and says what to do; `fixes` are the adapter's own ways out, after "check the layer".
 */
export function unlessRepeatable(
  error: ServingError,
  rule: { readsState: boolean; verb: 'run' | 'send'; fixes: readonly string[] },
): ServingError {
  if (rule.readsState || !error.effectUnknown || !error.transient) return error;
  return new ServingError(
    `${error.message}; its effect is unknown (it may have changed the serving layer), so rollbot does not ${rule.verb} it again`,
    {
      transient: false,
      effectUnknown: true,
      hint: ['check what the serving layer serves before rolling back again', ...rule.fixes].join('; '),
      ...(error.status === undefined ? {} : { status: error.status }),
      details: error.details,
      cause: error,
    },
  );
}
