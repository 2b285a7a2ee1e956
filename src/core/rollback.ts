import { RollbotError } from './errors.js';
import {
  decide,
  trafficRestored,
  transition,
  type Decision,
  type Incident,
  type Trigger,
} from './incident.js';
import type { RollbackPlan, RollbackRecord, RollbackStatus } from './rollback-types.js';

export type { RollbackPlan, RollbackRecord, RollbackRegime, RollbackStatus } from './rollback-types.js';

export interface RollbackStart {
  plan: RollbackPlan;
  target: string;
  by: string;
  trigger: Trigger;
  reason: string;
  at: number;
}

/**
 * Starts a rollback attempt on an open incident. From triage it is the decision; from a failed or unknown
 * attempt it is a retry on the same rollback clock; from confirm (traffic restored but service not) it is a
 * further rollback with a fresh rollback clock. Refused while an attempt is executing.
 */
export function beginRollback(incident: Incident, start: RollbackStart): Incident {
  if (incident.rollback?.status === 'executing') {
    throw new RollbotError(
      'LOCKED',
      `a rollback of ${incident.model} is already executing for ${incident.id}`,
      {
        hint: 'wait for it to finish; its progress is on the incident timeline',
      },
    );
  }
  let next: Incident;
  if (incident.phase === 'triage') {
    const decision: Decision = {
      kind: 'rollback',
      by: start.by,
      at: start.at,
      reason: start.reason,
      trigger: start.trigger,
    };
    next = decide(incident, decision);
  } else if (incident.phase === 'confirm') {
    next = transition(incident, 'rollback');
    next = { ...next, stages: { ...next.stages, rollback: { startedAt: start.at } } };
  } else {
    next = transition(incident, 'rollback');
  }
  const record: RollbackRecord = {
    attempt: (incident.rollback?.attempt ?? 0) + 1,
    status: 'executing',
    plan: start.plan,
    target: start.target,
    by: start.by,
    trigger: start.trigger,
    reason: start.reason,
    startedAt: start.at,
  };
  return { ...next, rollback: record };
}

/**
 * Ends the executing attempt. Success means the serving layer reports traffic on the target: the rollback
 * stage ends and confirmation runs. Failure and "unknown" (rollbot stopped mid-rollback) keep the incident in
 * the rollback phase for a person to decide.
 */
export function finishRollback(
  incident: Incident,
  outcome: Exclude<RollbackStatus, 'executing'>,
  at: number,
  error?: string,
): Incident {
  const current = incident.rollback;
  if (!current || (current.status !== 'executing' && current.status !== 'unknown')) {
    throw new RollbotError('ILLEGAL_TRANSITION', `incident ${incident.id} has no rollback in flight`, {
      hint: 'start one with `rollbot rollback <model> --reason …`',
    });
  }
  const record: RollbackRecord = { ...current, status: outcome, endedAt: at };
  if (error !== undefined) record.error = error;
  const next = { ...incident, rollback: record };
  return outcome === 'succeeded' ? trafficRestored(next, at) : next;
}
