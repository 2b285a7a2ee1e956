import { RollbotError } from '../core/errors.js';
import { isOpen, type Incident } from '../core/incident.js';
import type { EngineDeps } from './context.js';

/**
 * The incident a person acted on: the message or decision request whose button they pressed, or the modal opened
 * from it; or, for `/rollback`, what was open for the model when its modal was planned (PlannedOn). Buttons stay
 * in Slack after what they were drawn for has passed, and a modal stays open as long as its person likes; so an
 * act holds only while its incident stands as they saw it: a decision request's until the decision is made
 * (`decided`: the incident leaves triage), the incident message's Roll back, which stays for a further rollback,
 * until the incident is over (`over`).
 */
export type ActedOn = OnIncident | PlannedOn;

export interface OnIncident {
  incidentId: string;
  until: 'decided' | 'over';
}

/**
 * A `/rollback` modal: planned against what was open for the model then, its open incident (`incidentId`; a
 * drill's plan is against the drill's target) or none. It holds while that is still what is open (`unchanged`):
 * submitted after a real alert ended the drill, it would roll production back to the staging plan's version.
 */
export interface PlannedOn {
  incidentId?: string;
  drill: boolean;
  until: 'unchanged';
}

/**
 * What a `/rollback` planned now is planned against: the model's open incident, or none. Read before the plan,
 * whose own read refuses it should it change in between.
 */
export async function plannedOn(deps: Pick<EngineDeps, 'store'>, model: string): Promise<PlannedOn> {
  const open = await deps.store.openIncidentFor(model);
  return open
    ? { incidentId: open.id, drill: open.drill, until: 'unchanged' }
    : { drill: false, until: 'unchanged' };
}

/**
 * Refuses (CONFLICT) an act on an incident that no longer stands as the person saw it (see ActedOn): a rollback
 * pressed for a decision already made, or on an incident since dismissed, resolved, or ended as a drill by a real
 * alert, would otherwise decide again, open a new incident, or roll production back for a drill.
 */
export async function refuseStale(
  deps: Pick<EngineDeps, 'store'>,
  act: ActedOn,
  model: string,
): Promise<void> {
  const open = await deps.store.openIncidentFor(model);
  const stale = staleAct(act, model, await actedIncident(deps, act, open), open ?? null);
  if (stale) throw stale;
}

/**
 * The incident `act` was on, as read now (`open`: the model's open incident, just read); for a `/rollback` planned
 * with none open, `open`: whatever is open now is what changed.
 */
export async function actedIncident(
  deps: Pick<EngineDeps, 'store'>,
  act: ActedOn,
  open: Incident | undefined,
): Promise<Incident | undefined> {
  if (act.incidentId === undefined || open?.id === act.incidentId) return open;
  return deps.store.getIncident(act.incidentId);
}

/**
 * Why `act` no longer holds, given its incident as just read (and the model's open incident, when read), or
 * undefined while it does. The one rule for every act on an incident; the error says what happened and how to
 * roll back now if that is still wanted.
 */
export function staleAct(
  act: ActedOn,
  model: string,
  incident: Incident | undefined,
  openNow?: Pick<Incident, 'id' | 'drill'> | null,
): RollbotError | undefined {
  if (act.until === 'unchanged') return openChanged(act, model, incident, openNow);
  const anew = `if ${model} still needs a rollback, start one: /rollback ${model}`;
  if (!incident) return new RollbotError('NOT_FOUND', `no incident ${act.incidentId}`, { hint: anew });
  if (incident.model !== model) {
    return new RollbotError(
      'BAD_REQUEST',
      `${incident.id} is an incident of ${incident.model}, not of ${model}`,
      {
        hint: `press the button on ${model}'s own incident message, or start a rollback: /rollback ${model}`,
      },
    );
  }
  const other = openNow && openNow.id !== incident.id ? openNow.id : undefined;
  const open = isOpen(incident);
  if (open && other === undefined && (act.until === 'over' || incident.phase === 'triage')) return undefined;
  const now = other === undefined ? '' : `; ${model}'s open incident is ${other} now`;
  const head =
    open || incident.phase === 'dismissed'
      ? 'this decision was made'
      : `this ${incident.drill ? 'drill' : 'incident'} is over`;
  const hint = open
    ? `to roll back further, press Roll back on ${incident.id}'s message and check its plan; the timeline has what happened`
    : other === undefined
      ? anew
      : `if ${model} still needs a rollback, press Roll back on ${other}'s message and check its plan`;
  return new RollbotError('CONFLICT', `${incident.id}: ${head}: ${whatHappened(incident)}${now}`, { hint });
}

/**
 * Why a `/rollback` modal no longer holds: the model's open incident is not the one it was planned against (see
 * PlannedOn). `incident`: the planned-against incident as just read, or the open one when none was planned against.
 */
function openChanged(
  act: PlannedOn,
  model: string,
  incident: Incident | undefined,
  openNow: Pick<Incident, 'id' | 'drill'> | null | undefined,
): RollbotError | undefined {
  const named = (drill: boolean, id: string) => (drill ? `the drill ${id}` : id);
  if (act.incidentId === undefined) {
    const now = openNow ?? incident;
    if (!now) return undefined;
    return changed(model, 'none was open', `${named(now.drill, now.id)} is open now`);
  }
  if (incident && incident.model !== model)
    return staleAct({ incidentId: act.incidentId, until: 'over' }, model, incident);
  const other = openNow && openNow.id !== act.incidentId ? openNow : undefined;
  if (incident && isOpen(incident) && !other) return undefined;
  const then = `it was ${named(incident?.drill ?? act.drill, act.incidentId)}`;
  const how = incident ? ` (${whatHappened(incident)})` : ' (it is gone)';
  // openNow: null when read and none is open, undefined when not read (then only what ended is said).
  const now = other
    ? `${named(other.drill, other.id)} is open now`
    : openNow === null
      ? 'none is open now'
      : '';
  return changed(model, `${then}${how}`, now);
}

function changed(model: string, then: string, now: string): RollbotError {
  const what = now ? `${then}; ${now}` : then;
  return new RollbotError(
    'CONFLICT',
    `${model}'s open incident changed since this rollback was planned: ${what}. Nothing was rolled back`,
    { hint: `run /rollback ${model} again to plan against what is open now` },
  );
}

/** `U0ANA rolled back to v41 at …`, `U0ANA decided "not a rollback" (…) at …`, then how it ended, if it did. */
function whatHappened(incident: Incident): string {
  const { rollback: latest, decision } = incident;
  const at = (ms: number) => new Date(ms).toISOString();
  const parts: string[] = [];
  if (latest) {
    const how = latest.status === 'succeeded' ? '' : ` (${latest.status})`;
    parts.push(`${latest.by} rolled back to ${latest.plan.to} at ${at(latest.startedAt)}${how}`);
  } else if (decision?.kind === 'not-rollback') {
    parts.push(`${decision.by} decided "not a rollback" (${decision.reason}) at ${at(decision.at)}`);
  }
  if (incident.phase === 'resolved' || incident.phase === 'closed') {
    const when = incident.resolvedAt === undefined ? '' : ` at ${at(incident.resolvedAt)}`;
    parts.push(`${incident.drill ? 'the drill ended' : 'it was resolved'}${when}`);
  }
  return parts.join('; ') || `it is ${incident.phase}`;
}
