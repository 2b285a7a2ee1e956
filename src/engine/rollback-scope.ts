import { RollbotError } from '../core/errors.js';
import { isOpen, type Incident } from '../core/incident.js';
import type { Runbook } from '../runbooks/schema.js';
import type { ServingConfig } from '../runbooks/serving.js';
import { actedIncident, staleAct, type ActedOn } from './acted-on.js';
import type { EngineDeps } from './context.js';
import type { RollbackRequest } from './rollback-types.js';

/** The serving layer a rollback on an incident reads and plans against, and whether it may change it. */
export interface RollbackServing {
  serving: ServingConfig;
  /** False for a dry-run drill: it reads and plans against production and changes nothing. */
  executes: boolean;
}

/**
 * Which serving layer a rollback on this incident acts on: production for a real incident, the runbook's drill
 * target for a drill. A dry-run drill (`rollbot drill run --dry-run`, or a runbook drill with `dryRun: true`,
 * whether or not it names a drill target: "plans and changes nothing" is what the runbook asked for) plans
 * against production and executes nothing. Undefined for a drill whose runbook has no drill block (any more):
 * there is no layer it may touch.
 */
export function rollbackServing(
  runbook: Runbook,
  incident: Pick<Incident, 'drill' | 'labels'>,
): RollbackServing | undefined {
  if (!incident.drill) return { serving: runbook.serving, executes: true };
  if (!runbook.drill) return undefined;
  const drillServing = runbook.drill.serving;
  if (incident.labels.drill_dry_run === 'true' || runbook.drill.dryRun || !drillServing)
    return { serving: runbook.serving, executes: false };
  return { serving: drillServing, executes: true };
}

/**
 * What one rollback belongs to, fixed as it starts: the serving layer it acts on and, for a drill's rollback,
 * the drill. A real alert ends a drill at any moment (intake.ts: reality wins over rehearsal) and opens a real
 * incident; a drill starts whenever the model has no incident open. So a rollback holds to what it started for:
 * a drill's rollback goes on its drill only (never looked up by model), acts on the drill's layer only, and stops
 * once the drill is over; any other rollback goes on the model's open real incident (or a manual one it opens),
 * never on a drill.
 */
export interface RollbackScope extends RollbackServing {
  model: string;
  /** The drill this rollback rehearses; absent for a real rollback. */
  drillId?: string;
  /** The incident a person asked on: held to until the rollback is recorded on it (refuseStaleAct). */
  actedOn?: ActedOn;
}

/**
 * The scope of a rollback about to start: the drill the request names (a drill deciding at once,
 * drill-start.ts) or the model's open drill (a person deciding in it), else production. Refuses a drill that
 * is over, or whose runbook has no drill block (any more), and an act on an incident that no longer stands: a
 * person's Roll back on a drill that a real alert ended meanwhile is not a production rollback.
 */
export async function rollbackScope(
  deps: Pick<EngineDeps, 'store' | 'runbooks'>,
  runbook: Runbook,
  request: Pick<RollbackRequest, 'drillId' | 'trigger' | 'actedOn'>,
): Promise<RollbackScope> {
  const model = runbook.model;
  const open = await deps.store.openIncidentFor(model);
  const act = request.actedOn;
  if (act) {
    const stale = staleAct(act, model, await actedIncident(deps, act, open), open ?? null);
    if (stale) throw stale;
  }
  const held = act ? { actedOn: act } : {};
  const drillId = request.drillId ?? (open?.drill ? open.id : undefined);
  if (drillId === undefined) {
    if (request.trigger === 'drill') throw drillEnded(model, undefined, 'before its rollback started');
    return { model, serving: runbook.serving, executes: true, ...held };
  }
  const drill = open?.id === drillId ? open : await deps.store.getIncident(drillId);
  if (!drill?.drill || !isOpen(drill)) throw drillEnded(model, drillId, 'before its rollback started');
  const where = rollbackServing(runbook, drill);
  if (!where) {
    throw new RollbotError('BAD_REQUEST', `${model} has no drill configured`, {
      hint: `add a drill block to ${deps.runbooks.fileOf(model)} (drill.serving or dryRun: true)`,
    });
  }
  return { ...where, model, drillId, ...held };
}

