import { RollbotError } from '../core/errors.js';
import { openIncident, type Incident } from '../core/incident.js';
import { beginRollback, type RollbackStart } from '../core/rollback.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, type EngineDeps } from './context.js';
import { scheduleStageTarget } from './escalation.js';
import { mutateIncident } from './mutate.js';

/**
 * Puts a rollback on the model's open incident (recording the decision), or opens a manual incident for it
 * when there is none. Schedules the rollback and confirm targets. Returns the incident as stored.
 */
export async function startRollbackOnIncident(
  deps: EngineDeps,
  runbook: Runbook,
  start: RollbackStart,
): Promise<Incident> {
  const open = await deps.store.openIncidentFor(runbook.model);
  // The automatic policy decides the incident it triaged; when that one closed meanwhile ("not a rollback",
  // resolved), it must not open a manual incident of its own.
  if (!open && start.trigger === 'auto') {
    throw new RollbotError(
      'CONFLICT',
      `${runbook.model} has no open incident any more (it was decided "not a rollback" or resolved while triage ran): the automatic policy only decides an incident it triaged`,
    );
  }
  const triageStart = open?.phase === 'triage' ? open.stages.triage.startedAt : undefined;
  if (open && triageStart !== undefined)
    deps.metrics.stageCompleted('triage', open.drill, (start.at - triageStart) / 1000);
  const incident = open
    ? (await mutateIncident(deps.store, open.id, (current) => beginRollback(current, start))).incident
    : await openManual(deps, runbook, start);
  await scheduleStageTarget(deps, incident, 'rollback');
  await scheduleStageTarget(deps, incident, 'confirm');
  const plan = start.plan;
  await record(deps, incident, {
    type: 'rollback.started',
    actor: start.by,
    text: `rollback ${plan.from ?? '(unknown)'} → ${plan.to} on ${start.target} (${plan.regime}) requested by ${start.by} via ${start.trigger}: ${start.reason}`,
    data: {
      attempt: incident.rollback?.attempt,
      plan: { from: plan.from, to: plan.to, regime: plan.regime, etaMs: plan.etaMs },
    },
  });
  return incident;
}

async function openManual(deps: EngineDeps, runbook: Runbook, start: RollbackStart): Promise<Incident> {
  const id = await deps.store.nextIncidentId();
  const opened = openIncident({
    id,
    model: runbook.model,
    severity: runbook.severity.default,
    drill: start.trigger === 'drill',
    summary: `manual rollback: ${start.reason}`,
    labels: { model: runbook.model },
    targets: runbook.targets,
    alert: {
      key: `manual:${id}`,
      source: 'manual',
      fingerprint: `manual-${id}`,
      name: 'manual rollback',
      startsAt: start.at,
      receivedAt: start.at,
    },
  });
  const { incident, created } = await deps.store.createIfNoneOpen(beginRollback(opened, start));
  if (!created) {
    // Another replica opened an incident for this model a moment ago: the rollback belongs on that one.
    throw new RollbotError(
      'CONFLICT',
      `${runbook.model} got an open incident (${incident.id}) while this rollback started`,
      {
        hint: 'try the rollback again: it will join that incident',
      },
    );
  }
  await record(deps, incident, {
    type: 'incident.opened',
    actor: start.by,
    text: `manual incident opened for ${runbook.model} by ${start.by} via ${start.trigger}: ${start.reason}`,
  });
  deps.metrics.incidentOpened(incident.model, incident.severity, incident.drill);
  await deps.notifier.notify({ type: 'incident.opened', incident, channel: runbook.channel });
  return incident;
}
