import type { ServingState } from '../../engine/serving-port.js';
import { generationObserved } from '../k8s/objects.js';
import { describeTraffic } from '../k8s/plan.js';
import { revisionOfHash, type Revision } from './history.js';
import type { Rollout } from './schema.js';

/** A Rollout and its revisions, read together. */
export interface RolloutView {
  rollout: Rollout;
  history: Revision[];
}

/** A version name for a pod-template hash: its revision number, or the hash when its ReplicaSet is gone. */
function versionOf(view: RolloutView, hash: string): string {
  return revisionOfHash(view.history, hash) ?? `hash ${hash}`;
}

/**
 * Traffic per revision: the canary weights when a traffic router reports them, the active selector of a
 * blue-green rollout, else available pods (a basic canary splits traffic by replica count).
 */
function trafficOf(view: RolloutView): { version: string; percent: number }[] {
  const status = view.rollout.status;
  const shares = new Map<string, number>();
  const add = (version: string, percent: number) => shares.set(version, (shares.get(version) ?? 0) + percent);
  const weights = status?.canary?.weights;
  if (weights) {
    for (const side of [weights.stable, weights.canary]) {
      if (side.podTemplateHash !== undefined) add(versionOf(view, side.podTemplateHash), side.weight ?? 0);
    }
  } else if (status?.blueGreen?.activeSelector) {
    add(versionOf(view, status.blueGreen.activeSelector), 100);
  } else {
    const pods = view.history.map((entry) => ({
      entry,
      pods: entry.replicaSet.status?.availableReplicas ?? 0,
    }));
    const total = pods.reduce((sum, item) => sum + item.pods, 0);
    for (const { entry, pods: count } of pods) {
      if (count > 0) add(String(entry.revision), Math.round((100 * count) / total));
    }
  }
  return [...shares].map(([version, percent]) => ({ version, percent }));
}

/** What the rollout is doing, in revision numbers. */
export function describeRollout(view: RolloutView, target: string): ServingState & { stable?: string } {
  const status = view.rollout.status;
  const currentHash = status?.currentPodHash;
  const stableHash = status?.stableRS;
  const current = revisionOfHash(view.history, currentHash);
  const stable = revisionOfHash(view.history, stableHash);
  const rolloutInProgress =
    currentHash !== undefined && stableHash !== undefined && currentHash !== stableHash;
  const secondNewest = view.history[1];
  const previous = rolloutInProgress
    ? stable
    : secondNewest === undefined
      ? undefined
      : String(secondNewest.revision);
  const phase = status?.phase ?? 'unknown';
  // An aborted rollout is Degraded by design and nothing is in flight any more.
  const settled =
    generationObserved(view.rollout.metadata.generation, status?.observedGeneration) &&
    (phase === 'Healthy' || (status?.abort === true && phase === 'Degraded'));
  const traffic = trafficOf(view);
  const summary =
    `${target}: revision ${current ?? 'unknown'}` +
    (rolloutInProgress ? ` rolling out over stable ${stable ?? stableHash}` : '') +
    `; ${describeTraffic(traffic)}; phase ${phase}${status?.abort === true ? ' (aborted)' : ''}`;
  return {
    ...(current === undefined ? {} : { current }),
    traffic,
    ...(previous === undefined ? {} : { previous }),
    ...(stable === undefined ? {} : { stable }),
    rolloutInProgress,
    settled,
    summary,
  };
}