/**
 * The incident a rollback in `scope` goes on now, before it is recorded there: its drill, the incident a person
 * asked on, or the model's open real incident (undefined when there is none: the rollback opens a manual one).
 * Refuses when that is not the rollback's (refuseStaleAct, refuseOutOfScope).
 */
export async function scopedIncident(
  deps: Pick<EngineDeps, 'store'>,
  scope: RollbackScope,
  when: string,
): Promise<Incident | undefined> {
  const id = scope.drillId ?? scope.actedOn?.incidentId;
  const incident =
    id === undefined ? await deps.store.openIncidentFor(scope.model) : await deps.store.getIncident(id);
  refuseStaleAct(scope, incident);
  refuseOutOfScope(scope, incident, when);
  return incident;
}

/**
 * Throws when the incident a person asked on (scope.actedOn), as just read, no longer stands as they saw it.
 * Checked until the rollback is recorded on it, not after: from then on it is the rollback's, whatever happens to
 * the incident (the rollback itself takes it out of triage).
 */
export function refuseStaleAct(scope: RollbackScope, incident: Incident | undefined): void {
  const stale = scope.actedOn && staleAct(scope.actedOn, scope.model, incident);
  if (stale) throw stale;
}

/**
 * Throws unless `incident`, as just read, is one a rollback in `scope` may write to or claim success on: its
 * drill while that is open; for a real rollback, anything but a drill (or none). `when` says how far the
 * rollback got, for the refusal.
 */
export function refuseOutOfScope(scope: RollbackScope, incident: Incident | undefined, when: string): void {
  if (scope.drillId) {
    if (incident?.id !== scope.drillId || !isOpen(incident))
      throw drillEnded(scope.model, scope.drillId, when);
    return;
  }
  if (!incident?.drill) return;
  throw new RollbotError(
    'CONFLICT',
    `a drill of ${scope.model} (${incident.id}) started while this rollback was being planned against production: nothing was changed`,
    {
      hint: `a rollback now would be the drill's: to roll back production, end the drill first (rollbot resolve ${incident.id} --reason …), then roll back again`,
    },
  );
}

/**
 * Re-reads a drill's rollback's drill, which a real alert may have ended under it; a real rollback's incident
 * needs no such look: it is the rollback's whatever happens to it.
 */
export async function refuseEndedDrill(
  deps: Pick<EngineDeps, 'store'>,
  scope: RollbackScope,
  when: string,
): Promise<void> {
  if (scope.drillId) refuseOutOfScope(scope, await deps.store.getIncident(scope.drillId), when);
}

function drillEnded(model: string, drillId: string | undefined, when: string): RollbotError {
  return new RollbotError(
    'CONFLICT',
    `the drill ${drillId ?? ''}${drillId ? ' ' : ''}of ${model} ended ${when}: a drill's rollback goes only on its drill, and claims nothing once the drill is over`,
    {
      hint: 'see the drill scorecard in the channel (and any real incident in its own thread); start another drill if needed',
    },
  );
}

/**
 * What a drill's rollback says it was, in the answer to whoever asked (CLI, API): one asked for by model while the
 * model's drill is open goes to the drill (the open incident is the drill, on every surface), and the person at
 * the terminal may have meant production. Undefined for a real rollback.
 */
export function drillNote(
  scope: RollbackScope,
  target: string,
  dryRun: boolean,
): { incidentId: string; note: string } | undefined {
  const id = scope.drillId;
  if (id === undefined) return undefined;
  const what = `${dryRun ? 'this plans' : 'this was'} the rollback of the DRILL ${id} of ${scope.model}`;
  const where = scope.executes
    ? `on its drill target ${target}, not production`
    : `a dry run: planned against ${target} and not executed, nothing changed`;
  return {
    incidentId: id,
    note: `${what}, ${where}; to roll back production, end the drill first (rollbot resolve ${id} --reason …), then roll back again`,
  };
}
