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
  await scheduleStageDeadline(deps, incident.id, stage, dueAt);
}

function scheduleStageDeadline(
  deps: Pick<EngineDeps, 'store'>,
  incidentId: string,
  stage: Stage,
  dueAt: number,
): Promise<void> {
  return deps.store.schedule({
    id: `${incidentId}:${stage}`,
    kind: STAGE_TARGET,
    dueAt,
    payload: { incidentId, stage },
  });
}

/**
 * How long one delivery of a stage-target deadline holds the right to send its escalation: longer than the
 * poller's 60 s lease, so that a delivery handed out again while the first is still sending waits instead of
 * sending twice. The lock is released as soon as the send ends, failed or not; only a replica that dies in the
 * moment between sending and recording leaves it to expire (and then the escalation may go out twice).
 */
const SEND_LOCK_TTL_MS = 2 * 60_000;

/**
 * Escalates a missed stage target: at least once, and once unless a sender dies between sending and recording.
 * The breach is recorded with a compare-and-set on the incident (the one decision point across replicas, where
 * it is counted); the escalation is then sent, under a lock, unless the timeline shows it was sent already. The
 * timeline entry is written only after the send, so a poller that died before sending is made good by the next
 * delivery of the deadline. A deadline whose incident was never stored is done: there is nothing to escalate.
 */
export async function escalateIfBreached(
  deps: EngineDeps,
  incidentId: string,
  stage: Stage,
): Promise<boolean> {
  const stored = await deps.store.getIncident(incidentId);
  if (!stored) {
    // Intake schedules the triage deadline before it stores the incident: its replica died in between.
    deps.logger.info(
      { incident: incidentId, stage },
      'stage target came due for an incident that was never stored; nothing to escalate',
    );
    return false;
  }
  const now = deps.clock.now();
  const { incident, changed } = await mutateIncident(
    deps.store,
    incidentId,
    (current) => {
      const view = viewStage(stage, current.stages[stage], current.targets[stage], now);
      const missed = view.state !== 'pending' && view.elapsedMs >= view.targetMs;
      return missed ? recordBreach(current, stage, now) : undefined;
    },
    { current: stored },
  );
  if (changed) deps.metrics.targetBreached(stage, incident.model);
  if (incident.stages[stage].breachedAt === undefined) return false;
  return sendOnce(deps, incident, stage);
}

/** Sends the escalation of a recorded breach unless it was sent; true when this call sent it. */
async function sendOnce(deps: EngineDeps, incident: Incident, stage: Stage): Promise<boolean> {
  const now = deps.clock.now();
  const lease = await deps.store.acquire(
    `escalation:${incident.id}:${stage}`,
    'rollbot:escalation',
    SEND_LOCK_TTL_MS,
    now,
  );
  if (!lease) {
    // Another delivery is sending it. Look again once its lock has lapsed, in case that sender dies.
    await scheduleStageDeadline(deps, incident.id, stage, now + SEND_LOCK_TTL_MS);
    return false;
  }
  try {
    if (await wasEscalated(deps, incident.id, stage)) return false;
    await sendEscalation(deps, incident, stage);
    return true;
  } finally {
    await deps.store.release(lease);
  }
}

async function wasEscalated(deps: EngineDeps, incidentId: string, stage: Stage): Promise<boolean> {
  const timeline = await deps.store.list(incidentId);
  return timeline.some((entry) => entry.type === 'stage.breached' && entry.data?.stage === stage);
}

/** Notifies, then records: the timeline entry is the mark that the escalation went out. */
async function sendEscalation(deps: EngineDeps, incident: Incident, stage: Stage): Promise<void> {
  const runbook = runbookOf(deps, incident);
  const mention = runbook?.escalation.mention ?? [];
  const view = viewStage(stage, incident.stages[stage], incident.targets[stage], deps.clock.now());
  const who = mention.length ? mention.join(', ') : 'nobody (the runbook has no escalation.mention)';
  const text = `${stage} target missed for ${incident.model} (${incident.id}): ${formatDuration(view.elapsedMs)} against a target of ${formatDuration(view.targetMs)}${STAGE_ASK[stage]}`;
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
  await record(deps, incident, {
    type: 'stage.breached',
    text: `${text}; escalated to ${who}`,
    data: { stage, mention },
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
