/**
 * The watch period: for a while after a deployment reaches 100 % of traffic, the version it replaced stays
 * the rollback target and should stay ready to take traffic back. Pure: the ledger and the time are inputs.
 */
import { formatDuration } from './duration.js';
import { lastKnownGood, rolledBackAfter, type Deployment } from './ledger.js';

export interface WatchPeriod {
  /** The version being watched (serving all traffic). */
  version: string;
  /** The rollback target while it is watched: the version it replaced. */
  previousVersion?: string;
  /** When it reached 100 %. */
  since: number;
  until: number;
}

/** A deployment that took all the traffic: recorded by CI (not merely observed) at 100 % or without a share. */
export function isFullDeployment(deployment: Deployment): boolean {
  return deployment.strategy !== 'observed' && (deployment.traffic ?? 100) >= 100;
}

/**
 * The model's watch period at `now`, if any: its newest recorded deployment took all the traffic less than
 * `watchMs` ago and has not been rolled back. Repeated 100 % records of one version count from the first (since
 * a rollback from it, if any).
 * `deployments` is newest first, as the ledger lists them.
 */
export function watchPeriod(
  deployments: readonly Deployment[],
  now: number,
  watchMs: number,
): WatchPeriod | undefined {
  const recorded = deployments.filter((deployment) => deployment.strategy !== 'observed');
  const newest = recorded[0];
  if (newest === undefined || !isFullDeployment(newest) || rolledBackAfter(newest)) return undefined;
  let since = newest.at;
  for (const deployment of recorded.slice(1)) {
    // A rollout of the version that was rolled back ended its watch: a deployment again starts a new one.
    if (deployment.version !== newest.version || !isFullDeployment(deployment) || rolledBackAfter(deployment))
      break;
    since = deployment.at;
  }
  const until = since + watchMs;
  if (now >= until) return undefined;
  const previousVersion = lastKnownGood(deployments, newest.version);
  return { version: newest.version, since, until, ...(previousVersion ? { previousVersion } : {}) };
}

/** One line for people: what is watched, what a rollback goes back to, and for how much longer. */
export function watchNote(watch: WatchPeriod, now: number): string {
  const target = watch.previousVersion
    ? `rollback target ${watch.previousVersion}`
    : 'no previous version recorded to go back to';
  if (now >= watch.until) return `Opened in the watch period of ${watch.version} (now over); ${target}.`;
  const ago = formatDuration(Math.max(0, now - watch.since));
  return `In its watch period: ${watch.version} took all traffic ${ago} ago; ${target} kept ready for ${formatDuration(watch.until - now)} more.`;
}
