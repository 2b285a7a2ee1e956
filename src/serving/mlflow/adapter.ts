import type { z } from 'zod';
import { ServingError } from '../../core/errors.js';
import type { Environment } from '../../env.js';
import type { RollbackPlan, ServingAdapter, ServingState } from '../../engine/serving-port.js';
import { mlflowAuth } from './auth.js';
import { createMlflowRegistry, type MlflowRegistry, type ModelVersion } from './client.js';
import type { mlflowConfig } from './config.js';

/** The runbook's `serving: {adapter: mlflow}` block, parsed. */
export type MlflowConfig = z.output<typeof mlflowConfig>;

export interface MlflowAdapterContext {
  model: string;
  /** Where the variables the block names are looked up (the process environment, passed in so tests control it). */
  env: Environment;
  /** Per HTTP call; default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** The alias write is immediate; traffic moves when the serving layer re-resolves it (reload, redeploy). */
const RELOAD_ETA_MS = 2 * 60_000;
/** The tag put on the version rolled back from, so that people browsing the registry see it. */
export const ROLLED_BACK_TAG = 'rollbot.rolled_back';

/**
 * The adapter for an MLflow registered model's serving alias (`models:/<name>@<alias>`). Versions are MLflow
 * version numbers as strings (`"42"`). MLflow records which version is served, it does not route traffic: the
 * alias carries 100 % and a rollback (moving the alias back) takes effect when the serving layer reloads.
 * The previous version is, in order: the requested one, the ledger's known-good, the `<alias>_prev` alias,
 * else the highest READY version below the current one.
 *
 * Throws RollbotError INVALID_CONFIG when `config.tokenEnv`, `usernameEnv` or `passwordEnv` names a variable that
 * is unset (missing or blank), or the user holds a colon (mlflowAuth).
 */
export function createMlflowAdapter(config: MlflowConfig, context: MlflowAdapterContext): ServingAdapter {
  const ref = `${config.registeredModel}@${config.alias}`;
  const prevAlias = `${config.alias}_prev`;
  const registry = createMlflowRegistry({
    trackingUri: config.trackingUri,
    registeredModel: config.registeredModel,
    alias: config.alias,
    auth: mlflowAuth(config, context.env),
    timeoutMs: context.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });

  return {
    kind: 'mlflow',
    target: `mlflow ${ref}`,
    async state(): Promise<ServingState> {
      const [current, aliases] = await Promise.all([registry.resolveAlias(), registry.aliases()]);
      const previous = aliases.find((entry) => entry.alias === prevAlias)?.version;
      const state: ServingState = {
        current: current.version,
        traffic: [{ version: current.version, percent: 100 }],
        rolloutInProgress: false,
        settled: true,
        summary:
          `mlflow ${ref} → version ${current.version}` +
          (previous === undefined ? '' : ` (${prevAlias} → ${previous})`) +
          '; MLflow records which version is served, it routes no traffic: serving follows the alias when it reloads',
      };
      if (previous !== undefined && previous !== current.version) state.previous = previous;
      return state;
    },
    async plan(request): Promise<RollbackPlan> {
      const { to, rule } = await chooseTarget(registry, request, prevAlias);
      await checkReady(registry, to, config.registeredModel);
      const from = request.state.current;
      const plan: RollbackPlan = {
        to,
        regime: 'redeploy',
        etaMs: RELOAD_ETA_MS,
        actions: [
          `chose version ${to}: ${rule}`,
          `POST registered-models/alias ${ref} → version ${to}`,
          ...(from === undefined ? [] : [`tag version ${from} ${ROLLED_BACK_TAG} (best effort)`]),
          `the alias move takes effect only when the serving layer reloads models:/${ref}`,
        ],
        data: { rule },
      };
      if (from !== undefined) plan.from = from;
      return plan;
    },
    async execute(plan, context) {
      const before = (await registry.resolveAlias()).version;
      if (before === plan.to) {
        return { mutated: false, output: `${ref} already points at version ${plan.to}` };
      }
      await registry.setAlias(plan.to);
      // Read back: the write answers {} either way, and another writer may have raced us.
      const after = (await registry.resolveAlias()).version;
      if (after !== plan.to) {
        throw new ServingError(`mlflow ${ref} points at version ${after} after moving it to ${plan.to}`, {
          transient: false,
          hint: `someone else moved ${ref} at the same moment: check the registry, then roll back again if needed`,
        });
      }
      const tagged = await tagRolledBack(
        registry,
        before,
        `${context.incidentId} ${new Date().toISOString()}`,
      );
      return {
        mutated: true,
        output: `moved ${ref} from version ${before} to ${plan.to}; serving picks it up when it reloads; ${tagged}`,
      };
    },
    async onTarget(plan) {
      return (await registry.resolveAlias()).version === plan.to;
    },
  };
}

async function chooseTarget(
  registry: MlflowRegistry,
  request: { to?: string; knownGood?: string; state: ServingState },
  prevAlias: string,
): Promise<{ to: string; rule: string }> {
  if (request.to !== undefined) return { to: request.to, rule: 'requested' };
  if (request.knownGood !== undefined) return { to: request.knownGood, rule: "the ledger's last known-good" };
  if (request.state.previous !== undefined) return { to: request.state.previous, rule: `alias ${prevAlias}` };
  const current = Number(request.state.current);
  const below = (await registry.searchVersions())
    .filter((entry) => entry.status === 'READY' && Number(entry.version) < current)
    .sort((a, b) => Number(b.version) - Number(a.version))[0];
  if (request.state.current === undefined || !Number.isInteger(current) || below === undefined) {
    throw new ServingError(`no version to roll back to below version ${request.state.current ?? '?'}`, {
      transient: false,
      hint: `name a version as the rollback target, record deployments with POST /api/deployments, or set the alias ${prevAlias}`,
    });
  }
  return { to: below.version, rule: `the highest READY version below ${request.state.current}` };
}

/** Refuses at plan time a target that is not a number, does not exist, or never finished registering. */
async function checkReady(registry: MlflowRegistry, to: string, name: string): Promise<void> {
  if (!/^\d+$/.test(to)) {
    throw new ServingError(`"${to}" is not an MLflow version of ${name}`, {
      transient: false,
      hint: 'MLflow versions are numbers such as 41',
    });
  }
  const version: ModelVersion = await registry.getVersion(to);
  if (version.status !== undefined && version.status !== 'READY') {
    throw new ServingError(`version ${to} of ${name} is ${version.status}, not READY`, {
      transient: false,
      hint: 'choose a version whose registration finished',
    });
  }
}

/** Best effort: a tag that fails to write must not fail a rollback that already happened. */
async function tagRolledBack(registry: MlflowRegistry, version: string, value: string): Promise<string> {
  try {
    await registry.setTag(version, ROLLED_BACK_TAG, value);
    return `tagged version ${version} ${ROLLED_BACK_TAG}`;
  } catch (error) {
    return `could not tag version ${version} ${ROLLED_BACK_TAG}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
