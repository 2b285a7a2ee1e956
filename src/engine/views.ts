import { RollbotError } from '../core/errors.js';
import { isOpen, type Incident } from '../core/incident.js';
import { viewStages } from '../core/incident-stages.js';
import { formatSeverity } from '../core/severity.js';
import type { StageView } from '../core/stages.js';
import type { EngineDeps } from './context.js';
import type { IncidentFilter, TimelineEntry } from './ports.js';
import type { Retrospective } from '../core/retro.js';
import { watchNote, type WatchPeriod } from '../core/watch.js';
import { getRetrospective } from './retro.js';

/** An incident as the API, CLI and notifiers show it: stored state plus each stage against its target. */
export interface IncidentView {
  id: string;
  model: string;
  severity: string;
  drill: boolean;
  summary: string;
  phase: Incident['phase'];
  open: boolean;
  openedAt: string;
  resolvedAt?: string;
  stages: StageView[];
  breaches: StageView['stage'][];
  /** The alerts kept in full (the first MAX_ALERT_REFS). */
  alerts: Incident['alerts'];
  /** Every alert that joined, including those counted beyond the ones kept. */
  alertCount: number;
  /** Where the first alert can be seen at its source. */
  sourceUrl?: string;
  decision?: Incident['decision'];
  acknowledged?: NonNullable<Incident['acknowledged']>;
  rollback?: Incident['rollback'];
  triage?: Incident['triage'];
  confirmation?: Incident['confirmation'];
  impact?: Incident['impact'];
  /** The model was in its watch period when the incident opened; `note` says so for people. */
  watch?: WatchPeriod & { note: string };
}

/** What lists show of an incident (API, CLI, `/incident list`): its view without the alerts kept in full. */
export type IncidentListItem = Omit<IncidentView, 'alerts'>;

export interface IncidentDetail extends IncidentView {
  timeline: TimelineEntry[];
  retrospective?: Retrospective;
}

export function viewIncident(incident: Incident, now: number): IncidentView {
  return { ...viewHead(incident, incident.alerts.length, now), alerts: incident.alerts };
}

/** The view of an incident without its refs: `alertRefs` is how many it keeps. */
function viewHead(incident: Omit<Incident, 'alerts'>, alertRefs: number, now: number): IncidentListItem {
  const stages = viewStages(incident, now);
  const view: IncidentListItem = {
    id: incident.id,
    model: incident.model,
    severity: formatSeverity(incident.severity),
    drill: incident.drill,
    summary: incident.summary,
    phase: incident.phase,
    open: isOpen(incident),
    openedAt: new Date(incident.openedAt).toISOString(),
    stages,
    breaches: stages.filter((stage) => stage.breached).map((stage) => stage.stage),
    alertCount: alertRefs + incident.droppedAlerts,
  };
  if (incident.sourceUrl !== undefined) view.sourceUrl = incident.sourceUrl;
  if (incident.resolvedAt !== undefined) view.resolvedAt = new Date(incident.resolvedAt).toISOString();
  if (incident.decision) view.decision = incident.decision;
  if (incident.acknowledged) view.acknowledged = incident.acknowledged;
  if (incident.rollback) view.rollback = incident.rollback;
  if (incident.triage) view.triage = incident.triage;
  if (incident.confirmation) view.confirmation = incident.confirmation;
  if (incident.impact) view.impact = incident.impact;
  if (incident.watch) view.watch = { ...incident.watch, note: watchNote(incident.watch, now) };
  return view;
}

/** Incidents for a list, newest first, read without their alert refs (most of a big incident). */
export async function listIncidentViews(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  filter: IncidentFilter,
): Promise<IncidentListItem[]> {
  const heads = await deps.store.listIncidentHeads(filter);
  const now = deps.clock.now();
  return heads.map((head) => viewHead(head, head.alertRefs, now));
}

/**
 * One incident as Slack's `/incident show` shows it: its view, without the timeline. An alert storm's incident holds
 * megabytes of timeline; reading and parsing it on the event loop that acks Slack, for a summary that shows none of
 * it, would slow every other person's command.
 */
export async function incidentView(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  id: string,
): Promise<IncidentView> {
  const incident = await deps.store.getIncident(id);
  if (!incident) {
    throw new RollbotError('NOT_FOUND', `no incident ${id}`, {
      hint: 'list incidents with `/incident list`, `rollbot incidents` or GET /api/incidents',
    });
  }
  return viewIncident(incident, deps.clock.now());
}

/** One incident as the API and the CLI show it: its view with the whole timeline and the retrospective. */
export async function incidentDetail(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  id: string,
): Promise<IncidentDetail> {
  const view = await incidentView(deps, id);
  const retrospective = await getRetrospective(deps, id);
  return {
    ...view,
    timeline: await deps.store.list(id),
    ...(retrospective ? { retrospective } : {}),
  };
}
