import { RollbotError } from '../core/errors.js';
import { isOpen, openIncident, type Incident } from '../core/incident.js';
import { skipStages } from '../core/incident-stages.js';
import { beginRollback, type RollbackRecord, type RollbackStart } from '../core/rollback.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { guardScoring } from './drill.js';
import { scheduleStageTarget } from './escalation.js';
import { mutateIncident } from './mutate.js';
import { dropOpening, openingDone, openOnce, scheduleOpening } from './opening.js';
import type { TimelineEntry } from './ports.js';
import { refuseOutOfScope, refuseStaleAct, scopedIncident, type RollbackScope } from './rollback-scope.js';
import { entriesOfTypes } from './timeline-types.js';

/**
 * Puts a rollback on the incident of its scope (recording the decision): its drill, or the model's open real
 * incident; opens a manual incident for a real rollback when there is none. Its rollback and confirm targets are
 * scheduled before the rollback is stored, so that should this process die once it is, the rollback target
 * settles the rollback left executing (recovery.ts) on whichever replica is up. Returns the incident as stored.
 */
export async function startRollbackOnIncident(
  deps: EngineDeps,
  runbook: Runbook,
  scope: RollbackScope,
  start: RollbackStart,
): Promise<Incident> {
  const planning = 'while its rollback was being planned';
  // A drill's rollback goes on its drill only, refused once that ended (a real alert, or its opening's stand-in
  // while its starter stalled); a real rollback never goes on a drill (rollback-scope.ts).
  const open = await scopedIncident(deps, scope, planning);
  // The automatic policy decides the incident it triaged; when that one closed meanwhile ("not a rollback",
  // resolved), it must not open a manual incident of its own.
  if (!open && start.trigger === 'auto') {
    throw new RollbotError(
      'CONFLICT',
      `${runbook.model} has no open incident any more (it was decided "not a rollback" or resolved while triage ran): the automatic policy only decides an incident it triaged`,
    );
  }
  const incident = open
    ? await beginOnOpen(deps, open, start, (current) => {
        refuseStaleAct(scope, current);
        refuseOutOfScope(scope, current, planning);
      })
    : await openManual(deps, runbook, start);
  if (incident.rollback) await recordRollbackStarted(deps, incident.id, incident.rollback);
  return incident;
}

/**
 * Begins the rollback on the open incident: its targets first (see startRollbackOnIncident), scheduled as the
 * incident will be stored. A refusal (out of the rollback's scope, a rollback already executing, the automatic
 * policy after a decision) comes before anything is scheduled.
 */
async function beginOnOpen(
  deps: EngineDeps,
  open: Incident,
  start: RollbackStart,
  refuse: (current: Incident) => void,
): Promise<Incident> {
  refuse(open);
  const candidate = beginRollback(open, start);
  await scheduleStageTarget(deps, candidate, 'rollback');
  await scheduleStageTarget(deps, candidate, 'confirm');
  // A drill is over once scored, which its rollback's end leads to: that too must not die with this process.
  if (open.drill) await guardScoring(deps, open.id);
  // Observed for the decision stored, once: not for a rollback refused because another began since `open` was read.
  let triageStart: number | undefined;
  const begun = await mutateIncident(deps.store, open.id, (current) => {
    refuse(current);
    triageStart = current.phase === 'triage' ? current.stages.triage.startedAt : undefined;
    return beginRollback(current, start);
  });
  if (triageStart !== undefined)
    deps.metrics.stageCompleted('triage', open.drill, (start.at - triageStart) / 1000);
  return begun.incident;
}

/**
 * The timeline entry of a rollback attempt's start: who asked for it, why, and its plan. Written by whoever
 * began it, or, should that one have died first, by the replica that settles the attempt (recovery.ts).
 */
