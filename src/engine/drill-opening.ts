import type { Incident } from '../core/incident.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, type EngineDeps } from './context.js';
import { requestDrillDecision } from './decision-request.js';
import { drillTarget, finishDrill } from './drill.js';
import { FAILS_UNDECIDED } from './drill-decision-wait.js';
import { openOnce, scheduleStandIn } from './opening.js';
import { rollbackLockName } from './rollback-lease.js';

/** What went wrong in a drill whose starter stopped before the drill was under way. */
export const STOPPED_STARTING =
  'rollbot stopped while starting the drill, before it asked for a decision or began the rollback';

/**
 * The start of a drill its starter has just stored: announced and, unless rollbot decides at once (`auto`), a
 * person asked to decide, under the opening's lock so that it cannot cross the stand-in failing the drill. True
 * when this call started it; false when the drill is no longer its starter's to run: over (the stand-in failed
 * it, this starter being over a minute late), or the stand-in at it.
 */
export async function announceDrill(
  deps: EngineDeps,
  runbook: Runbook,
  drill: Incident,
  how: { by: string; auto: boolean },
): Promise<boolean> {
  let started = false;
  await openOnce(deps, drill.id, 'drill', {
    markTypes: ['drill.started'],
    send: async () => {
      if ((await deps.store.getIncident(drill.id))?.phase !== 'triage') return;
      deps.metrics.incidentOpened(drill.model, drill.severity, true);
      await deps.notifier.notify({ type: 'incident.opened', incident: drill, channel: runbook.channel });
      await record(deps, drill, {
        type: 'drill.started',
        actor: how.by,
        text: `drill started by ${how.by} against ${drillTarget(runbook, drill)}`,
      });
      if (!how.auto) {
        const text = `DRILL: decide as you would for real — press Roll back (the rollback goes to ${drillTarget(runbook, drill)}); the triage clock is running, and ${FAILS_UNDECIDED}`;
        await requestDrillDecision(deps, runbook, drill, text);
      }
      started = true;
    },
  });
  return started;
}

/**
 * The stand-in of a drill's opening (opening.ts). A drill whose starter stopped before the drill was under way
 * (nobody asked to decide, no rollback begun) is finished as failed and scored at once, as one whose rollback
 * rollbot stopped in is (recovery.ts): a rollbot that stops is what a drill is there to find, and a drill left
 * open would refuse the next one. A drill whose rollback is being planned is looked at again once the model's
 * rollback lock could have lapsed, in case its planner died.
 */
export async function finishDrillOpening(deps: EngineDeps, drillId: string): Promise<void> {
  await openOnce(deps, drillId, 'drill', {
    // A person was asked: the drill is under way, waiting for them (its triage target escalates if they wait).
    markTypes: ['decision.requested'],
    send: () => failUnlessUnderWay(deps, drillId),
  });
}

async function failUnlessUnderWay(deps: EngineDeps, drillId: string): Promise<void> {
  const drill = await deps.store.getIncident(drillId);
  // Over, or decided: from here its rollback has deadlines of its own (its target settles an interrupted one).
  if (drill?.phase !== 'triage') return;
  if (await deps.store.holder(rollbackLockName(drill.model))) {
    await scheduleStandIn(deps, drillId, 'drill', deps.clock.now() + deps.timing.lockTtlMs);
    return;
  }
  await finishDrill(deps, drillId, { succeeded: false, problem: STOPPED_STARTING });
}
