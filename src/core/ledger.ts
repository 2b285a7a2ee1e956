/**
 * How a version got deployed: what CI records, or `observed` when rollbot saw it serving without a record.
 * They decide nothing; they explain the history.
 */
export const DEPLOYMENT_STRATEGIES = [
  'canary',
  'blue-green',
  'rolling',
  'recreate',
  'shadow',
  'direct',
  'observed',
] as const;
export type DeploymentStrategy = (typeof DEPLOYMENT_STRATEGIES)[number];

/** One entry of rollbot's deployment ledger: what was deployed, when, and whether it was rolled back. */
export interface Deployment {
  model: string;
  version: string;
  previousVersion?: string;
  strategy: DeploymentStrategy;
  at: number;
  /** Who recorded it: `api`, `cli:<user>`, or `serving` when an adapter reported it. */
  by: string;
  /**
   * The serving layer's spec as deployed (KServe: the InferenceService `spec`), snapshotted by CI so that a
   * rollback after promotion can re-apply it when no traffic flip can reach the version.
   */
  spec?: Record<string, unknown>;
  /** The share of traffic (percent) the version had when CI recorded this; absent means all of it. */
  traffic?: number;
  /** When a rollback moved traffic away from this version. */
  rolledBackAt?: number;
  /** The incident of that rollback. */
  incidentId?: string;
}

/**
 * Whether a rollback mark on `version` (set at `markAt`) was lifted: CI recorded the version again after the
 * rollback from it (through the gate's approval for the first deployment after a rollback), so it is wanted
 * again and can be the known-good, and be watched, as any other version. What rollbot merely observed serving
 * lifts nothing.
 */
export function markLifted(deployments: readonly Deployment[], version: string, markAt: number): boolean {
  return deployments.some((d) => d.version === version && d.strategy !== 'observed' && d.at > markAt);
}

/** Whether this rollout of its version was rolled back: a mark set after it (a later rollout is a new one). */
export function rolledBackAfter(deployment: Deployment): boolean {
  return deployment.rolledBackAt !== undefined && deployment.at <= deployment.rolledBackAt;
}

/** The versions a rollback moved traffic away from and not deployed again since: not a known-good. */
function rolledBackVersions(deployments: readonly Deployment[]): Set<string> {
  const marked = deployments.filter(
    (d) => d.rolledBackAt !== undefined && !markLifted(deployments, d.version, d.rolledBackAt),
  );
  return new Set(marked.map((d) => d.version));
}

/**
 * Whether a rollback moved traffic away from `version` and CI has not deployed it again since: not a known-good,
 * however warm the layer keeps it.
 */
export function rolledBackFrom(deployments: readonly Deployment[], version: string): boolean {
  return rolledBackVersions(deployments).has(version);
}

/**
 * The versions some record shows with all the traffic (no share recorded, or 100 %) in a rollout that was not
 * rolled back. A version seen only at a canary's share never proved itself on all of it: an aborted canary stays
 * in the ledger unmarked when the layer aborted it on its own, and must not become a rollback target; nor does a
 * version rolled back from that is out again as a canary, until it takes all the traffic again.
 */
function fullyRolledOut(deployments: readonly Deployment[]): Set<string> {
  const full = deployments.filter(
    (d) => (d.traffic === undefined || d.traffic >= 100) && !rolledBackAfter(d),
  );
  return new Set(full.map((d) => d.version));
}

/**
 * The version presumed to be serving when the layer cannot say (an http or command adapter without a status
 * request): the newest deployment not rolled back since. After a rollback from it, that is the version rolled
 * back to. Undefined when the ledger has none.
 */
export function presumedCurrent(deployments: readonly Deployment[]): string | undefined {
  const rolledBack = rolledBackVersions(deployments);
  return deployments.find((d) => !rolledBack.has(d.version))?.version;
}

/**
 * The last known-good version: going back through the deployments (newest first), the first version other
 * than the current one that took all the traffic and was never rolled back. Falls back to the `previousVersion`
 * CI recorded with the newest deployment of the current version. When `current` is unknown, the presumed
 * current version stands for it: the newest deployment is the suspect, not the known-good. Undefined when the
 * ledger cannot tell.
 */
export function lastKnownGood(
  deployments: readonly Deployment[],
  current: string | undefined,
): string | undefined {
  const rolledBack = rolledBackVersions(deployments);
  const serving = current ?? presumedCurrent(deployments);
  const full = fullyRolledOut(deployments);
  const good = deployments.find(
    (d) => d.version !== serving && !rolledBack.has(d.version) && full.has(d.version),
  );
  if (good) return good.version;
  const previous = deployments.find((d) => d.version === serving)?.previousVersion;
  return previous !== undefined && previous !== serving && !rolledBack.has(previous) ? previous : undefined;
}
