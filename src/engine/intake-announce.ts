import { formatDuration } from '../core/duration.js';
import { isOpen, type Incident } from '../core/incident.js';
import { formatSeverity, type Severity } from '../core/severity.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { escalateSoonIfMissed } from './escalation.js';
import { openingDone, openOnce } from './opening.js';
import { scheduleTriage } from './triage.js';

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
  if (announced !== 'busy') await openingDone(deps, incident.id);
}

/**
 * The stand-in of an alert's opening (opening.ts): does what announceOpened had not done when its opener died,
 * each once (the first triage run has a stand-in of its own). An incident already over needs nothing: people
 * dealt with it.
 */
export async function finishAlertOpening(deps: EngineDeps, incidentId: string): Promise<void> {
  const incident = await deps.store.getIncident(incidentId);
  const runbook = incident && runbookOf(deps, incident);
  if (!incident || !runbook || !isOpen(incident)) return;
  // Busy: another sender is announcing it, and goes on to escalate; a look after its lock is scheduled.
  if ((await announceOnce(deps, runbook, incident)) === 'busy') return;
  await escalateSoonIfMissed(deps, incident, 'detect');
}

/** Announces the incident unless it was announced, by this process or another (see sendOnce). */
function announceOnce(deps: EngineDeps, runbook: Runbook, incident: Incident) {
  return openOnce(deps, incident.id, 'alert', {
    markTypes: ['incident.opened'],
    send: () => announce(deps, runbook, incident),
  });
}

/** Notifies, then records: the timeline entry is the mark that the announcement went out. */
async function announce(deps: EngineDeps, runbook: Runbook, incident: Incident): Promise<void> {
  const detectMs = (incident.stages.detect.endedAt ?? 0) - (incident.stages.detect.startedAt ?? 0);
  const first = incident.alerts[0];
  // A declared incident's detection was not measured (core/incident-stages.ts, skipStages): no 0 s to observe.
  const skipped = incident.stages.detect.skipped;
  deps.metrics.incidentOpened(incident.model, incident.severity, incident.drill);
  if (skipped === undefined) deps.metrics.stageCompleted('detect', incident.drill, detectMs / 1000);
  deps.logger.info(
    { incident: incident.id, model: incident.model, severity: incident.severity },
    'incident opened',
  );
  await deps.notifier.notify({ type: 'incident.opened', incident, channel: runbook.channel });
  await record(deps, incident, {
    type: 'incident.opened',
    text: `${formatSeverity(incident.severity)} incident opened for ${incident.model}: ${incident.summary} (${skipped === undefined ? `detected in ${formatDuration(detectMs)}, target ${formatDuration(incident.targets.detect)}` : `detection not measured: ${skipped}`})`,
    data: {
      alert: first?.name,
      fingerprint: first?.fingerprint,
      source: first?.source,
      ...(skipped === undefined ? { detectMs } : {}),
    },
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
