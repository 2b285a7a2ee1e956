/**
 * The slow path: rolling back to a version no longer deployed on the endpoint deploys it again
 * (`POST …/endpoints/{E}:deployModel`, a long-running operation that provisions nodes for minutes) with all of
 * trafficSplit onto it once it is up, on the machine resources of the deployed model that serves now.
 *
 * Never twice: the deployed model gets an ID chosen from the model version (deployedModelIdFor), not one Vertex
 * picks, so that a second deployModel for it — a retry after a lost answer, a second attempt, another replica —
 * is refused by Vertex as already existing instead of provisioning a second copy, and a fresh read of the
 * endpoint finds it once deployed.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ServingError } from '../../core/errors.js';
import type { RollbackPlan } from '../../engine/serving-port.js';
import { modelResource, type VertexConfig } from './config.js';
import type { DeployModelRequest } from './operation.js';
import { describeDeployed, findDeployed, type Deployed, type MachineResources } from './state.js';

/** deployModel provisions nodes, pulls the container and loads the model: typically 5 to 20 minutes. */
export const REDEPLOY_ETA_MS = 15 * 60_000;

/**
 * What a redeploy plan carries to execute (stored on the incident, so JSON) and what execute keeps with it for
 * onTarget (ExecuteResult.planData, stored with the plan by the engine).
 */
const redeployDataSchema = z.object({
  deployedModelId: z.string(),
  model: z.string(),
  displayName: z.string(),
  resources: z.union([
    z.object({ dedicatedResources: z.record(z.string(), z.unknown()) }),
    z.object({ automaticResources: z.record(z.string(), z.unknown()) }),
  ]),
  /** The serving model's service account: the old version's container may need the same access. */
  serviceAccount: z.string().optional(),
  /**
   * The deployModel operation execute started, on every replica and after a restart; absent when execute found the
   * deployment under way (an earlier deployModel whose answer was lost) or landed: the endpoint alone says then.
   */
  operation: z.string().optional(),
});

export type RedeployData = z.output<typeof redeployDataSchema>;

export function redeployData(plan: RollbackPlan): RedeployData {
  const parsed = redeployDataSchema.safeParse(plan.data);
  if (parsed.success) return parsed.data;
  throw new ServingError(`the redeploy plan to version ${plan.to} lacks what deployModel needs`, {
    transient: false,
    hint: 'plan the rollback again',
  });
}

/**
 * The deployed model ID rollbot gives a version it deploys again: ten digits (Vertex takes 1–10) from the model
 * version's resource name, the same on every try and every replica.
 */
export function deployedModelIdFor(modelVersion: string): string {
  const hash = BigInt(`0x${createHash('sha256').update(modelVersion).digest('hex').slice(0, 15)}`);
  return String(1_000_000_000n + (hash % 9_000_000_000n));
}

/** The body of deployModel: the version on the copied resources, all traffic to it ("0") once deployed. */
export function deployRequest(data: RedeployData): DeployModelRequest {
  return {
    deployedModel: {
      id: data.deployedModelId,
      model: data.model,
      displayName: data.displayName,
      ...data.resources,
      ...(data.serviceAccount === undefined ? {} : { serviceAccount: data.serviceAccount }),
    },
    trafficSplit: { '0': 100 },
  };
}

/**
 * The target once deployed: rollbot's deployed model for it, else the version deployed once by someone else.
 * rollbot's ID serving another version (a collision with an ID a person chose) is refused, not flipped onto.
 */
export function deployedTarget(
  deployed: readonly Deployed[],
  plan: RollbackPlan,
  data: RedeployData,
  target: string,
): Deployed | undefined {
  const ours = deployed.find((entry) => entry.id === data.deployedModelId);
  if (ours && ours.version !== plan.to) {
    throw new ServingError(
      `deployed model ${ours.id} on ${target} serves version ${ours.version}, not ${plan.to}: rollbot would deploy version ${plan.to} under that ID`,
      {
        transient: false,
        hint: `deploy version ${plan.to} by hand (gcloud ai endpoints deploy-model, see runbooks/README.md, vertex) and roll back again: the plan then flips traffic to it`,
      },
    );
  }
  if (ours) return ours;
  const match = findDeployed(deployed, plan.to);
  if (match === undefined) return undefined;
  if ('found' in match) return match.found;
  // Deployed twice since the plan, by people: a third copy would not help, and which to flip onto is theirs to say.
  throw new ServingError(`version ${plan.to} is deployed more than once on ${target} since the plan`, {
    transient: false,
    hint: `roll back again naming the deployed model ID as the target: ${match.ambiguous.map(describeDeployed).join(', ')}`,
  });
}

