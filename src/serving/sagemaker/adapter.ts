import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  SageMakerClient,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import type { z } from 'zod';
import { ServingError } from '../../core/errors.js';
import {
  ChangeFailed,
  type ExecuteResult,
  type RollbackPlan,
  type ServingAdapter,
  type ServingState,
} from '../../engine/serving-port.js';
import type { sagemakerConfig } from './config.js';
import { sagemakerError, sagemakerTimeout, type SagemakerCall } from './errors.js';
import {
  IN_FLIGHT_STATUSES,
  allWeightOn,
  configState,
  currentWeights,
  desiredWeights,
  variantsState,
  type Endpoint,
} from './state.js';

/** The runbook's `serving: {adapter: sagemaker}` block, parsed. */
export type SagemakerConfig = z.output<typeof sagemakerConfig>;

export interface SagemakerAdapterContext {
  model: string;
  /** A ready client (tests, shared clients); by default one for `config.region` and the default credential chain. */
  client?: SageMakerClient;
  /** Per SageMaker call, SDK retries included; default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** A weight flip provisions nothing; the endpoint goes Updating → InService in about a minute. */
const FLIP_ETA_MS = 60_000;
/** UpdateEndpoint provisions a new fleet and loads the model: minutes, more for large GPU models. */
const REDEPLOY_ETA_MS = 10 * 60_000;

/**
 * The adapter for a SageMaker real-time endpoint. Two version conventions, chosen by the runbook:
 *
 * - `stableVariant` set (a multi-variant endpoint): versions are **production variant names**; `traffic` is the
 *   variants' CurrentWeight normalised to percent, and a rollback is a traffic flip
 *   (UpdateEndpointWeightsAndCapacities: weight 1 on the target variant, 0 on every other), by default onto
 *   the stable variant. The ledger's known-good is not used here: the runbook names the variant that keeps
 *   the known-good model.
 * - otherwise: versions are **endpoint config names**; `current` is the endpoint's EndpointConfigName with
 *   100 % of traffic, and a rollback is a redeploy (UpdateEndpoint onto the requested or the ledger's
 *   known-good config), because SageMaker keeps no record of the previous config.
 */
export function createSagemakerAdapter(
  config: SagemakerConfig,
  context: SagemakerAdapterContext,
): ServingAdapter {
  const endpoint = config.endpoint;
  const stableVariant = config.stableVariant;
  const timeoutMs = context.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client =
    context.client ?? new SageMakerClient(config.region === undefined ? {} : { region: config.region });

  /** One SDK call with a deadline; every failure comes out as a classified ServingError. */
  async function call<T>(operation: string, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const where: SagemakerCall = { operation, endpoint, region: config.region };
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      return await send(controller.signal);
    } catch (error) {
      throw controller.signal.aborted ? sagemakerTimeout(where, timeoutMs) : sagemakerError(error, where);
    } finally {
      clearTimeout(timer);
    }
  }

  const describe = (): Promise<Endpoint> =>
    call('DescribeEndpoint', (abortSignal) =>
      client.send(new DescribeEndpointCommand({ EndpointName: endpoint }), { abortSignal }),
    );

  const toState = (described: Endpoint): ServingState =>
    stableVariant === undefined
      ? configState(endpoint, described)
      : variantsState(endpoint, described, stableVariant);

  /** The endpoint is mid-update: SageMaker would refuse another one, so wait and retry. */
  function inFlight(described: Endpoint): ServingError {
    return new ServingError(
      `sagemaker ${endpoint} is ${described.EndpointStatus ?? 'updating'}: update in flight; retrying`,
      {
        transient: true,
        hint: 'SageMaker accepts one update at a time: rollbot retries within the rollback target',
      },
    );
  }

