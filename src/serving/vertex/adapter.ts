import { readFileSync } from 'node:fs';
import { ServingError } from '../../core/errors.js';
import type { Environment } from '../../env.js';
import {
  ChangeFailed,
  type ExecuteResult,
  type RollbackPlan,
  type ServingAdapter,
  type ServingState,
} from '../../engine/serving-port.js';
import type { ReadFile } from '../k8s/types.js';
import { createVertexEndpointClient } from './client.js';
import { endpointResource, type VertexConfig } from './config.js';
import { isEtagConflict } from './errors.js';
import { createGoogleTokenSource, type GoogleTokenSource } from './google-token.js';
import { describeOperationError, type Operation } from './operation.js';
import { deployRequest, deployedTarget, planRedeploy, redeployData } from './redeploy.js';
import {
  deployedModels,
  describeDeployed,
  endpointState,
  findDeployed,
  type Deployed,
  type Endpoint,
} from './state.js';

export interface VertexAdapterContext {
  model: string;
  /** Where Application Default Credentials are looked up (GOOGLE_APPLICATION_CREDENTIALS, GCE_METADATA_HOST). */
  env: Environment;
  readFile?: ReadFile;
  /** A ready token source (tests, shared); by default Application Default Credentials from `env`. */
  tokens?: GoogleTokenSource;
  /** Per HTTP call; default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** A traffic split between models already deployed is a config change: seconds to a minute. */
const FLIP_ETA_MS = 60_000;

/**
 * The adapter for a Vertex AI online prediction endpoint. Versions are model version IDs (state.ts). A rollback
 * to a version still deployed is a traffic flip: all of trafficSplit onto its deployed model (UpdateEndpoint,
 * which is synchronous) — teams keep the previous version deployed at 0 % until a release is confirmed. A version
 * no longer deployed is deployed again (deployModel, a long-running operation that provisions nodes for
 * minutes: redeploy.ts), all traffic onto it once it is up.
 */
export function createVertexAdapter(config: VertexConfig, context: VertexAdapterContext): ServingAdapter {
  const resource = endpointResource(config);
  const target = `vertex ${resource}`;
  const tokens =
    context.tokens ??
    createGoogleTokenSource({
      env: context.env,
      readFile: context.readFile ?? readFileSync,
      timeoutMs: context.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
  const client = createVertexEndpointClient({
    config,
    tokens,
    timeoutMs: context.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });

  /** The deployed model a plan moves traffic to, found again in a fresh read: it may have been undeployed since. */
  function planned(plan: RollbackPlan, endpoint: Endpoint): Deployed {
    const id = typeof plan.data.deployedModelId === 'string' ? plan.data.deployedModelId : plan.to;
    const match = findDeployed(deployedModels(endpoint), id);
    if (match && 'found' in match) return match.found;
    throw new ServingError(`version ${plan.to} (deployed model ${id}) is no longer deployed on ${target}`, {
      transient: false,
      hint: 'someone undeployed it since the plan: plan the rollback again, or deploy the version again (runbooks/README.md, vertex)',
    });
  }

  /** All traffic onto the deployed model `find` picks from a read (`read`, else a fresh one). */
  async function flip(
    find: (endpoint: Endpoint) => Deployed,
    read?: Endpoint,
    retried = false,
  ): Promise<ExecuteResult> {
    const endpoint = read ?? (await client.get());
    const chosen = find(endpoint);
    if (chosen.percent === 100) {
      return { mutated: false, output: `${target}: ${describeDeployed(chosen)} already` };
    }
    try {
      await client.sendAllTraffic(chosen.id, endpoint.etag);
    } catch (error) {
      // Someone changed the endpoint between our read and our write: read again and decide again, once.
      if (!retried && isEtagConflict(error)) return flip(find, undefined, true);
      throw error;
    }
    return {
      mutated: true,
      output: `PATCH ${resource} trafficSplit accepted: version ${chosen.version} (deployed model ${chosen.id}) 100 %, was ${serving(endpoint)}`,
    };
  }

  /**
   * Deploys the version again, unless a fresh read finds it deployed (an earlier try's deployment landed, or a
   * person deployed it): then it is a flip onto it. A deployModel refused because rollbot's deployed model ID
   * exists is an earlier try's deployment still under way, whose answer was lost: waited for, not repeated.
   */
  async function redeploy(plan: RollbackPlan): Promise<ExecuteResult> {
    const data = redeployData(plan);
    const landed = (endpoint: Endpoint) => deployedTarget(deployedModels(endpoint), plan, data, target);
    const flipOnto = (endpoint: Endpoint): Deployed => landed(endpoint) ?? planned(plan, endpoint);
    const endpoint = await client.get();
    if (landed(endpoint)) return flip(flipOnto, endpoint);
    let operation: Operation;
    try {
      operation = await client.deployModel(deployRequest(data));
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      const again = await client.get();
      if (landed(again)) return flip(flipOnto, again);
      return {
        mutated: false,
        output: `${target}: version ${plan.to} is already being deployed as deployed model ${data.deployedModelId} (an earlier deployModel whose answer was lost): waiting for it`,
      };
    }
    return {
      mutated: true,
      output: `POST ${resource}:deployModel accepted: deploying ${data.model} as deployed model ${data.deployedModelId}, all traffic to it once up (operation ${operation.name}); was ${serving(endpoint)}`,
      // For onTarget, here and on any replica after a restart (the engine stores it with the plan): the operation
      // says a failed deployment at once, the endpoint would not.
      planData: { operation: operation.name },
    };
  }

  /**
   * A redeploy has landed once its operation is done without error and its deployed model has all traffic. An
   * operation done with an error is Vertex's word that the deployment failed (ChangeFailed), for whoever asks,
   * after a restart too; an operation that cannot be read says nothing of the kind.
   */
  async function redeployed(plan: RollbackPlan): Promise<boolean> {
    const data = redeployData(plan);
    if (data.operation !== undefined) {
      const operation = await client.operation(data.operation);
      if (operation.error) throw deployFailed(plan, operation.name, describeOperationError(operation.error));
      if (operation.done !== true) return false;
    }
    return deployedTarget(deployedModels(await client.get()), plan, data, target)?.percent === 100;
  }

  function deployFailed(plan: RollbackPlan, operation: string, why: string): ChangeFailed {
    return new ChangeFailed(
      `Vertex could not deploy version ${plan.to} on ${target}: operation ${operation} failed: ${why}`,
      {
        hint:
          `traffic stays where it was; check the operation (gcloud ai operations describe ${operation.split('/').pop() ?? operation} --project=${config.project} --region=${config.location}), ` +
          'the serving quota and the model version, then roll back again',
      },
    );
  }

  return {
    kind: 'vertex',
    target,
    state: async (): Promise<ServingState> => endpointState(target, await client.get()),
    async plan(request) {
      const { to, rule } = chooseTarget(request, target);
      const deployed = deployedModels(await client.get());
      const match = findDeployed(deployed, to);
      if (match === undefined) {
        const plan = await planRedeploy({
          to,
          rule,
          deployed,
          config,
          resource,
          exists: (model, version) => client.modelVersion(model, version),
          manual: () => notDeployed(to, deployed, config),
        });
        if (request.state.current !== undefined) plan.from = request.state.current;
        return plan;
      }
      if ('ambiguous' in match) {
        throw new ServingError(`version ${to} is deployed more than once on ${target}`, {
          transient: false,
          hint: `name the deployed model ID as the rollback target instead: ${match.ambiguous.map(describeDeployed).join(', ')}`,
        });
      }
      const chosen = match.found;
      const plan: RollbackPlan = {
        to,
        regime: 'traffic-flip',
        etaMs: FLIP_ETA_MS,
        actions: [
          `chose version ${to}: ${rule}; deployed as ${chosen.id}, now at ${chosen.percent} %`,
          `PATCH ${resource}?updateMask=traffic_split {"trafficSplit": {"${chosen.id}": 100}} with the etag of a fresh read (every other deployed model gets 0 %)`,
        ],
        data: { deployedModelId: chosen.id },
      };
      if (request.state.current !== undefined) plan.from = request.state.current;
      return plan;
    },
    execute: (plan) =>
      plan.regime === 'redeploy' ? redeploy(plan) : flip((endpoint) => planned(plan, endpoint)),
    async onTarget(plan) {
      if (plan.regime === 'redeploy') return redeployed(plan);
      return planned(plan, await client.get()).percent === 100;
    },
  };
}

/** What has traffic, for the timeline. */
function serving(endpoint: Endpoint): string {
  const described = deployedModels(endpoint)
    .filter((entry) => entry.percent > 0)
    .map(describeDeployed)
    .join(', ');
  return described || 'no traffic';
}

/**
 * deployModel refused because the deployed model ID is taken: ALREADY_EXISTS, HTTP 409 (or a 400) whose message
 * says so [UNVERIFIED: Vertex's wording for a deployment of that ID still under way]. Another 409 (ABORTED: an
 * operation under way on the endpoint) is not: it stays transient and is sent again, which the ID makes safe.
 */
function isAlreadyExists(error: unknown): boolean {
  if (!(error instanceof ServingError)) return false;
  return (error.status === 409 || error.status === 400) && /already (?:exists?|in use)/i.test(error.message);
}

function chooseTarget(
  request: { to?: string; knownGood?: string; state: ServingState },
  target: string,
): { to: string; rule: string } {
  if (request.to !== undefined) return { to: request.to, rule: 'requested' };
  if (request.knownGood !== undefined) return { to: request.knownGood, rule: "the ledger's last known-good" };
  if (request.state.previous !== undefined) {
    return { to: request.state.previous, rule: 'the only other version deployed, at 0 %' };
  }
  throw new ServingError(`${target}: no version to roll back to`, {
    transient: false,
    hint: 'name a version as the rollback target, record deployments with POST /api/deployments, or keep the previous version deployed on the endpoint at 0 % traffic',
  });
}

/** The target is not deployed and rollbot cannot deploy it: say what is, and how to deploy it by hand. */
function notDeployed(to: string, deployed: readonly Deployed[], config: VertexConfig): ServingError {
  const model =
    deployed
      .find((entry) => entry.model !== '')
      ?.model.split('/')
      .pop() ?? '<model-id>';
  const serving = deployed.filter((entry) => entry.percent > 0);
  const keep = serving.map((entry) => `${entry.id}=${entry.percent}`).join(',');
  return new ServingError(
    `version ${to} is no longer deployed on vertex endpoint ${config.endpoint}: deployed are ${deployed.map(describeDeployed).join(', ') || 'none'}`,
    {
      transient: false,
      hint:
        `deploy it again at 0 % traffic (provisions nodes, minutes): gcloud ai endpoints deploy-model ${config.endpoint} ` +
        `--project=${config.project} --region=${config.location} --model=${model}@${to} --display-name=${model}-v${to}` +
        (keep === '' ? '' : ` --traffic-split=0=0,${keep}`) +
        ', then roll back again; keep the previous version deployed at 0 % until each release is confirmed, so that a rollback is a traffic flip',
    },
  );
}
