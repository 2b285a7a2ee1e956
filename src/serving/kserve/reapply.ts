import type { Deployment } from '../../core/ledger.js';
import type { RollbackPlan, ServingState } from '../../engine/serving-port.js';
import { conditionTrue, generationObserved } from '../k8s/objects.js';
import { REDEPLOY_ETA_MS } from '../k8s/plan.js';
import type { InferenceService } from './schema.js';
import { canaryInSpec, canaryTakesTraffic } from './standard.js';

/**
 * After a promotion no traffic flip can reach an older version (Standard mode keeps no previous predictor;
 * Knative only the previous rolled-out revision). What can: re-applying the component spec CI snapshotted
 * when that version was deployed (POST /api/deployments with `spec`). The reference calls for exactly this:
 * never undo the owned Deployment, re-apply the InferenceService spec.
 */
export function reapplyPlan(
  request: { to?: string; knownGood?: string; state: ServingState; ledger?: readonly Deployment[] },
  context: { where: string; component: string; mode: string },
): RollbackPlan | undefined {
  const wanted = request.to ?? request.knownGood;
  if (wanted === undefined) return undefined;
  const deployment = request.ledger?.find(
    (d) => d.version === wanted && isObject(d.spec?.[context.component]),
  );
  const recorded = deployment?.spec?.[context.component];
  if (!deployment || !isObject(recorded)) return undefined;
  // A spec recorded at a canary step carries its share: re-applied as is, the rest of the traffic would stay on
  // the version rolled back from while Ready said the rollback landed. A rollback gives the version all of it.
  const { canaryTrafficPercent: _share, ...spec } = recorded;
  // Likewise in Standard mode a canary lives beside the predictor, in spec.canary, not in the recorded
  // component spec: replacing only the predictor would leave it its HTTPRoute share. The patch empties it.
  const canary =
    context.mode === 'standard' ? ' and set /spec/canary to [] (no canary keeps a share beside it)' : '';
  const from = request.state.current;
  return {
    ...(from === undefined || from === wanted ? {} : { from }),
    to: wanted,
    regime: 'redeploy',
    etaMs: REDEPLOY_ETA_MS,
    actions: [
      `PATCH InferenceService ${context.where} (application/json-patch+json) replace /spec/${context.component} with the spec recorded for ${wanted} on ${new Date(deployment.at).toISOString()}${'canaryTrafficPercent' in recorded ? ' (without its canaryTrafficPercent: all traffic goes to it)' : ''}${canary}`,
      'wait until Ready=True at the new generation with that spec',
    ],
    data: { mode: context.mode, component: context.component, reapply: spec },
  };
}

/**
 * The JSON patch that puts the recorded spec back; in Standard mode it also empties spec.canary (`add`
 * replaces the list, or creates it when absent), so that no canary keeps a share beside it.
 */
export function reapplyPatch(mode: string, component: string, spec: Record<string, unknown>): unknown[] {
  const patch = [{ op: 'replace', path: `/spec/${component}`, value: spec }];
  return mode === 'standard' ? [...patch, { op: 'add', path: '/spec/canary', value: [] }] : patch;
}

/**
 * Whether the InferenceService already runs the recorded spec with no canary given a share beside it (then
 * execute makes no call).
 */
export function runsSpec(isvc: InferenceService, component: string, spec: Record<string, unknown>): boolean {
  const current = (isvc.spec as Record<string, unknown> | undefined)?.[component];
  return sameJson(current, spec) && !canaryInSpec(isvc);
}

/**
 * Traffic is on the re-applied spec once KServe has reconciled the new generation, is Ready, and no canary
 * has a share (spec.canary exists in Standard mode only).
 */
export function reapplied(isvc: InferenceService, component: string, spec: Record<string, unknown>): boolean {
  return (
    runsSpec(isvc, component, spec) &&
    !canaryTakesTraffic(isvc) &&
    generationObserved(isvc.metadata.generation, isvc.status?.observedGeneration) &&
    conditionTrue(isvc.status?.conditions, 'Ready')
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON values, ignoring key order. */
function sameJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => sameJson(a[key], b[key]));
  }
  return a === b;
}