  /** Failed or Deleting endpoints cannot be rolled back by an update: people must look. */
  function unusable(described: Endpoint): ServingError | undefined {
    const status = described.EndpointStatus;
    if (status !== 'Failed' && status !== 'Deleting' && status !== 'OutOfService') return undefined;
    return new ServingError(`sagemaker ${endpoint} is ${status}: it cannot be updated`, {
      transient: false,
      hint: described.FailureReason
        ? `SageMaker says: ${described.FailureReason}`
        : 'check the endpoint in the SageMaker console',
    });
  }

  async function planFlip(
    request: { to?: string; state: ServingState },
    stable: string,
  ): Promise<RollbackPlan> {
    const to = request.to ?? stable;
    const variants = request.state.traffic.map((entry) => entry.version);
    if (!variants.includes(to)) {
      throw new ServingError(`sagemaker ${endpoint} has no production variant "${to}"`, {
        transient: false,
        hint: `variants are: ${variants.join(', ') || 'none'}; check serving.stableVariant or the rollback target`,
      });
    }
    const weights = variants.map((name) => `${name} → weight ${name === to ? 1 : 0}`).join(', ');
    return withFrom(request.state.current, {
      to,
      regime: 'traffic-flip',
      etaMs: FLIP_ETA_MS,
      actions: [
        `chose variant ${to}: ${request.to === undefined ? 'the runbook stableVariant' : 'requested'}`,
        `UpdateEndpointWeightsAndCapacities ${endpoint}: ${weights}`,
      ],
      data: { endpoint, variant: to },
    });
  }

  async function planRedeploy(request: {
    to?: string;
    knownGood?: string;
    state: ServingState;
  }): Promise<RollbackPlan> {
    const to = request.to ?? request.knownGood;
    if (to === undefined) {
      throw new ServingError(`no endpoint config to roll sagemaker ${endpoint} back to`, {
        transient: false,
        hint: 'record deployments with POST /api/deployments so rollbot knows the previous endpoint config, or name one as the rollback target',
      });
    }
    // Read-only check, so a mistyped or deleted config is refused at plan time rather than mid-incident.
    await call('DescribeEndpointConfig', (abortSignal) =>
      client.send(new DescribeEndpointConfigCommand({ EndpointConfigName: to }), { abortSignal }),
    );
    const rule = request.to === undefined ? "the ledger's last known-good config" : 'requested';
    return withFrom(request.state.current, {
      to,
      regime: 'redeploy',
      etaMs: REDEPLOY_ETA_MS,
      actions: [
        `chose endpoint config ${to}: ${rule}`,
        `UpdateEndpoint ${endpoint} → EndpointConfigName ${to} (provisions a new fleet, then shifts traffic)`,
      ],
      data: { endpoint, endpointConfig: to },
    });
  }

  async function executeFlip(plan: RollbackPlan): Promise<ExecuteResult> {
    const described = await describe();
    const desired = desiredWeights(described);
    // Already asked for (by us on an earlier attempt, or by someone else): another call changes nothing.
    if (allWeightOn(desired, plan.to)) {
      return { mutated: false, output: `${endpoint}: all weight already on ${plan.to}` };
    }
    if (IN_FLIGHT_STATUSES.has(described.EndpointStatus ?? '')) throw inFlight(described);
    const refused = unusable(described);
    if (refused) throw refused;
    if (!desired.some((entry) => entry.name === plan.to)) {
      throw new ServingError(`sagemaker ${endpoint} no longer has variant "${plan.to}"`, {
        transient: false,
        hint: 'the endpoint config changed since the plan: plan the rollback again',
      });
    }
    const DesiredWeightsAndCapacities = desired.map((entry) => ({
      VariantName: entry.name,
      DesiredWeight: entry.name === plan.to ? 1 : 0,
    }));
    await call('UpdateEndpointWeightsAndCapacities', (abortSignal) =>
      client.send(
        new UpdateEndpointWeightsAndCapacitiesCommand({
          EndpointName: endpoint,
          DesiredWeightsAndCapacities,
        }),
        { abortSignal },
      ),
    );
    return {
      mutated: true,
      output: `UpdateEndpointWeightsAndCapacities ${endpoint} accepted: ${plan.to} weight 1, others 0`,
    };
  }

