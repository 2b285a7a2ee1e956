import type { ReplicaSet, Rollout } from './schema.js';

/** The label Argo Rollouts adds to pod templates; it differs per ReplicaSet, so comparisons ignore it. */
export const HASH_LABEL = 'rollouts-pod-template-hash';
const REVISION = 'rollout.argoproj.io/revision';
const REVISION_HISTORY = 'rollout.argoproj.io/revision-history';

/** One revision of a Rollout: a ReplicaSet it controls. */
export interface Revision {
  revision: number;
  /** The pod-template hash: a revision's stable identity, because reusing a ReplicaSet renumbers it. */
  hash: string | undefined;
  replicaSet: ReplicaSet;
}

/**
 * The ReplicaSets controlled by the rollout, newest revision first. Like the kubectl plugin, a ReplicaSet
 * counts only when its controller ownerReference is this rollout (by UID when both have one).
 */
export function revisions(owner: Rollout, replicaSets: readonly ReplicaSet[]): Revision[] {
  const owned = replicaSets.filter((rs) =>
    (rs.metadata.ownerReferences ?? []).some(
      (ref) =>
        ref.controller === true &&
        ref.kind === 'Rollout' &&
        (ref.uid !== undefined && owner.metadata.uid !== undefined
          ? ref.uid === owner.metadata.uid
          : ref.name === owner.metadata.name),
    ),
  );
  return owned
    .map((rs) => ({
      revision: Number(rs.metadata.annotations?.[REVISION] ?? Number.NaN),
      hash: rs.metadata.labels?.[HASH_LABEL],
      replicaSet: rs,
    }))
    .filter((entry) => Number.isInteger(entry.revision))
    .sort((a, b) => b.revision - a.revision);
}

/** The revision number of the ReplicaSet with that pod-template hash, as a version string. */
export function revisionOfHash(history: readonly Revision[], hash: string | undefined): string | undefined {
  if (hash === undefined) return undefined;
  const found = history.find((entry) => entry.hash === hash);
  return found === undefined ? undefined : String(found.revision);
}

/**
 * The ReplicaSet of a planned revision: by hash first, because rolling back to an old ReplicaSet gives it
 * the next revision number (the old number moves to its revision-history annotation).
 */
export function findRevision(
  history: readonly Revision[],
  revision: string,
  hash: string | undefined,
): Revision | undefined {
  return (
    (hash === undefined ? undefined : history.find((entry) => entry.hash === hash)) ??
    history.find((entry) => String(entry.revision) === revision) ??
    history.find((entry) =>
      (entry.replicaSet.metadata.annotations?.[REVISION_HISTORY] ?? '').split(',').includes(revision),
    )
  );
}

/** A pod template without the hash label, as `kubectl argo rollouts undo` sends it. */
export function withoutHash(template: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(template);
  const metadata = copy.metadata;
  if (metadata && typeof metadata === 'object' && 'labels' in metadata) {
    const labels = metadata.labels;
    if (labels && typeof labels === 'object') delete (labels as Record<string, unknown>)[HASH_LABEL];
  }
  return copy;
}

/**
 * True when every field set in `wanted` has the same value in `actual` (Kubernetes' DeepDerivative, which
 * the plugin uses): a ReplicaSet's template carries API defaults that the Rollout's template leaves unset.
 */
export function derivativeEqual(wanted: unknown, actual: unknown): boolean {
  if (wanted === undefined || wanted === null || wanted === '') return true;
  if (Array.isArray(wanted)) {
    if (wanted.length === 0) return true;
    return (
      Array.isArray(actual) &&
      actual.length === wanted.length &&
      wanted.every((item, index) => derivativeEqual(item, actual[index]))
    );
  }
  if (typeof wanted === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const record = actual as Record<string, unknown>;
    return Object.entries(wanted).every(([key, value]) => derivativeEqual(value, record[key]));
  }
  return wanted === actual;
}
