/**
 * How a rollback attempt that did not succeed ends (rollback.ts runs it): failed (`fail`) or, its change made but its
 * landing unread, unknown (`unknownOutcome`) — written on the incident, answered to the caller, and escalated once
 * the rollback lock is released (escalateEnding).
 */
import type { RollbotError } from '../core/errors.js';
import { isOpen, type Incident } from '../core/incident.js';
import { finishRollback, type RollbackPlan } from '../core/rollback.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, type EngineDeps } from './context.js';
import { finishDrill } from './drill.js';
import { mutateIncident } from './mutate.js';
import {
  escalateFailureOrLeaveToStandIn,
  failedEscalation,
  failureRecord,
  guardFailureEscalation,
} from './rollback-failure.js';
import type { LandingUnread } from './rollback-landing.js';
import type { RollbackOutcome, RollbackRequest, RollbackStepKind } from './rollback-types.js';
import { escalateUnknownAfterWait, recordUnknownOutcome } from './rollback-unknown.js';
import type { ServingAdapter } from './serving-port.js';

/** What ending an attempt needs of the rollback under way, and where it leaves what to escalate. */
export interface EndingRun {
  runbook: Runbook;
  adapter: ServingAdapter;
  request: RollbackRequest;
  /** As planned, then with what execute asked to keep with it (ExecuteResult.planData). */
  plan: RollbackPlan;
  step: (kind: RollbackStepKind, text: string) => void;
  /** The attempt whose failure is to be escalated once the lock is released (a real rollback that failed). */
  failedAttempt?: number;
  /** The attempt whose unknown outcome is to be escalated once the lock is released (rollback-unknown.ts). */
  unknownAttempt?: { attempt: number; why: string };
}

/** Escalates what `run` ended with, once its rollback lock is released: a person retrying at once is not refused. */
export async function escalateEnding(deps: EngineDeps, run: EndingRun, incidentId: string): Promise<void> {
  if (run.failedAttempt !== undefined)
    await escalateFailureOrLeaveToStandIn(deps, incidentId, run.failedAttempt);
  if (run.unknownAttempt)
    await escalateUnknownAfterWait(deps, incidentId, run.unknownAttempt.attempt, run.unknownAttempt.why);
}

/**
 * Writes the attempt's failure. A real rollback's is escalated by the caller once the lock is released, and by
 * a stand-in scheduled here first should that escalation not arrive (rollback-failure.ts); a drill's pages
 * nobody: it is said in its thread and scored.
 */
export async function fail(
  deps: EngineDeps,
  run: EndingRun,
  started: Incident,
  startedAt: number,
  error: unknown,
): Promise<Pick<RollbackOutcome, 'outcome' | 'error'>> {
  const { runbook, request } = run;
  const at = deps.clock.now();
  const attempt = started.rollback?.attempt ?? 1;
  const { known, message, entry } = failureRecord(error, attempt);
  if (!started.drill) await guardFailureEscalation(deps, started.id, attempt);
  const { incident } = await mutateIncident(deps.store, started.id, (current) =>
    finishRollback(current, 'failed', at, message),
  );
  run.step('failed', `rollback failed: ${message}`);
  await record(deps, incident, entry);
  deps.metrics.rollbackFinished(
    runbook.model,
    'failed',
    request.trigger,
    incident.drill,
    (at - startedAt) / 1000,
  );
  deps.logger.error({ incident: incident.id, err: error }, 'rollback failed');
  if (!incident.drill) {
    run.failedAttempt = attempt;
    return failure(known, message);
  }
  if (!isOpen(incident)) {
    // A drill ended under its rollback (a real alert): its scorecard went out already.
    await deps.notifier.notify({
      type: 'incident.updated',
      incident,
      channel: runbook.channel,
      text: `the drill's rollback stopped: ${message}`,
    });
    return failure(known, message);
  }
  // Drills never page: said in the drill's thread, and scored (its scoring's stand-in sees to a dead replica's).
  await deps.notifier.notify(failedEscalation(incident, runbook, run.plan, message));
  await finishDrill(deps, incident.id, { succeeded: false, problem: `the rollback failed: ${message}` });
  return failure(known, message);
}

/**
 * Writes the attempt's unknown outcome; a real one's escalation follows once the lock is released. Its caller is
 * answered `unknown` with the error saying why (not a success: a person must check; not FAILED either).
 */
export async function unknownOutcome(
  deps: EngineDeps,
  run: EndingRun,
  started: Incident,
  error: LandingUnread,
): Promise<Pick<RollbackOutcome, 'outcome' | 'error'>> {
  const attempt = started.rollback?.attempt ?? 1;
  const where = { attempt, target: run.adapter.target, to: run.plan.to };
  if ((await recordUnknownOutcome(deps, started, where, error)) && !started.drill)
    run.unknownAttempt = { attempt, why: error.why };
  run.step('unknown', error.message);
  return { ...failure(error, error.message), outcome: 'unknown' };
}

function failure(
  known: RollbotError | undefined,
  message: string,
): Pick<RollbackOutcome, 'outcome' | 'error'> {
  return {
    outcome: 'failed',
    error: { code: known?.code ?? 'SERVING_FAILED', message, ...(known?.hint ? { hint: known.hint } : {}) },
  };
}
