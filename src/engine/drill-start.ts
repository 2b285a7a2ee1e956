import { RollbotError, isRollbotError } from '../core/errors.js';
import { openIncident, type Incident } from '../core/incident.js';
import { skipStages } from '../core/incident-stages.js';
import type { Actor } from '../core/policy.js';
import type { EngineDeps } from './context.js';
import { authorize } from './authorize.js';
import { drillHistory, drillTarget, finishDrill, type DrillResult } from './drill.js';
import { cancelUndecidedEnd, scheduleUndecidedEnd } from './drill-decision-wait.js';
import { announceDrill } from './drill-opening.js';
import { dropOpening, openingDone, scheduleOpening } from './opening.js';
import { rollback } from './rollback.js';
import { viewIncident, type IncidentView } from './views.js';

/** Why a drill's detect stage is skipped (StageClock's `skipped`), in the words every view shows. */
export const DRILL_DETECT_SKIPPED = 'a drill starts at detection';

/**
 * Starts a drill: the real runbook on a synthetic alert, labelled as a drill everywhere. A person decides as
 * in a real incident (the triage clock measures how long that takes), within DRILL_DECISION_WAIT_MS (24 h), after
 * which the drill ends, failed (drill-undecided.ts); with `auto` the decision is immediate
 * and the whole rollback path runs at once (the CLI's `rollbot drill run`). Refused while the model has a real
 * incident open, or another drill.
 */
export async function startDrill(
  deps: EngineDeps,
  model: string,
  options: {
    by: string;
    auto: boolean;
    dryRun?: boolean;
    actor?: Actor;
    /** Called with the drill's ID just before it is stored: a scheduled occurrence notes its drill. */
    beforeStored?: (drillId: string) => Promise<void>;
  },
): Promise<Incident> {
  const runbook = deps.runbooks.require(model);
  // A person starting a drill needs the runbook's permission to roll back (the CLI's operators are trusted).
  if (options.actor) await authorize(deps, runbook, options.actor, 'roll back');
  if (!runbook.drill) {
    throw new RollbotError('BAD_REQUEST', `${runbook.model} has no drill configured`, {
      hint: `add a drill block to ${deps.runbooks.fileOf(runbook.model)}`,
    });
  }
  const open = await deps.store.openIncidentFor(runbook.model);
  if (open) {
    throw new RollbotError(
      'CONFLICT',
      open.drill
        ? `a drill of ${runbook.model} is already running (${open.id})`
        : `${runbook.model} has a real incident open (${open.id}): no drill now`,
      {
        hint: open.drill ? 'finish or resolve it first' : 'drill when the model is healthy',
      },
    );
  }
  const now = deps.clock.now();
  const id = await deps.store.nextIncidentId();
  // A drill run with --dry-run plans only, whatever the runbook's drill target.
  const labels = {
    model: runbook.model,
    drill: 'true',
    ...(options.dryRun ? { drill_dry_run: 'true' } : {}),
  };
  const opened = openIncident({
    id,
    model: runbook.model,
    severity: runbook.severity.default,
    drill: true,
    summary: `DRILL: rehearsal of the ${runbook.model} rollback runbook against ${drillTarget(runbook, { labels })}`,
    labels,
    targets: runbook.targets,
    alert: {
      key: `drill:${id}`,
      source: 'drill',
      fingerprint: `drill-${id}`,
      name: 'rollbot drill',
      startsAt: now,
      receivedAt: now,
    },
  });
  // Its synthetic alert starts with it: nothing degraded and nothing was detected, so detect is skipped, not met
  // in 0 s (which would pass the drill on a stage it never rehearsed, and read as the quarter's fastest detection).
  const candidate = skipStages(opened, ['detect'], DRILL_DETECT_SKIPPED);
  // Durable as an alert's opening (opening.ts): should this process die once the drill is stored, before the
  // drill is under way, the stand-in fails it (drill-opening.ts).
  await scheduleOpening(deps, candidate, 'drill');
  // One that waits for a person ends, failed, should nobody decide: open, it would close the gate for good.
  if (!options.auto) await scheduleUndecidedEnd(deps, id, now);
  await options.beforeStored?.(id);
  const { incident, created } = await deps.store.createIfNoneOpen(candidate);
  if (!created) {
    await dropOpening(deps, candidate);
    await cancelUndecidedEnd(deps, id);
    throw new RollbotError(
      'CONFLICT',
      `${runbook.model} got an open incident (${incident.id}) as the drill started`,
    );
  }
  if (!(await announceDrill(deps, runbook, incident, options)))
    return (await deps.store.getIncident(incident.id)) ?? incident;
  if (options.auto) {
    try {
      await rollback(deps, {
        model: runbook.model,
        reason: 'drill: automatic decision',
        by: options.by,
        trigger: 'drill',
        drillId: incident.id,
      });
    } catch (error) {
      // Refused before anything changed (no credentials, no version to go to): exactly what a drill is for.
      if (!isRollbotError(error)) throw error;
      await finishDrill(deps, incident.id, {
        succeeded: false,
        problem: `the rollback was refused: ${error.message}`,
      });
    }
  }
  // Under way: waiting for a person, or its rollback begun (with deadlines of its own) or refused.
  await openingDone(deps, incident.id);
  return (await deps.store.getIncident(incident.id)) ?? incident;
}

/** A drill run through at once: its incident, and its scorecard once the rollback path has ended. */
export interface DrillRun {
  incident: IncidentView;
  result?: DrillResult;
}

/** `rollbot drill run` and `POST /api/drills`: rehearse the rollback now, deciding at once. */
export async function runDrillNow(
  deps: EngineDeps,
  model: string,
  options: { by: string; dryRun: boolean },
): Promise<DrillRun> {
  const incident = await startDrill(deps, model, { ...options, auto: true });
  const [result] = await drillHistory(deps, incident.model);
  return {
    incident: viewIncident(incident, deps.clock.now()),
    ...(result?.incidentId === incident.id ? { result } : {}),
  };
}
