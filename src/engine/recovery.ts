import type { Incident } from '../core/incident.js';
import { finishRollback } from '../core/rollback.js';
import { startConfirmation } from './confirm.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { mutateIncident } from './mutate.js';
import { rollbackLockName } from './rollback.js';

/**
 * Finds rollbacks that were executing when their bot stopped (the incident says "executing" but nobody holds
 * the model's rollback lock) and settles each by reading the serving layer — never by executing again.
 * Run at start-up and when a rollback target comes due. Returns how many were settled.
 */
export async function recoverInterruptedRollbacks(deps: EngineDeps): Promise<number> {
  let settled = 0;
  for (const incident of await deps.store.listIncidents({ open: true })) {
    if (await recoverOrCheckLater(deps, incident.id)) settled++;
  }
  return settled;
}

export const ROLLBACK_RECOVER = 'rollback-recover';

/**
 * Settles an interrupted rollback now, or — while the model's rollback lock is still held (by a live bot, or
 * by a dead one until its lease lapses) — checks again after a lease, durably: a crashed bot's rollback must
 * not stay "executing" for good because its lock outlived the rollback target.
 */
export async function recoverOrCheckLater(deps: EngineDeps, incidentId: string): Promise<boolean> {
  if (await recoverInterruptedRollback(deps, incidentId)) return true;
  const current = await deps.store.getIncident(incidentId);
  if (current?.rollback?.status !== 'executing') return false;
  if (!(await deps.store.holder(rollbackLockName(current.model)))) return false;
  await deps.store.schedule({
    id: `${incidentId}:rollback-recover`,
    kind: ROLLBACK_RECOVER,
    dueAt: deps.clock.now() + deps.timing.lockTtlMs,
    payload: { incidentId },
  });
  return false;
}

/** Settles one incident's interrupted rollback, if it has one; true when it did. */
export async function recoverInterruptedRollback(deps: EngineDeps, incidentId: string): Promise<boolean> {
  const current = await deps.store.getIncident(incidentId);
  if (current?.rollback?.status !== 'executing') return false;
  if (await deps.store.holder(rollbackLockName(current.model))) return false;
  const at = deps.clock.now();
  const { incident, changed } = await mutateIncident(deps.store, incidentId, (latest) =>
    latest.rollback?.status === 'executing'
      ? finishRollback(latest, 'unknown', at, 'rollbot stopped during the rollback')
      : undefined,
  );
  if (!changed || !incident.rollback) return false;
  const { plan, target } = incident.rollback;
  await record(deps, incident, {
    type: 'rollback.unknown',
    text: `outcome unknown: rollbot stopped while rolling back to ${plan.to}; re-reading ${target} instead of executing again`,
  });
  await settle(deps, incident);
  return true;
}

async function settle(deps: EngineDeps, incident: Incident): Promise<void> {
  const runbook = runbookOf(deps, incident);
  const rollback = incident.rollback;
  if (!runbook || !rollback) return;
  let verdict: string;
  try {
    const adapter = deps.serving(runbook.serving, { model: incident.model });
    if (await adapter.onTarget(rollback.plan)) {
      const at = deps.clock.now();
      const { incident: done } = await mutateIncident(deps.store, incident.id, (latest) =>
        finishRollback(latest, 'succeeded', at),
      );
      if (rollback.plan.from !== undefined)
        await deps.store.markRolledBack(incident.model, rollback.plan.from, at, incident.id);
      const text = `${rollback.target} shows traffic on ${rollback.plan.to}: the interrupted rollback took effect; confirming`;
      await record(deps, done, { type: 'rollback.succeeded', text });
      deps.metrics.rollbackFinished(
        incident.model,
        'succeeded',
        rollback.trigger,
        (at - rollback.startedAt) / 1000,
      );
      await deps.notifier.notify({
        type: 'incident.updated',
        incident: done,
        channel: runbook.channel,
        text,
      });
      await startConfirmation(deps, incident.id);
      return;
    }
    verdict = `${rollback.target} does not show traffic on ${rollback.plan.to}`;
  } catch (error) {
    verdict = `${rollback.target} could not be read (${(error as Error).message})`;
  }
  deps.metrics.rollbackFinished(
    incident.model,
    'unknown',
    rollback.trigger,
    (deps.clock.now() - rollback.startedAt) / 1000,
  );
  const text = `rollback of ${incident.model} to ${rollback.plan.to}: outcome unknown after a restart; ${verdict}. Check it, then run the rollback again (rollbot rollback ${incident.model} --reason …) or decide otherwise.`;
  await record(deps, incident, { type: 'rollback.unknown', text });
  await deps.notifier.notify({
    type: 'escalation',
    incident,
    channel: runbook.channel,
    stage: 'rollback',
    mention: runbook.escalation.mention,
    text,
  });
}
