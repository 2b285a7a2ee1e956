import type { ServingState } from '../../engine/serving-port.js';
import { conditionTrue, describeCondition, generationObserved } from '../k8s/objects.js';
import { describeTraffic, FLIP_ETA_MS, largestShare, REDEPLOY_ETA_MS, refuse } from '../k8s/plan.js';
import type { Component, InferenceService, KserveMode, TrafficTarget } from './schema.js';

/**
 * Knative ("Serverless") mode: `spec.<component>.canaryTrafficPercent: 0` sends all traffic to the revision
 * KServe keeps as `prev`. During a canary that is the last rolled-out revision, still warm; after a promotion
 * it is `previousRolledoutRevision`, scaled to zero, so the same flip is a cold start.
 */
export function knativeMode(target: string, component: Component): KserveMode {
  function state(isvc: InferenceService): ServingState {
    // spec.canary exists only in Standard mode. Read as Knative there, the object has no revisions: the only way
    // back offered would be re-applying the predictor spec, which leaves the canary its share of the traffic.
    if ((isvc.spec?.canary?.length ?? 0) > 0) {
      throw refuse(
        `${target}: spec.canary is set, which only KServe Standard mode has, but the runbook serving block says mode: knative (the default)`,
        'set mode: standard in the serving block: a rollback then empties spec.canary',
      );
    }
    const status = isvc.status?.components?.[component];
    const targets = status?.traffic ?? [];
    const version = (entry: TrafficTarget) =>
      entry.revisionName ?? (entry.latestRevision === true ? status?.latestReadyRevision : undefined);
    const shares = new Map<string, number>();
    for (const entry of targets) {
      const name = version(entry);
      if (name !== undefined) shares.set(name, (shares.get(name) ?? 0) + (entry.percent ?? 0));
    }
    const traffic = [...shares].map(([name, percent]) => ({ version: name, percent }));
    const latest = targets
      .filter((entry) => entry.latestRevision === true)
      .reduce((sum, entry) => sum + (entry.percent ?? 0), 0);
    const older = targets.filter(
      (entry) => (entry.tag === 'prev' || entry.latestRevision === false) && (entry.percent ?? 0) > 0,
    );
    const rolloutInProgress = older.length > 0 && latest < 100;
    // During a canary the `prev` target (KServe's latestRolledoutRevision) is what the flip restores;
    // previousRolledoutRevision is the one before it.
    const warm = older.reduce<TrafficTarget | undefined>(
      (best, entry) => (best === undefined || (entry.percent ?? 0) > (best.percent ?? 0) ? entry : best),
      undefined,
    );
    const previous = rolloutInProgress && warm ? version(warm) : status?.previousRolledoutRevision;
    const current = largestShare(traffic);
    const settled =
      generationObserved(isvc.metadata.generation, isvc.status?.observedGeneration) &&
      conditionTrue(isvc.status?.conditions, 'Ready');
    const summary =
      `${target} ${component}: ${describeTraffic(traffic)}` +
      (rolloutInProgress ? ' (canary in progress)' : '') +
      `; previous ${previous ?? 'none'}; ${describeCondition(isvc.status?.conditions, 'Ready')}`;
    return {
      ...(current === undefined ? {} : { current }),
      traffic,
      ...(previous === undefined ? {} : { previous }),
      rolloutInProgress,
      settled,
      summary,
    };
  }

  return {
    patch: { spec: { [component]: { canaryTrafficPercent: 0 } } },
    state,
    plan({ to, knownGood, state: now }) {
      const reachable = now.previous;
      if (reachable === undefined) {
        throw refuse(
          `${target}: KServe has no previous rolled-out revision to flip back to`,
          'roll back by re-applying the older InferenceService spec (for example its storageUri)',
        );
      }
      const wanted = to ?? knownGood ?? reachable;
      if (wanted !== reachable) {
        throw refuse(
          `${target}: only ${reachable} (the previous rolled-out revision) is reachable by setting ` +
            `canaryTrafficPercent to 0, not ${wanted}`,
          `roll back to ${reachable}, or to go further back re-apply the older InferenceService spec ` +
            '(for example its storageUri), which creates a new revision',
        );
      }
      // After a promotion the previous revision has scaled to zero: pinning it back is a cold start.
      return now.rolloutInProgress
        ? { to: wanted, regime: 'traffic-flip', etaMs: FLIP_ETA_MS }
        : { to: wanted, regime: 'redeploy', etaMs: REDEPLOY_ETA_MS };
    },
    needsPatch(isvc, to) {
      const spec = isvc.spec?.[component];
      if (spec === undefined) {
        throw refuse(`${target} has no spec.${component}`, 'check component in the runbook serving block');
      }
      if (spec.canaryTrafficPercent === 0) return false;
      const previous = state(isvc).previous;
      if (previous !== to) {
        throw refuse(
          `${target} changed since the rollback was planned: the flip would now go to ${previous ?? 'no revision'}, not ${to}`,
          'look at the InferenceService and plan the rollback again',
        );
      }
      return true;
    },
    onTarget(isvc, to) {
      const now = state(isvc);
      return now.settled && now.traffic.some((entry) => entry.version === to && entry.percent === 100);
    },
  };
}
