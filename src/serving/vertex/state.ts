/**
 * A Vertex endpoint as the adapter sees it: each DeployedModel with the model version it serves and its share of
 * trafficSplit. Versions are Vertex model version IDs (`3`), which is what CI records in the ledger; a deployed
 * model ID (`1234567890`) names one too, for the rare endpoint that deploys the same version twice.
 */
import { z } from 'zod';
import type { ServingState } from '../../engine/serving-port.js';

export const endpointSchema = z.object({
  deployedModels: z
    .array(
      z.object({
        id: z.string(),
        model: z.string().optional(),
        modelVersionId: z.string().optional(),
        displayName: z.string().optional(),
        // The machine resources, kept as Vertex gave them: a redeploy of an old version copies them (redeploy.ts).
        dedicatedResources: z.record(z.string(), z.unknown()).optional(),
        automaticResources: z.record(z.string(), z.unknown()).optional(),
        serviceAccount: z.string().optional(),
      }),
    )
    .optional(),
  trafficSplit: z.record(z.string(), z.number()).optional(),
  etag: z.string().optional(),
});

export type Endpoint = z.output<typeof endpointSchema>;

export interface Deployed {
  /** The DeployedModel ID, the key of trafficSplit. */
  id: string;
  version: string;
  /** `projects/…/models/{m}`, without the `@version`; empty when the API did not say. */
  model: string;
  percent: number;
  /** Its machine resources as the GET shows them (`{dedicatedResources: …}` or `{automaticResources: …}`), if any. */
  resources?: MachineResources;
  /** The service account its container runs as, when not Vertex's default. */
  serviceAccount?: string;
}

export type MachineResources =
  { dedicatedResources: Record<string, unknown> } | { automaticResources: Record<string, unknown> };

/**
 * The model version of a DeployedModel: `modelVersionId`, else the `@version` suffix of `model`, else "1" (a model
 * uploaded without versions has only its first, and older answers leave the field out).
 */
export function deployedModels(endpoint: Endpoint): Deployed[] {
  const split = endpoint.trafficSplit ?? {};
  return (endpoint.deployedModels ?? []).map((entry) => {
    const [model = '', suffix] = (entry.model ?? '').split('@');
    const deployed: Deployed = {
      id: entry.id,
      version: entry.modelVersionId || suffix || '1',
      model,
      percent: split[entry.id] ?? 0,
    };
    if (entry.dedicatedResources) deployed.resources = { dedicatedResources: entry.dedicatedResources };
    else if (entry.automaticResources) deployed.resources = { automaticResources: entry.automaticResources };
    if (entry.serviceAccount) deployed.serviceAccount = entry.serviceAccount;
    return deployed;
  });
}

/** The deployed model `to` names: its deployed model ID, else its version when only one serves that version. */
export function findDeployed(
  deployed: readonly Deployed[],
  to: string,
): { found: Deployed } | { ambiguous: Deployed[] } | undefined {
  const byId = deployed.find((entry) => entry.id === to);
  if (byId) return { found: byId };
  const byVersion = deployed.filter((entry) => entry.version === to);
  if (byVersion.length === 1 && byVersion[0]) return { found: byVersion[0] };
  return byVersion.length > 1 ? { ambiguous: byVersion } : undefined;
}

export function describeDeployed(entry: Deployed): string {
  return `version ${entry.version} (deployed model ${entry.id}) at ${entry.percent} %`;
}

/**
 * What serves: the version with the largest share of traffic is current. Traffic on more than one version is a
 * rollout under way (a canary split). A single other version deployed at 0 % is the warm previous one the team
 * kept for a rollback: the fast path.
 */
export function endpointState(target: string, endpoint: Endpoint): ServingState {
  const deployed = deployedModels(endpoint);
  const shares = new Map<string, number>();
  for (const entry of deployed) shares.set(entry.version, (shares.get(entry.version) ?? 0) + entry.percent);
  const traffic = [...shares].map(([version, percent]) => ({ version, percent }));
  const serving = traffic.filter((entry) => entry.percent > 0).sort((a, b) => b.percent - a.percent);
  const current = serving[0]?.version;
  const warm = traffic.filter((entry) => entry.percent === 0);
  const state: ServingState = {
    traffic,
    rolloutInProgress: serving.length > 1,
    settled: true,
    summary: summary(target, deployed),
  };
  if (current !== undefined) state.current = current;
  if (serving.length === 1 && warm.length === 1 && warm[0]) state.previous = warm[0].version;
  return state;
}

function summary(target: string, deployed: readonly Deployed[]): string {
  if (deployed.length === 0) return `${target}: no model deployed`;
  const serving = deployed.filter((entry) => entry.percent > 0);
  const idle = deployed.filter((entry) => entry.percent === 0);
  const parts = [
    serving.length === 0
      ? 'no deployed model has traffic (empty trafficSplit)'
      : serving.map(describeDeployed).join(', '),
    idle.length === 0
      ? 'nothing else deployed: a rollback needs the previous version deployed at 0 % (else it must be deployed again, minutes)'
      : `deployed at 0 %: ${idle.map((entry) => `version ${entry.version} (deployed model ${entry.id})`).join(', ')}, a traffic flip away`,
  ];
  return `${target}: ${parts.join('; ')}`;
}
