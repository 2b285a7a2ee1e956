import { formatDuration } from '../core/duration.js';
import { isOpen, type Incident } from '../core/incident.js';
import { formatSeverity, type Severity } from '../core/severity.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { escalateSoonIfMissed, scheduleStageTarget, stageTargetId } from './escalation.js';
import { sendOnce } from './send-once.js';
import { scheduleTriage, scheduleTriageAt, triageRunId } from './triage.js';

/**
 * Deadline kind that finishes opening an incident whose opener died after storing it (or took over a minute):
 * it announces the incident and escalates a missed detect target; payload `{incidentId}`.
 */
export const INCIDENT_OPENING = 'incident-opening';

/** How long the opener has to finish the opening itself, well beyond the moments it takes. */
const OPENING_GRACE_MS = 60_000;
const openingId = (incidentId: string): string => `${incidentId}:opening`;

/**
 * Makes the opening of an incident about to be stored durable. Scheduled before it is stored, so that a crash
 * at any point after cannot leave it unannounced, untriaged or unescalated: its triage target; its first
 * triage run, which the opener brings forward to now; and the opening's stand-in. A minute on, the stand-ins
 * do what the opener had not done. Whatever comes due for an incident never stored does nothing.
 */
export async function scheduleOpening(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  candidate: Incident,
): Promise<void> {
  const standInAt = deps.clock.now() + OPENING_GRACE_MS;
  await scheduleStageTarget(deps, candidate, 'triage');
  await scheduleTriageAt(deps, candidate.id, standInAt);
  await scheduleStandIn(deps, candidate.id, standInAt);
}

/** The candidate was not stored (the model had an open incident by then): its opening's deadlines go. */
export async function dropOpening(deps: Pick<EngineDeps, 'store'>, candidateId: string): Promise<void> {
  for (const id of [stageTargetId(candidateId, 'triage'), triageRunId(candidateId), openingId(candidateId)])
    await deps.store.cancel(id);
}

/**
 * The incident this process has just stored for an alert: announced (on the timeline, in the metrics and the
 * channel), triaged now, and a missed detect target escalated; then the opening's stand-in is not needed. Were
 * this opener so slow that the stand-in is announcing it already, the stand-in stays and finishes the work.
 */
export async function announceOpened(deps: EngineDeps, runbook: Runbook, incident: Incident): Promise<void> {
  const announced = await announceOnce(deps, runbook, incident);
  // An opener that did not announce it is over a minute late: the first triage run was the stand-in's to
  // start, and moving it now could run triage twice.
  if (announced === 'sent') await scheduleTriage(deps, incident, runbook);
  // Detection is over before rollbot hears of the alert, so a missed detect target is escalated now.
  await escalateSoonIfMissed(deps, incident, 'detect');
  if (announced !== 'busy') await deps.store.cancel(openingId(incident.id));
}

/**
 * Handles the opening's stand-in: does what announceOpened had not done when its opener died, each once (the
 * first triage run has a stand-in of its own). An incident already over needs nothing: people dealt with it.
 */
export async function finishOpening(deps: EngineDeps, incidentId: string): Promise<void> {
  const incident = await deps.store.getIncident(incidentId);
  const runbook = incident && runbookOf(deps, incident);
  if (!incident || !runbook || !isOpen(incident)) return;
  // Busy: another sender is announcing it, and goes on to escalate; a look after its lock is scheduled.
  if ((await announceOnce(deps, runbook, incident)) === 'busy') return;
  await escalateSoonIfMissed(deps, incident, 'detect');
}

function scheduleStandIn(deps: Pick<EngineDeps, 'store'>, incidentId: string, dueAt: number) {
  return deps.store.schedule({
    id: openingId(incidentId),
    kind: INCIDENT_OPENING,
    dueAt,
    payload: { incidentId },
  });
}

/** Announces the incident unless it was announced, by this process or another (see sendOnce). */
function announceOnce(deps: EngineDeps, runbook: Runbook, incident: Incident) {
  return sendOnce(deps, incident.id, {
    lock: `opening:${incident.id}`,
    isMark: (entry) => entry.type === 'incident.opened',
    send: () => announce(deps, runbook, incident),
    lookAgainAt: (at) => scheduleStandIn(deps, incident.id, at),
  });
}

/** Notifies, then records: the timeline entry is the mark that the announcement went out. */
async function announce(deps: EngineDeps, runbook: Runbook, incident: Incident): Promise<void> {
  const detectMs = (incident.stages.detect.endedAt ?? 0) - (incident.stages.detect.startedAt ?? 0);
  const first = incident.alerts[0];
  deps.metrics.incidentOpened(incident.model, incident.severity, incident.drill);
  deps.metrics.stageCompleted('detect', incident.drill, detectMs / 1000);
  deps.logger.info(
    { incident: incident.id, model: incident.model, severity: incident.severity },
    'incident opened',
  );
  await deps.notifier.notify({ type: 'incident.opened', incident, channel: runbook.channel });
  await record(deps, incident, {
    type: 'incident.opened',
    text: `${formatSeverity(incident.severity)} incident opened for ${incident.model}: ${incident.summary} (detected in ${formatDuration(detectMs)}, target ${formatDuration(incident.targets.detect)})`,
    data: { alert: first?.name, fingerprint: first?.fingerprint, source: first?.source, detectMs },
  });
}

/**
 * A joining alert made the incident worse (SEV-3 → SEV-1, say): the channel is told and, like an opening at the
 * new severity, it may page. Without this the message would show the old severity and nobody would be paged.
 */
export async function announceRaised(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  from: Severity,
): Promise<void> {
  const text = `severity raised from ${formatSeverity(from)} to ${formatSeverity(incident.severity)} by a joining alert`;
  deps.logger.info({ incident: incident.id, from, to: incident.severity }, 'incident severity raised');
  await deps.notifier.notify({
    type: 'incident.updated',
    incident,
    channel: runbook.channel,
    text,
    severityRaisedFrom: from,
  });
}
