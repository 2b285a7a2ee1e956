import { createTask, validate } from 'node-cron';
import { RollbotError } from '../core/errors.js';
import type { EngineDeps } from '../engine/context.js';
import { listDrills, type DrillListing } from '../engine/drill-list.js';
import { scheduleDrillOccurrence } from '../engine/drill-schedule.js';
import { boundDrillWait } from '../engine/drill-undecided.js';
import type { Runbook } from '../runbooks/schema.js';
import { gapRuns } from './clock-gaps.js';
import { startHourly } from './hourly.js';

/** 10:00 on the 15th of January, April, July and October: four drills a year, mid-month, mid-morning. */
export const QUARTERLY = '0 10 15 1,4,7,10 *';

/** The cron expression of a runbook's `drill.schedule` (`quarterly` or a cron expression). */
export function drillCron(schedule: string): string {
  const expression = schedule === 'quarterly' ? QUARTERLY : schedule;
  if (!validate(expression)) {
    throw new RollbotError('INVALID_RUNBOOK', `drill.schedule "${schedule}" is not a cron expression`, {
      hint: 'write quarterly, or five cron fields like "0 10 * * 2" (10:00 every Tuesday)',
    });
  }
  return expression;
}

/** Every model's drill schedule with its next two runs and last results: `/drill list`, the CLI and the API. */
export function drillListings(deps: EngineDeps): Promise<DrillListing[]> {
  return listDrills(deps, (model) => nextDrills(deps.runbooks.require(model), 2));
}

/**
 * The next `count` drill times of a runbook (epoch ms), computed by node-cron in the runbook's time zone, from
 * now. node-cron computes from the system clock, which is why this lives at the edge and the engine takes times.
 * A time a daylight-saving gap skips runs at the jump (clock-gaps.ts); one a fold repeats, once.
 */
export function nextDrills(runbook: Runbook, count: number): number[] {
  if (!runbook.drill) return [];
  const expression = drillCron(runbook.drill.schedule);
  const { timezone } = runbook.drill;
  const from = Date.now();
  const task = createTask(expression, () => {}, { timezone });
  let runs: number[];
  try {
    runs = task.getNextRuns(count).map((date) => date.getTime());
  } finally {
    void task.destroy();
  }
  const last = runs.at(-1);
  if (last === undefined) return runs;
  const gaps = gapRuns(expression, timezone, from, last);
  return [...new Set([...runs, ...gaps])].sort((a, b) => a - b).slice(0, count);
}

/**
 * Puts every runbook's next drill (and its reminders) into the store as durable deadlines, and bounds the wait of
 * a drill waiting for its decision that has no such deadline (drill-undecided.ts). Idempotent (the
 * deadline ids name the occurrence), so every replica can plan and each occurrence still fires once. A runbook
 * that cannot be planned (the loader checks schedules and time zones, but the store may fail) is logged and
 * skipped: one bad runbook must not leave every model after it without drills.
 */
export async function planDrills(deps: EngineDeps): Promise<number> {
  let planned = 0;
  for (const runbook of deps.runbooks.all) {
    try {
      const [next] = nextDrills(runbook, 1);
      if (next === undefined || !runbook.drill) continue;
      await scheduleDrillOccurrence(deps, runbook, next);
      await boundDrillWait(deps, runbook.model);
      planned++;
    } catch (error) {
      deps.logger.error(
        { err: error, model: runbook.model },
        'cannot plan the drills of this runbook; skipped',
      );
    }
  }
  return planned;
}

/**
 * Plans drills now and then every hour (a node-cron task), so that the next occurrence is always in the store
 * well before its first reminder. `stop()` ends the task.
 */
export function startDrillPlanner(deps: EngineDeps): { stop(): Promise<void> } {
  return startHourly(
    { name: 'rollbot-drill-planner', minute: 17, logger: deps.logger, failure: 'drill planning failed' },
    () => planDrills(deps),
  );
}
