/**
 * A rollback whose change was made but whose landing could not be read (LandingUnread, rollback-landing.ts): a 403,
 * an answer the adapter cannot read, a layer unreachable until the attempt's bound. That says nothing about where
 * traffic is, so the attempt's outcome is unknown, recorded, counted and escalated as a settlement after a restart
 * records one (recovery.ts): never "FAILED … decide now", and never executed again.
 */
import type { Incident } from '../core/incident.js';
import { finishRollback, isLatestAttempt } from '../core/rollback.js';
import type { EngineDeps } from './context.js';
import { finishDrill } from './drill.js';
import { mutateIncident } from './mutate.js';
import { escalateUnknownOnce, guardSettlement } from './recovery.js';
import { countOnce } from './recovery-outcomes.js';
import type { LandingUnread } from './rollback-landing.js';

/**
 * Writes attempt `attempt` of `started` as unknown, with its `rollback.unknown` entry, in one step and only over
 * the attempt still executing; counts it once. A real incident's settlement stand-in is scheduled first: its
 * escalation (escalateUnknownAfterWait, once the lock is released) must not die with this process. A drill pages
 * nobody: it fails, its scorecard saying what to check. False when the attempt was no longer this one's to write.
 */
export async function recordUnknownOutcome(
  deps: EngineDeps,
  started: Incident,
  where: { attempt: number; target: string; to: string },
  error: LandingUnread,
): Promise<boolean> {
  const { attempt } = where;
  const at = deps.clock.now();
  if (!started.drill) await guardSettlement(deps, started.id, attempt);
  const { incident, changed } = await mutateIncident(
    deps.store,
    started.id,
    (latest) =>
      isLatestAttempt(latest, attempt) && latest.rollback.status === 'executing'
        ? finishRollback(latest, 'unknown', at, error.message)
        : undefined,
    {
      timeline: [
        {
          incidentId: started.id,
          at,
          actor: 'rollbot',
          type: 'rollback.unknown',
          text: `${error.message}; rollbot does not run it again: a person checks ${where.target} first`,
          data: { attempt },
        },
      ],
    },
  );
  if (!changed || !incident.rollback) return false;
  await countOnce(deps, incident, incident.rollback, 'unknown');
  deps.logger.error({ incident: incident.id, err: error }, 'rollback outcome unknown');
  if (incident.drill)
    await finishDrill(deps, incident.id, {
      succeeded: false,
      problem: `the rollback's outcome is unknown: ${error.why}; check ${where.target} by hand`,
    });
  return true;
}

/**
 * Escalates it, once the rollback lock is released (a person checking and running it again is not refused while
 * the pager is slow). One not sent now is left to the settlement's stand-in scheduled before the write.
 */
export async function escalateUnknownAfterWait(
  deps: EngineDeps,
  incidentId: string,
  attempt: number,
  why: string,
): Promise<void> {
  try {
    await escalateUnknownOnce(deps, incidentId, attempt, why);
  } catch (error) {
    deps.logger.warn(
      { err: error, incident: incidentId, attempt },
      "an unknown rollback outcome's escalation has not arrived yet; the settlement's stand-in sees to it",
    );
  }
}
