import { formatDuration } from '../core/duration.js';
import type { EngineDeps } from './context.js';
import { rollbackLockName } from './rollback.js';

export interface GateAnswer {
  model: string;
  allowed: boolean;
  reasons: string[];
}

/**
 * May this model be deployed now? Closed while it has an open incident or a rollback in flight, each reason
 * said plainly so that a CI log explains itself.
 */
export async function deploymentGate(deps: EngineDeps, model: string): Promise<GateAnswer> {
  const runbook = deps.runbooks.require(model);
  const reasons: string[] = [];
  const now = deps.clock.now();
  const open = await deps.store.openIncidentFor(runbook.model);
  if (open)
    reasons.push(
      `open incident ${open.id} (${open.phase}) since ${formatDuration(now - open.openedAt)}: ${open.summary}`,
    );
  const holder = await deps.store.holder(rollbackLockName(runbook.model));
  if (holder)
    reasons.push(`rollback in flight by ${holder.owner} since ${new Date(holder.acquiredAt).toISOString()}`);
  return { model: runbook.model, allowed: reasons.length === 0, reasons };
}
