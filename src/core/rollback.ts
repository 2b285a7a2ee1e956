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
 * further rollback with a fresh rollback clock. Refused while an attempt is executing, for the automatic policy
 * once a decision was made, and for a plan that changes nothing unless it completes a failed or unknown attempt.
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
  refuseAutomaticAfterDecision(incident, start);
  refuseRepeat(incident, start);
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
 * The automatic policy makes the first decision on the incident triage measured, only: once a person (or an
 * earlier automatic run) decided — a rollback under way or done — triage finishing late must not roll back again.
 */
function refuseAutomaticAfterDecision(incident: Incident, start: RollbackStart): void {
  if (start.trigger !== 'auto' || incident.phase === 'triage') return;
  const rollback = incident.rollback;
  const decided = rollback
    ? `${rollback.by} rolled back ${rollback.plan.from ?? '(unknown)'} → ${rollback.plan.to}, ${rollback.status}`
    : `it is ${incident.phase}`;
  throw new RollbotError(
    'CONFLICT',
    `${incident.id} was decided already (${decided}): the automatic policy only makes the first decision`,
  );
}

/**
 * How a person names the version to roll back to, on every surface a refusal can reach: Slack's `/rollback`, the
 * CLI and the API (the modal behind the Roll back buttons offers the plan, not a choice of version).
 */
export function nameTheVersion(model: string, version = '<version>'): string {
  return `/rollback ${model} to ${version} in Slack, rollbot rollback ${model} --to ${version}, or toVersion in the API`;
}

/**
 * A plan whose target already serves changes nothing. It completes an attempt that failed or whose outcome is
 * unknown (the change may have landed late); otherwise it repeats a rollback that got there already (a second
 * person's modal, a retried request), and starting it would restart the rollback clock for nothing.
 */
function refuseRepeat(incident: Incident, start: RollbackStart): void {
  const { from, to } = start.plan;
  if (from === undefined || from !== to) return;
  const status = incident.rollback?.status;
  if (status === 'failed' || status === 'unknown') return;
  const done =
    incident.rollback?.status === 'succeeded' && incident.rollback.plan.to === to
      ? `: ${incident.rollback.by} rolled it back ${incident.rollback.plan.from ?? '(unknown)'} → ${to} in ${incident.id}`
      : '';
  throw new RollbotError('CONFLICT', `${incident.model} already serves ${to}${done}; nothing to roll back`, {
    hint: `to roll back further, start a new rollback and check its plan, or name an older version: ${nameTheVersion(incident.model)}`,
  });
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

/**
 * Whether `attempt` is still the incident's latest rollback attempt: the one question every step that follows an
 * attempt up (its success's notice and confirmation, its settlement, its failure's escalation) asks before acting,
 * and again after each wait. Once a person ran the rollback again, the earlier attempt's steps do nothing: the
 * later attempt says, on its own, where traffic is now.
 */
export function isLatestAttempt(
  incident: Incident | undefined,
  attempt: number,
): incident is Incident & { rollback: RollbackRecord } {
  return incident?.rollback?.attempt === attempt;
}

/**
 * The plan with what its execute asked to keep with it (ExecuteResult.planData) added to its data; a key the plan
 * has already is replaced.
 */
export function withPlanData(plan: RollbackPlan, kept: Record<string, unknown>): RollbackPlan {
  return { ...plan, data: { ...plan.data, ...kept } };
}

/**
 * Keeps what attempt `attempt`'s execute asked to keep with its plan on the stored attempt, whatever its status
 * since: a replica that marked it unknown meanwhile re-reads the layer with it at its next look. Undefined once a
 * later attempt superseded it: that one has its own plan.
 */
export function keepPlanData(
  incident: Incident,
  attempt: number,
  kept: Record<string, unknown>,
): Incident | undefined {
  if (!isLatestAttempt(incident, attempt)) return undefined;
  return {
    ...incident,
    rollback: { ...incident.rollback, plan: withPlanData(incident.rollback.plan, kept) },
  };
}
