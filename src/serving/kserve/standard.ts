import type { ServingState } from '../../engine/serving-port.js';
import { conditionTrue, describeCondition, generationObserved } from '../k8s/objects.js';
import { describeTraffic, FLIP_ETA_MS, largestShare, refuse } from '../k8s/plan.js';
import type { InferenceService, KserveMode } from './schema.js';

/**
 * Standard mode with `spec.canary[]` (KServe ≥ 0.20): canaries are separate Deployments weighted by an
 * HTTPRoute, and the stable predictor keeps running, so emptying `spec.canary` is always a traffic flip.
 */
export function standardMode(target: string, isvcName: string): KserveMode {
  const stableOf = (isvc: InferenceService) => isvc.spec?.predictor?.name ?? isvc.metadata.name ?? isvcName;
  const canaryCount = (isvc: InferenceService) => isvc.spec?.canary?.length ?? 0;

  function state(isvc: InferenceService): ServingState {
    const stable = stableOf(isvc);
    const canaries = (isvc.status?.canaryStatuses ?? []).map((canary) => ({
      version: canary.name,
      percent: canary.trafficPercent ?? 0,
    }));
    const canaryShare = canaries.reduce((sum, canary) => sum + canary.percent, 0);
    const traffic = [{ version: stable, percent: Math.max(0, 100 - canaryShare) }, ...canaries];
    const rolloutInProgress = canaryCount(isvc) > 0 || canaryShare > 0;
    const current = largestShare(traffic);
    const settled =
      generationObserved(isvc.metadata.generation, isvc.status?.observedGeneration) &&
      conditionTrue(isvc.status?.conditions, 'Ready');
    return {
      ...(current === undefined ? {} : { current }),
      traffic,
      // The stable predictor is the known-good version only while a canary exists beside it.
      ...(rolloutInProgress ? { previous: stable } : {}),
      rolloutInProgress,
      settled,
      summary:
        `${target}: ${describeTraffic(traffic)}` +
        (rolloutInProgress ? ` (canary beside stable ${stable})` : '') +
        `; ${describeCondition(isvc.status?.conditions, 'Ready')}`,
    };
  }

  return {
    patch: { spec: { canary: [] } },
    state,
    plan({ to, knownGood, state: now }) {
      const stable = now.previous;
      if (stable === undefined) {
        throw refuse(
          `${target} has no canary in spec.canary: there is no traffic to flip back`,
          'a plain Standard-mode update is rolled back by re-applying the previous InferenceService spec ' +
            '(do not undo the owned Deployment: KServe reconciles it back)',
        );
      }
      const wanted = to ?? knownGood ?? stable;
      if (wanted !== stable) {
        throw refuse(
          `${target}: only the stable predictor ${stable} is reachable by removing spec.canary, not ${wanted}`,
          `roll back to ${stable}, or re-apply the older InferenceService spec to go further back`,
        );
      }
      return { to: wanted, regime: 'traffic-flip', etaMs: FLIP_ETA_MS };
    },
    needsPatch(isvc, to) {
      if (canaryCount(isvc) === 0) return false;
      const stable = stableOf(isvc);
      if (stable !== to) {
        throw refuse(
          `${target} changed since the rollback was planned: the stable predictor is now ${stable}, not ${to}`,
          'look at the InferenceService and plan the rollback again',
        );
      }
      return true;
    },
    onTarget(isvc, to) {
      return state(isvc).settled && !canaryTakesTraffic(isvc) && stableOf(isvc) === to;
    },
  };
}

/**
 * Whether a Standard-mode canary has, or is about to get, a share of the traffic.
 *
 * The HTTPRoute weights follow spec.canary; status.canaryStatuses only reports them, and nothing promises it
 * lists every canary by the time Ready is True. A canary the spec still gives a share (one re-applied over
 * the rollback, say) takes that traffic whatever the status says, so the spec must agree too, as Knative
 * mode's needsPatch judges its canary by spec canaryTrafficPercent. A dark canary (share 0) takes none.
 */
export function canaryTakesTraffic(isvc: InferenceService): boolean {
  const reported = (isvc.status?.canaryStatuses ?? []).some((canary) => (canary.trafficPercent ?? 0) > 0);
  return reported || canaryInSpec(isvc);
}

/** Whether spec.canary gives any canary a share of the traffic. */
export function canaryInSpec(isvc: InferenceService): boolean {
  return (isvc.spec?.canary ?? []).some((canary) => (canary.trafficPercent ?? 0) > 0);
}
