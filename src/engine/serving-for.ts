import type { Incident } from '../core/incident.js';
import type { Runbook } from '../runbooks/schema.js';
import type { ServingConfig } from '../runbooks/serving.js';

/** The serving layer a rollback on an incident reads and plans against, and whether it may change it. */
export interface RollbackServing {
  serving: ServingConfig;
  /** False for a dry-run drill: it reads and plans against production and changes nothing. */
  executes: boolean;
}

/**
 * Which serving layer a rollback on this incident acts on: production for a real incident, the runbook's drill
 * target for a drill. A dry-run drill (`rollbot drill run --dry-run`, or a runbook drill with `dryRun: true`
 * and no drill target) plans against production and executes nothing. Undefined for a drill whose runbook has
 * no drill block (any more): there is no layer it may touch.
 */
export function rollbackServing(
  runbook: Runbook,
  incident: Pick<Incident, 'drill' | 'labels'>,
): RollbackServing | undefined {
  if (!incident.drill) return { serving: runbook.serving, executes: true };
  if (!runbook.drill) return undefined;
  const drillServing = runbook.drill.serving;
  if (incident.labels.drill_dry_run === 'true' || !drillServing)
    return { serving: runbook.serving, executes: false };
  return { serving: drillServing, executes: true };
}
