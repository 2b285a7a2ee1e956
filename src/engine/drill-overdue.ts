/**
 * When a model's drill is overdue: 100 days (DRILL_OVERDUE_MS) after its last passed drill, or after its drills
 * were first planned when none passed. What the deployment gate closes on, the skip notes and the drill gauge read.
 */
import { DRILL_OVERDUE_MS } from '../core/drill-cadence.js';
import { formatDuration } from '../core/duration.js';
import type { Runbook } from '../runbooks/schema.js';
import type { EngineDeps } from './context.js';
import { lastDrillSuccess } from './drill.js';
import type { RunbookSet } from './runbook-set.js';

/**
 * For the `rollbot_drill_last_success_timestamp_seconds` gauge: every model with drills, its last drill success
 * (epoch ms) or, when it has never passed one, when its drills were first planned: the time its 100 days count
 * from (drillOverdue). Without it, the model most in need of RollbotDrillOverdue (every drill failed, or none ran)
 * would have no series and the alert could never fire. A model without a drill block has none, as it has no
 * overdue drill at the gate, also when it passed drills before the block was taken out: its series would fire the
 * alert 100 days on, for good, over drills nobody is to run.
 */
export async function drillSuccesses(
  deps: Pick<EngineDeps, 'store'>,
  runbooks: RunbookSet,
): Promise<Record<string, number>> {
  const entries = await Promise.all(
    runbooks.all.map(async (runbook) => {
      if (!runbook.drill) return [runbook.model, undefined] as const;
      const reference =
        (await lastDrillSuccess(deps, runbook.model)) ?? (await plannedSince(deps, runbook.model));
      return [runbook.model, reference] as const;
    }),
  );
  return Object.fromEntries(
    entries.filter((entry): entry is readonly [string, number] => entry[1] !== undefined),
  );
}

const sinceKey = (model: string) => `drill:planned-since:${model}`;

/** Remembers when drills were first planned for a model: the clock an overdue drill is measured from. */
export async function notePlanned(deps: Pick<EngineDeps, 'store' | 'clock'>, model: string): Promise<void> {
  if ((await deps.store.getValue(sinceKey(model))) === undefined)
    await deps.store.setValue(sinceKey(model), String(deps.clock.now()));
}

/** When drills were first planned for the model (epoch ms), if they were. */
async function plannedSince(deps: Pick<EngineDeps, 'store'>, model: string): Promise<number | undefined> {
  const since = Number((await deps.store.getValue(sinceKey(model))) ?? NaN);
  return Number.isFinite(since) ? since : undefined;
}

/**
 * When the model's deployment gate closes for want of a passed drill (DRILL_OVERDUE_MS after its last successful
 * drill, or after its drills were first planned when none passed), and which of the two it counts from; undefined
 * for a model without drills, or whose drills were never planned.
 */
export async function drillGateClosing(
  deps: Pick<EngineDeps, 'store'>,
  runbook: Runbook,
): Promise<{ at: number; from: 'last success' | 'planned' } | undefined> {
  if (!runbook.drill) return undefined;
  const lastSuccess = await lastDrillSuccess(deps, runbook.model);
  if (lastSuccess !== undefined) return { at: lastSuccess + DRILL_OVERDUE_MS, from: 'last success' };
  const since = await plannedSince(deps, runbook.model);
  return since === undefined ? undefined : { at: since + DRILL_OVERDUE_MS, from: 'planned' };
}

/** Why the model's drill is overdue (no success in 100 days since drills were planned), or undefined. */
export async function drillOverdue(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  runbook: Runbook,
): Promise<string | undefined> {
  const closing = await drillGateClosing(deps, runbook);
  const now = deps.clock.now();
  if (closing === undefined || now < closing.at) return undefined;
  const ago = formatDuration(now - (closing.at - DRILL_OVERDUE_MS));
  return closing.from === 'planned'
    ? `no successful rollback drill since drills were planned ${ago} ago`
    : `last successful rollback drill ${ago} ago (due every quarter)`;
}
