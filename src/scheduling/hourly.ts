import { createTask } from 'node-cron';
import type { Logger } from '../engine/ports.js';

/**
 * Runs `work` now and then every hour at `minute` past (a node-cron task named `name`), logging a failure as
 * `failure` instead of letting it end the task: the next hour tries again. `stop()` ends the task.
 */
export function startHourly(
  options: { name: string; minute: number; logger: Logger; failure: string },
  work: () => Promise<unknown>,
): { stop(): Promise<void> } {
  const run = () => work().catch((error: unknown) => options.logger.error({ err: error }, options.failure));
  void run();
  const task = createTask(`${options.minute} * * * *`, run, { name: options.name });
  void task.start();
  return {
    async stop() {
      await task.destroy();
    },
  };
}
