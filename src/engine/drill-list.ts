import type { EngineDeps } from './context.js';
import { drillHistory, drillTarget, lastDrillSuccess, type DrillResult } from './drill.js';
import { lastSkipped, type SkippedDrill } from './drill-skips.js';

export interface DrillListing {
  model: string;
  schedule: string;
  timezone: string;
  target: string;
  next: number[];
  lastSuccess?: number;
  last?: DrillResult;
  /** The last scheduled occurrence that did not run, and why (an incident open, rollbot down). */
  lastSkipped?: SkippedDrill;
}

/** Every model's drill schedule, next runs (computed by the caller's calendar), last results and last skip. */
export async function listDrills(
  deps: EngineDeps,
  nextRuns: (model: string) => number[],
): Promise<DrillListing[]> {
  const listings: DrillListing[] = [];
  for (const runbook of deps.runbooks.all) {
    if (!runbook.drill) continue;
    const [last] = await drillHistory(deps, runbook.model);
    const lastSuccess = await lastDrillSuccess(deps, runbook.model);
    const skipped = await lastSkipped(deps, runbook.model);
    listings.push({
      model: runbook.model,
      schedule: runbook.drill.schedule,
      timezone: runbook.drill.timezone,
      target: drillTarget(runbook),
      next: nextRuns(runbook.model),
      ...(lastSuccess === undefined ? {} : { lastSuccess }),
      ...(last ? { last } : {}),
      ...(skipped ? { lastSkipped: skipped } : {}),
    });
  }
  return listings;
}

/** One line per model, for `/drill list` and `rollbot drill list`. */
export function drillListText(listings: readonly DrillListing[]): string {
  if (listings.length === 0) return 'no runbook has a drill configured';
  return listings
    .map((l) => {
      const next = l.next.map((at) => new Date(at).toISOString()).join(', ') || 'none';
      const last = l.last ? `last ${l.last.outcome} ${new Date(l.last.at).toISOString()}` : 'never drilled';
      const success = l.lastSuccess ? `; last success ${new Date(l.lastSuccess).toISOString()}` : '';
      const skipped = l.lastSkipped
        ? `; last skipped ${new Date(l.lastSkipped.at).toISOString()}: ${l.lastSkipped.reason}`
        : '';
      return `${l.model}: ${l.schedule} (${l.timezone}) against ${l.target}; next ${next}; ${last}${success}${skipped}`;
    })
    .join('\n');
}
