import {
  attachAlert,
  markAlertResolved,
  openIncident,
  type AlertRef,
  type Incident,
} from '../core/incident.js';
import { formatDuration } from '../core/duration.js';
import { formatSeverity, severityOf } from '../core/severity.js';
import type { NormalizedAlert } from '../alerts/types.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, type EngineDeps } from './context.js';
import { escalateIfBreached, scheduleStageTarget } from './escalation.js';
import { finishDrill } from './drill.js';
import { mutateIncident } from './mutate.js';
import { scheduleTriage } from './triage.js';
import { currentWatch } from './watch.js';

export type AlertOutcome = 'opened' | 'attached' | 'duplicate' | 'resolved' | 'ignored' | 'unrouted';

export interface AlertResult {
  fingerprint: string;
  outcome: AlertOutcome;
  model?: string;
  incidentId?: string;
}

/** How many of a model's past incidents are checked so that a re-sent alert does not reopen a closed one. */
const RECENT_INCIDENTS = 5;

/**
 * Routes each alert to its model's runbook and opens, joins or annotates that model's incident. Safe to call
 * concurrently on several replicas with the same alerts: one incident per model, each alert recorded once.
 */
export async function ingestAlerts(
  deps: EngineDeps,
  alerts: readonly NormalizedAlert[],
): Promise<AlertResult[]> {
  const results: AlertResult[] = [];
  for (const alert of alerts) {
    const result = await ingestOne(deps, alert);
    deps.metrics.alertReceived(alert.source, result.outcome);
    results.push(result);
  }
  return results;
}

async function ingestOne(deps: EngineDeps, alert: NormalizedAlert): Promise<AlertResult> {
  const runbook = deps.runbooks.route(alert.labels);
  if (!runbook) {
    deps.logger.info({ fingerprint: alert.fingerprint, labels: alert.labels }, 'alert matches no runbook');
    return { fingerprint: alert.fingerprint, outcome: 'unrouted' };
  }
  const base = { fingerprint: alert.fingerprint, model: runbook.model };
  if (alert.status === 'resolved') return { ...base, ...(await noteResolved(deps, runbook, alert)) };
  return { ...base, ...(await openOrAttach(deps, runbook, alert)) };
}

function alertRef(alert: NormalizedAlert, receivedAt: number): AlertRef {
  const startsAt = alert.startsAt ?? receivedAt;
  return {
    key: `${alert.source}:${alert.fingerprint}:${startsAt}`,
    source: alert.source,
    fingerprint: alert.fingerprint,
    name: alert.name,
    startsAt,
    receivedAt,
  };
}

async function openOrAttach(
  deps: EngineDeps,
  runbook: Runbook,
  alert: NormalizedAlert,
): Promise<Pick<AlertResult, 'outcome' | 'incidentId'>> {
  const ref = alertRef(alert, deps.clock.now());
  const severity = severityOf(alert.labels, runbook.severity);
  let open = await deps.store.openIncidentFor(runbook.model);
  if (open?.drill) {
    // Reality wins over rehearsal: the drill ends (failed, interrupted) and the alert gets a real incident.
    await finishDrill(deps, open.id, {
      succeeded: false,
      problem: `interrupted by a real alert (${alert.name})`,
    });
    open = await deps.store.openIncidentFor(runbook.model);
  }
  if (open) return attach(deps, open.id, ref, severity);

  // A repeat notification of an alert whose incident is already over must not open a new one.
  const recent = await deps.store.listIncidents({ model: runbook.model, limit: RECENT_INCIDENTS });
  const earlier = recent.find((incident) => incident.alerts.some((known) => known.key === ref.key));
  if (earlier) return { outcome: 'duplicate', incidentId: earlier.id };

  const candidate = openIncident({
    id: await deps.store.nextIncidentId(),
    model: runbook.model,
    severity,
    drill: false,
    summary: alert.summary,
    labels: alert.labels,
    targets: runbook.targets,
    alert: ref,
  });
  const watch = await currentWatch(deps, runbook);
  if (watch) candidate.watch = watch;
  // The deadline goes in before the incident, so that a crash in between cannot leave an incident without
  // its triage clock; a deadline without an incident is a no-op when it fires.
  await scheduleStageTarget(deps, candidate, 'triage');
  const { incident, created } = await deps.store.createIfNoneOpen(candidate);
  if (!created) {
    await deps.store.cancel(`${candidate.id}:triage`);
    return attach(deps, incident.id, ref, severity);
  }
  await announceOpened(deps, runbook, incident);
  return { outcome: 'opened', incidentId: incident.id };
}

async function attach(
  deps: EngineDeps,
  incidentId: string,
  ref: AlertRef,
  severity: Incident['severity'],
): Promise<Pick<AlertResult, 'outcome' | 'incidentId'>> {
  const { incident, changed } = await mutateIncident(deps.store, incidentId, (current) =>
    attachAlert(current, ref, severity),
  );
  if (!changed) return { outcome: 'duplicate', incidentId };
  // A new alert may change the picture: triage again while nobody has decided yet.
  if (incident.phase === 'triage') await scheduleTriage(deps, incident.id);
  await record(deps, incident, {
    type: 'alert.attached',
    text: `alert ${ref.name} (${ref.source}, ${ref.fingerprint}) joined the incident; severity ${formatSeverity(incident.severity)}`,
    data: { fingerprint: ref.fingerprint, source: ref.source, name: ref.name },
  });
  return { outcome: 'attached', incidentId };
}

async function announceOpened(deps: EngineDeps, runbook: Runbook, incident: Incident): Promise<void> {
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
  await scheduleTriage(deps, incident.id);
  // Detection is over before rollbot hears of the alert, so a missed detect target is escalated now.
  await escalateIfBreached(deps, incident.id, 'detect');
}

async function noteResolved(
  deps: EngineDeps,
  runbook: Runbook,
  alert: NormalizedAlert,
): Promise<Pick<AlertResult, 'outcome' | 'incidentId'>> {
  const open = await deps.store.openIncidentFor(runbook.model);
  if (!open) return { outcome: 'ignored' };
  const at = alert.endsAt ?? deps.clock.now();
  const { incident, changed } = await mutateIncident(deps.store, open.id, (current) =>
    markAlertResolved(current, alert.fingerprint, at),
  );
  if (!changed) return { outcome: 'ignored', incidentId: open.id };
  // Resolution by the alert source is recorded but does not close the incident: only confirmation does.
  await record(deps, incident, {
    type: 'alert.resolved',
    text: `${alert.source} reports ${alert.name} resolved; the incident stays open until confirmation passes`,
    data: { fingerprint: alert.fingerprint, source: alert.source },
  });
  await deps.notifier.notify({
    type: 'incident.updated',
    incident,
    channel: runbook.channel,
    text: `${alert.name} resolved at the source (${alert.source}); waiting for confirmation`,
  });
  return { outcome: 'resolved', incidentId: incident.id };
}