export function recordRollbackStarted(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  incidentId: string,
  rollback: RollbackRecord,
): Promise<TimelineEntry> {
  const { plan } = rollback;
  return record(
    deps,
    { id: incidentId },
    {
      type: 'rollback.started',
      actor: rollback.by,
      text: `rollback ${plan.from ?? '(unknown)'} → ${plan.to} on ${rollback.target} (${plan.regime}) requested by ${rollback.by} via ${rollback.trigger}: ${rollback.reason}`,
      data: {
        attempt: rollback.attempt,
        plan: { from: plan.from, to: plan.to, regime: plan.regime, etaMs: plan.etaMs },
      },
    },
  );
}

/** Whether the start of the incident's rollback attempt `attempt` is on its timeline. */
export async function rollbackStartRecorded(
  deps: Pick<EngineDeps, 'store'>,
  incidentId: string,
  attempt: number,
): Promise<boolean> {
  const started = await entriesOfTypes(deps, incidentId, ['rollback.started']);
  return started.some((entry) => entry.data?.attempt === attempt);
}

/**
 * Opens a manual incident for the rollback, decided and rolling back from the moment it is stored. Its opening
 * is durable as an alert's is (opening.ts): should this process die once it is stored, its rollback and confirm
 * clocks run (the rollback's target settles a rollback left executing, recovery.ts), and the stand-in
 * announces it.
 */
async function openManual(deps: EngineDeps, runbook: Runbook, start: RollbackStart): Promise<Incident> {
  const id = await deps.store.nextIncidentId();
  const opened = openIncident({
    id,
    model: runbook.model,
    severity: runbook.severity.default,
    drill: false,
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
  // Decided as it opens, from no alert: its detect and triage are skipped, not met in 0 s.
  const candidate = beginRollback(
    skipStages(opened, ['detect', 'triage'], 'no alert: opened by a rollback'),
    start,
  );
  await scheduleOpening(deps, candidate, 'manual');
  const { incident, created } = await deps.store.createIfNoneOpen(candidate);
  if (!created) {
    await dropOpening(deps, candidate);
    // Another replica opened an incident for this model a moment ago: the rollback belongs on that one.
    throw new RollbotError(
      'CONFLICT',
      `${runbook.model} got an open incident (${incident.id}) while this rollback started`,
      {
        hint: 'try the rollback again: it will join that incident',
      },
    );
  }
  if ((await announceOnce(deps, runbook, incident)) !== 'busy') await openingDone(deps, incident.id);
  return incident;
}

/**
 * The stand-in of a manual incident's opening (opening.ts): announces it if its opener had not. An incident
 * already over needs nothing: people dealt with it.
 */
export async function finishManualOpening(deps: EngineDeps, incidentId: string): Promise<void> {
  const incident = await deps.store.getIncident(incidentId);
  const runbook = incident && runbookOf(deps, incident);
  if (!incident || !runbook || !isOpen(incident)) return;
  await announceOnce(deps, runbook, incident);
}

/** Announces the manual incident unless it was announced, by this process or another (see sendOnce). */
function announceOnce(deps: EngineDeps, runbook: Runbook, incident: Incident) {
  return openOnce(deps, incident.id, 'manual', {
    markTypes: ['incident.opened'],
    send: () => announce(deps, runbook, incident),
  });
}

/** Notifies, then records: the timeline entry is the mark that the announcement went out. */
async function announce(deps: EngineDeps, runbook: Runbook, incident: Incident): Promise<void> {
  // Stored decided (beginRollback): who asked for the rollback, and why, are its decision's.
  const decision = incident.decision;
  const asked = decision
    ? ` by ${decision.by} via ${decision.trigger}: ${decision.reason}`
    : `: ${incident.summary}`;
  deps.metrics.incidentOpened(incident.model, incident.severity, incident.drill);
  await deps.notifier.notify({ type: 'incident.opened', incident, channel: runbook.channel });
  await record(deps, incident, {
    type: 'incident.opened',
    actor: decision?.by ?? 'rollbot',
    text: `manual incident opened for ${runbook.model}${asked}`,
  });
}