/**
 * Plans deploying `to` again, or refuses with what is missing: which registry model it is a version of, the
 * version itself in the registry (`exists`, a read that throws when it is not there: a mistyped target or a
 * version deleted since the ledger recorded it is said now, not by deployModel after the plan was approved), or
 * machine resources to copy (the fast path's gcloud command is the way out then: `manual`).
 */
export async function planRedeploy(options: {
  to: string;
  rule: string;
  deployed: readonly Deployed[];
  config: VertexConfig;
  resource: string;
  exists: (model: string, version: string) => Promise<{ versionId?: string | undefined }>;
  manual: () => ServingError;
}): Promise<RollbackPlan> {
  const { to, rule, deployed, config, resource } = options;
  const model = registryModel(to, deployed, config);
  // Before the manual way out too: its gcloud command would deploy the same version.
  const { versionId } = await options.exists(model, to);
  if (versionId !== undefined && versionId !== to) {
    // GetModel takes an alias after the @ too; deployed, the model reports its version ID, so a landing checked
    // against the alias would never be seen and a rollback that worked would be reported failed.
    throw new ServingError(
      `"${to}" names version ${versionId} of registry model ${model} (an alias): the endpoint reports its deployed models by version ID`,
      { transient: false, hint: `roll back to ${versionId} instead (--to ${versionId})` },
    );
  }
  const serving = [...deployed].sort((a, b) => b.percent - a.percent)[0];
  if (serving === undefined || serving.percent === 0 || serving.resources === undefined) {
    const base = options.manual();
    throw new ServingError(
      `${base.message}; rollbot deploys it again on the machine resources of the deployed model taking traffic, and ${serving === undefined || serving.percent === 0 ? 'none takes any' : `deployed model ${serving.id} shows none`}`,
      { transient: false, hint: base.hint ?? '' },
    );
  }
  const resources = serving.resources;
  const data: RedeployData = {
    deployedModelId: deployedModelIdFor(`${model}@${to}`),
    model: `${model}@${to}`,
    displayName: `rollbot-rollback-v${to}`,
    resources,
  };
  if (serving.serviceAccount !== undefined) data.serviceAccount = serving.serviceAccount;
  const account = data.serviceAccount === undefined ? '' : `, "serviceAccount": "${data.serviceAccount}"`;
  return {
    to,
    regime: 'redeploy',
    etaMs: REDEPLOY_ETA_MS,
    actions: [
      // In words, the registry version the POST below names: the person approving sees which it is, and that it exists.
      `chose version ${to}: ${rule}; it is no longer deployed on the endpoint, so it is deployed again from the registry, where ${data.model} exists (provisions nodes: minutes)`,
      `POST ${resource}:deployModel {"deployedModel": {"id": "${data.deployedModelId}", "model": "${data.model}", ${describeResources(resources)}${account} copied from deployed model ${serving.id}}, "trafficSplit": {"0": 100}}: all traffic to it once it is up; version ${serving.version} (deployed model ${serving.id}) stays deployed, at 0 %`,
      `poll the operation until done, then check that deployed model ${data.deployedModelId} has 100 % of trafficSplit`,
    ],
    data,
  };
}

/** The registry model `to` is a version of: the runbook's serving.model, else the one every deployed model is of. */
function registryModel(to: string, deployed: readonly Deployed[], config: VertexConfig): string {
  if (config.model !== undefined) return modelResource(config, config.model);
  const models = [...new Set(deployed.map((entry) => entry.model).filter((model) => model !== ''))];
  if (models.length === 1 && models[0] !== undefined) return models[0];
  const why =
    models.length === 0
      ? 'no deployed model says which registry model it is a version of'
      : `the deployed models are versions of different registry models (${models.join(', ')})`;
  throw new ServingError(`cannot deploy version ${to} again on vertex endpoint ${config.endpoint}: ${why}`, {
    transient: false,
    hint: `add serving.model: "<model id>" to the runbook (gcloud ai models list --project=${config.project} --region=${config.location} lists them): the model whose version ${to} rollbot deploys again`,
  });
}

function describeResources(resources: MachineResources): string {
  const [kind, spec] =
    'dedicatedResources' in resources
      ? ['dedicatedResources', resources.dedicatedResources]
      : ['automaticResources', resources.automaticResources];
  const machine = (spec.machineSpec as { machineType?: unknown } | undefined)?.machineType;
  const replicas = `${String(spec.minReplicaCount ?? '?')}–${String(spec.maxReplicaCount ?? spec.minReplicaCount ?? '?')} replicas`;
  return `"${kind}": ${typeof machine === 'string' ? `${machine}, ` : ''}${replicas}`;
}
