import { createTask } from 'node-cron';
import type { EngineDeps } from '../engine/context.js';
import { approverGroups, refreshGroupSnapshots, type GroupDirectory } from '../engine/group-membership.js';

/**
 * Keeps a snapshot of every approver group's members (engine/group-membership.ts): at start and every hour, so
 * that when Slack goes down the API and CLI can still tell who is in them, whether or not anyone acted through
 * a group lately. A handful of usergroups.users.list calls an hour, far under Tier 2.
 */
export function startGroupSnapshots(
  deps: Pick<EngineDeps, 'store' | 'clock' | 'logger' | 'runbooks'>,
  directory: GroupDirectory,
): { stop(): Promise<void> } {
  const run = () =>
    refreshGroupSnapshots({ ...deps, directory }, approverGroups(deps.runbooks)).catch((error: unknown) =>
      deps.logger.error({ err: error }, 'refreshing the approver groups’ snapshots failed'),
    );
  void run();
  const task = createTask('41 * * * *', run, { name: 'rollbot-group-snapshots' });
  void task.start();
  return {
    async stop() {
      await task.destroy();
    },
  };
}
