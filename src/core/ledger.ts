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
 * The last known-good version: going back through the deployments (newest first), the first version other
 * than `current` that was never rolled back. Falls back to the `previousVersion` CI recorded with the newest
 * deployment of `current`. Undefined when the ledger cannot tell.
 */
export function lastKnownGood(
  deployments: readonly Deployment[],
  current: string | undefined,
): string | undefined {
  const rolledBack = new Set(deployments.filter((d) => d.rolledBackAt !== undefined).map((d) => d.version));
  const good = deployments.find((d) => d.version !== current && !rolledBack.has(d.version));
  if (good) return good.version;
  const previous = deployments.find((d) => d.version === current)?.previousVersion;
  return previous !== undefined && !rolledBack.has(previous) ? previous : undefined;
}
