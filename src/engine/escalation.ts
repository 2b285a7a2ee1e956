import { formatDuration } from '../core/duration.js';
import { recordBreach, type Incident } from '../core/incident.js';
import { stageDueAt, viewStage, type Stage } from '../core/stages.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { mutateIncident } from './mutate.js';

export const STAGE_TARGET = 'stage-target';

/** Schedules the durable deadline at which `stage` misses its target (a no-op if the stage is not running). */
export async function scheduleStageTarget(
  deps: Pick<EngineDeps, 'store'>,
  incident: Incident,
  stage: Stage,
): Promise<void> {
  const dueAt = stageDueAt(incident.stages[stage], incident.targets[stage]);
  if (dueAt === undefined) return;
  await deps.store.schedule({
    id: `${incident.id}:${stage}`,
    kind: STAGE_TARGET,
    dueAt,
    payload: { incidentId: incident.id, stage },
  });
}

/**
 * Escalates a missed stage target, once. The breach is recorded with a compare-and-set on the incident (the
 * one decision point across replicas); the escalation itself is then sent unless the timeline shows it was
 * sent already, so a poller that died in between is made good by the next delivery of the deadline.
 */
export async function escalateIfBreached(
  deps: EngineDeps,
  incidentId: string,
  stage: Stage,
): Promise<boolean> {
  const now = deps.clock.now();
  const { incident } = await mutateIncident(deps.store, incidentId, (current) => {
    const view = viewStage(stage, current.stages[stage], current.targets[stage], now);
    const missed = view.state !== 'pending' && view.elapsedMs >= view.targetMs;
    return missed ? recordBreach(current, stage, now) : undefined;
  });
  if (incident.stages[stage].breachedAt === undefined) return false;
  const timeline = await deps.store.list(incidentId);
  if (timeline.some((entry) => entry.type === 'stage.breached' && entry.data?.stage === stage)) return false;
  await sendEscalation(deps, incident, stage);
  return true;
}

async function sendEscalation(deps: EngineDeps, incident: Incident, stage: Stage): Promise<void> {
  const runbook = runbookOf(deps, incident);
  const mention = runbook?.escalation.mention ?? [];
  const view = viewStage(stage, incident.stages[stage], incident.targets[stage], deps.clock.now());
  const who = mention.length ? mention.join(', ') : 'nobody (the runbook has no escalation.mention)';
  const text = `${stage} target missed for ${incident.model} (${incident.id}): ${formatDuration(view.elapsedMs)} against a target of ${formatDuration(view.targetMs)}${STAGE_ASK[stage]}`;
  await record(deps, incident, {
    type: 'stage.breached',
    text: `${text}; escalated to ${who}`,
    data: { stage, mention },
  });
  deps.metrics.targetBreached(stage, incident.model);
  deps.logger.warn(
    { incident: incident.id, stage, elapsedMs: view.elapsedMs },
    'stage target missed; escalating',
  );
  await deps.notifier.notify({
    type: 'escalation',
    incident,
    channel: runbook?.channel ?? '',
    stage,
    mention,
    text,
  });
}

/** What each missed stage asks of the people it is escalated to. */
const STAGE_ASK: Record<Stage, string> = {
  detect: ': the alert arrived late; check alert rule `for:` and Alertmanager group_wait',
  triage: ': no decision yet; roll back or record "not a rollback"',
  rollback: ': traffic is not yet on the known-good version; check the serving layer',
  confirm: ': the rollback has not been confirmed by metrics',
  retro: ': the retrospective is overdue',
};