  async function executeRedeploy(plan: RollbackPlan): Promise<ExecuteResult> {
    const described = await describe();
    const pending = described.PendingDeploymentSummary?.EndpointConfigName;
    const busy = IN_FLIGHT_STATUSES.has(described.EndpointStatus ?? '');
    // Re-issuing UpdateEndpoint would start yet another deployment, so compare before calling.
    if (pending === plan.to) {
      return { mutated: false, output: `${endpoint}: deployment of ${plan.to} already in flight` };
    }
    if (described.EndpointConfigName === plan.to && (!busy || pending === undefined)) {
      // A Failed endpoint runs nothing: on the target config already, it is not rollbot's to update (onTarget says
      // it failed), and "runs" would read as all being well.
      const status = described.EndpointStatus ?? 'unknown';
      const output = unusable(described)
        ? `${endpoint} is already on endpoint config ${plan.to}, and ${status}`
        : `${endpoint} already runs endpoint config ${plan.to}`;
      return { mutated: false, output };
    }
    if (busy) throw inFlight(described);
    const refused = unusable(described);
    if (refused) throw refused;
    await call('UpdateEndpoint', (abortSignal) =>
      client.send(new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: plan.to }), {
        abortSignal,
      }),
    );
    return {
      mutated: true,
      output: `UpdateEndpoint ${endpoint} accepted: deploying ${plan.to} (was ${described.EndpointConfigName ?? 'unknown'})`,
    };
  }

  return {
    kind: 'sagemaker',
    target: `sagemaker ${endpoint}`,
    state: async () => toState(await describe()),
    plan: (request) =>
      stableVariant === undefined ? planRedeploy(request) : planFlip(request, stableVariant),
    execute: (plan) => (plan.regime === 'traffic-flip' ? executeFlip(plan) : executeRedeploy(plan)),
    async onTarget(plan) {
      const described = await describe();
      const failed = updateFailed(endpoint, described, plan);
      if (failed) throw failed;
      // RollingBack included: an update still in flight (SageMaker undoing it); where it ends is read then.
      if (described.EndpointStatus !== 'InService') return false;
      return plan.regime === 'traffic-flip'
        ? allWeightOn(currentWeights(described), plan.to)
        : described.EndpointConfigName === plan.to;
    },
  };
}

/**
 * SageMaker's own word, read after rollbot's update, that an update failed and will not land: the endpoint is
 * `Failed`, or `UpdateRollbackFailed` (the update failed and so did SageMaker's rollback of it). "An update", not
 * "the": rollbot may have made no call, the endpoint already Failed on the target (executeRedeploy). Not `RollingBack`:
 * SageMaker is undoing an update (an alarm tripped while baking, or the update failed), which may be someone
 * else's, and ends InService on a config rollbot then reads like any other.
 */
function updateFailed(endpoint: string, described: Endpoint, plan: RollbackPlan): ChangeFailed | undefined {
  const status = described.EndpointStatus;
  if (status !== 'Failed' && status !== 'UpdateRollbackFailed') return undefined;
  const reason = described.FailureReason
    ? `: ${described.FailureReason}`
    : ' (SageMaker gave no FailureReason)';
  return new ChangeFailed(`sagemaker ${endpoint} is ${status}: an update to ${plan.to} failed${reason}`, {
    hint:
      status === 'Failed'
        ? "SageMaker will not finish this update: read the FailureReason and the endpoint's CloudWatch logs, and check what it serves in the SageMaker console before rolling back again"
        : 'SageMaker could not roll the failed update back either: the endpoint needs a person (UpdateEndpoint onto a config that works, from the console or the CLI)',
  });
}

/** Adds `from` only when known (exactOptionalPropertyTypes forbids an explicit undefined). */
function withFrom(from: string | undefined, plan: Omit<RollbackPlan, 'from'>): RollbackPlan {
  return from === undefined ? plan : { from, ...plan };
}
