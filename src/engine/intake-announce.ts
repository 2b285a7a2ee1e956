import { formatDuration } from '../core/duration.js';
import type { Incident } from '../core/incident.js';
import { formatSeverity, type Severity } from '../core/severity.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, type EngineDeps } from './context.js';
import { escalateSoonIfMissed } from './escalation.js';
import { scheduleTriage } from './triage.js';

/** An incident opened by an alert: on the timeline, in the metrics and the channel; triage is scheduled. */
export async function announceOpened(deps: EngineDeps, runbook: Runbook, incident: Incident): Promise<void> {
  const detectMs = (incident.stages.detect.endedAt ?? 0) - (incident.stages.detect.startedAt ?? 0);
  const first = incident.alerts[0];
  await record(deps, incident, {
    type: 'incident.opened',
    text: `${formatSeverity(incident.severity)} incident opened for ${incident.model}: ${incident.summary} (detected in ${formatDuration(detectMs)}, target ${formatDuration(incident.targets.detect)})`,
    data: { alert: first?.name, fingerprint: first?.fingerprint, source: first?.source, detectMs },
  });
  deps.metrics.incidentOpened(incident.model, incident.severity, incident.drill);
  deps.metrics.stageCompleted('detect', incident.drill, detectMs / 1000);
  deps.logger.info(
    { incident: incident.id, model: incident.model, severity: incident.severity },
    'incident opened',
  );
  await deps.notifier.notify({ type: 'incident.opened', incident, channel: runbook.channel });
  await scheduleTriage(deps, incident, runbook);
  // Detection is over before rollbot hears of the alert, so a missed detect target is escalated now.
  await escalateSoonIfMissed(deps, incident, 'detect');
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
