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
  /**
   * The model's open incident: its drill under way (waiting for a decision, or rolling back), or a real incident,
   * which refuses a drill due meanwhile. Without it, a drill started at 10:00 and still waiting for its decision
   * was nowhere in the list, and a real incident's skip came as news.
   */
  open?: OpenIncident;
}

/** The model's open incident as the drill list shows it. */
export interface OpenIncident {
  incidentId: string;
  drill: boolean;
  phase: string;
  /** When it opened (epoch ms). */
  since: number;
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
    const open = await deps.store.openIncidentFor(runbook.model);
    listings.push({
      model: runbook.model,
      schedule: runbook.drill.schedule,
      timezone: runbook.drill.timezone,
      target: drillTarget(runbook),
      next: nextRuns(runbook.model),
      ...(lastSuccess === undefined ? {} : { lastSuccess }),
      ...(last ? { last } : {}),
      ...(skipped ? { lastSkipped: skipped } : {}),
      ...(open
        ? { open: { incidentId: open.id, drill: open.drill, phase: open.phase, since: open.openedAt } }
        : {}),
    });
  }
  return listings;
}

function openText(open: OpenIncident | undefined): string {
  if (!open) return '';
  const since = `since ${new Date(open.since).toISOString()} (${open.phase})`;
  return open.drill
    ? `; drill ${open.incidentId} under way ${since}`
    : `; incident ${open.incidentId} open ${since}: a drill due meanwhile is skipped`;
}

/** A listing for scripts (`rollbot drill list --format json`): what the table shows, every time as ISO text. */
export interface DrillListingJson {
  model: string;
  schedule: string;
  timezone: string;
  target: string;
  next: string[];
  lastSuccess?: string;
  last?: Omit<DrillResult, 'at'> & { at: string };
  lastSkipped?: { at: string; reason: string };
  open?: Omit<OpenIncident, 'since'> & { since: string };
}

/**
 * The listings as `rollbot drill list --format json` prints them: the API's epoch milliseconds (`GET /api/drills`)
 * as ISO times, which a script compares and a person reads; absent fields stay absent, as in the API's answer.
 */
export function drillListJson(listings: readonly DrillListing[]): DrillListingJson[] {
  const iso = (at: number) => new Date(at).toISOString();
  return listings.map(({ next, lastSuccess, last, lastSkipped, open, ...rest }) => ({
    ...rest,
    next: next.map(iso),
    ...(lastSuccess === undefined ? {} : { lastSuccess: iso(lastSuccess) }),
    ...(last ? { last: { ...last, at: iso(last.at) } } : {}),
    ...(lastSkipped ? { lastSkipped: { ...lastSkipped, at: iso(lastSkipped.at) } } : {}),
    ...(open ? { open: { ...open, since: iso(open.since) } } : {}),
  }));
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
      return `${l.model}: ${l.schedule} (${l.timezone}) against ${l.target}; next ${next}; ${last}${success}${skipped}${openText(l.open)}`;
    })
    .join('\n');
}
