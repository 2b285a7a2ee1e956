import type { DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import type { ServingState } from '../../engine/serving-port.js';

/** What DescribeEndpoint says about an endpoint (the parts rollbot reads). */
export type Endpoint = Pick<
  DescribeEndpointCommandOutput,
  | 'EndpointConfigName'
  | 'EndpointStatus'
  | 'ProductionVariants'
  | 'PendingDeploymentSummary'
  | 'FailureReason'
>;

/**
 * Statuses during which SageMaker refuses another update: an update (ours or someone else's) is in flight and
 * the right move is to wait for it, not to pile another one on.
 */
export const IN_FLIGHT_STATUSES: ReadonlySet<string> = new Set([
  'Creating',
  'Updating',
  'SystemUpdating',
  'RollingBack',
]);

/** One production variant and its traffic weight (relative, not a percentage). */
export interface VariantWeight {
  name: string;
  weight: number;
}

/** The weights traffic is routed by right now. */
export function currentWeights(endpoint: Endpoint): VariantWeight[] {
  return (endpoint.ProductionVariants ?? []).map((variant) => ({
    name: variant.VariantName ?? '',
    weight: variant.CurrentWeight ?? 0,
  }));
}

/**
 * The weights the endpoint is heading for: DesiredWeight is what the last UpdateEndpointWeightsAndCapacities
 * asked for, so comparing it (not CurrentWeight) tells whether our flip was already requested.
 */
export function desiredWeights(endpoint: Endpoint): VariantWeight[] {
  return (endpoint.ProductionVariants ?? []).map((variant) => ({
    name: variant.VariantName ?? '',
    weight: variant.DesiredWeight ?? variant.CurrentWeight ?? 0,
  }));
}

/** True when `variant` has weight and every other variant has none: all traffic goes to it. */
export function allWeightOn(weights: readonly VariantWeight[], variant: string): boolean {
  const target = weights.find((entry) => entry.name === variant);
  return (
    target !== undefined &&
    target.weight > 0 &&
    weights.every((entry) => entry.name === variant || entry.weight === 0)
  );
}

/** `champion 90%, challenger 10%` for people. */
export function formatTraffic(traffic: ServingState['traffic']): string {
  return traffic.map((entry) => `${entry.version} ${entry.percent}%`).join(', ') || 'no variants';
}

/**
 * A multi-variant endpoint seen as variants: versions are variant names, traffic is CurrentWeight normalised
 * to percent, and the runbook's stable variant is the remembered known-good one.
 */
export function variantsState(name: string, endpoint: Endpoint, stableVariant: string): ServingState {
  const weights = currentWeights(endpoint);
  const total = weights.reduce((sum, entry) => sum + entry.weight, 0);
  const traffic = weights.map((entry) => ({
    version: entry.name,
    percent: total > 0 ? Math.round((entry.weight / total) * 1000) / 10 : 0,
  }));
  const top = [...weights].sort((a, b) => b.weight - a.weight)[0];
  const current = top !== undefined && top.weight > 0 ? top.name : undefined;
  const state: ServingState = {
    traffic,
    rolloutInProgress: rolloutInProgress(endpoint),
    settled: endpoint.EndpointStatus === 'InService',
    summary: `sagemaker ${name} ${endpoint.EndpointStatus ?? 'unknown'}: ${formatTraffic(traffic)}${configNote(endpoint)}`,
  };
  if (current !== undefined) state.current = current;
  if (current !== stableVariant) state.previous = stableVariant;
  return state;
}

/**
 * A single-config endpoint seen as endpoint configs: SageMaker exposes no traffic split between the blue and
 * green fleets of a deployment, so the current config carries all traffic until the deployment completes.
 * SageMaker does not remember the previous config, hence no `previous` (the ledger supplies it).
 */
export function configState(name: string, endpoint: Endpoint): ServingState {
  const current = endpoint.EndpointConfigName;
  const state: ServingState = {
    traffic: current === undefined ? [] : [{ version: current, percent: 100 }],
    rolloutInProgress: rolloutInProgress(endpoint),
    settled: endpoint.EndpointStatus === 'InService',
    summary: `sagemaker ${name} ${endpoint.EndpointStatus ?? 'unknown'}${configNote(endpoint)}`,
  };
  if (current !== undefined) state.current = current;
  return state;
}

/** Two variants taking traffic (A/B or canary), or a deployment under way whose old fleet is still warm. */
function rolloutInProgress(endpoint: Endpoint): boolean {
  const weighted = currentWeights(endpoint).filter((entry) => entry.weight > 0).length;
  return (
    weighted > 1 ||
    (endpoint.EndpointStatus === 'Updating' && endpoint.PendingDeploymentSummary !== undefined)
  );
}

function configNote(endpoint: Endpoint): string {
  const parts = [`config ${endpoint.EndpointConfigName ?? 'unknown'}`];
  const pending = endpoint.PendingDeploymentSummary?.EndpointConfigName;
  if (pending !== undefined) parts.push(`deploying ${pending}`);
  if (endpoint.FailureReason) parts.push(`last failure: ${endpoint.FailureReason}`);
  return ` (${parts.join('; ')})`;
}
