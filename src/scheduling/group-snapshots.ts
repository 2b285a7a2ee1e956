import type { EngineDeps } from '../engine/context.js';
import { approverGroups, refreshGroupSnapshots, type GroupDirectory } from '../engine/group-membership.js';
import { startHourly } from './hourly.js';

/**
 * Keeps a snapshot of every approver group's members (engine/group-membership.ts): at start and every hour, so
 * that when Slack goes down the API and CLI can still tell who is in them, whether or not anyone acted through
 * a group lately. A handful of usergroups.users.list calls an hour, far under Tier 2.
 */
export function startGroupSnapshots(
  deps: Pick<EngineDeps, 'store' | 'clock' | 'logger' | 'runbooks'>,
  directory: GroupDirectory,
): { stop(): Promise<void> } {
  return startHourly(
    {
      name: 'rollbot-group-snapshots',
      minute: 41,
      logger: deps.logger,
      failure: 'refreshing the approver groups’ snapshots failed',
    },
    () => refreshGroupSnapshots({ ...deps, directory }, approverGroups(deps.runbooks)),
  );
}
