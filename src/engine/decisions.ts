import { RollbotError } from '../core/errors.js';
import { acknowledge as ack, decide, isOpen, startDismissedRetro, type Incident } from '../core/incident.js';
import type { Actor } from '../core/policy.js';
import { authorize } from './authorize.js';
import type { Trigger } from '../core/trigger.js';
import { record, type EngineDeps } from './context.js';
import { endedByPerson, guardScoring, scoreDrill } from './drill.js';
import { stageTargetId } from './escalation.js';
import { actingAs, type GroupResolver } from './group-membership.js';
import { mutateIncident, readIncident } from './mutate.js';
import { dropPendingFor } from './pending-rollback.js';
import { triageRunId } from './triage-run.js';

/**
 * Someone is on it. Returns false when the incident was acknowledged already (by them or another). Refuses
 * (CONFLICT) an incident that is over: a press on a message drawn before it ended would put someone "on it" after
 * the end, on the timeline and in the retrospective.
 */
export async function acknowledge(
  deps: EngineDeps,
  incidentId: string,
  by: string,
): Promise<{ incident: Incident; changed: boolean }> {
  const result = await mutateIncident(deps.store, incidentId, (current) => {
    if (!current.acknowledged && !isOpen(current))
      throw new RollbotError(
        'CONFLICT',
        `${current.id} is ${current.phase}: there is nothing to acknowledge`,
        {
          hint: `see what happened with /incident show ${current.id}`,
        },
      );
    return ack(current, by, deps.clock.now());
  });
  if (result.changed) {
    const text = `acknowledged by ${by}`;
    await record(deps, result.incident, { type: 'incident.acknowledged', actor: by, text });
    // Shows who is on it in the incident message, and acknowledges the page.
    const channel = deps.runbooks.get(result.incident.model)?.channel ?? '';
    await deps.notifier.notify({ type: 'incident.updated', incident: result.incident, channel, text });
  }
  return result;
}

/**
 * "Not a rollback": the decision, with its reason, ends triage and dismisses the incident. A drill dismissed so
 * ends, failed, and is scored (drill.ts, endedByPerson).
 */
export async function dismiss(
  deps: EngineDeps,
  incidentId: string,
  how: { actor: Actor; reason: string; trigger: Trigger },
): Promise<Incident> {
  const current = await readIncident(deps.store, incidentId);
  const runbook = deps.runbooks.require(current.model);
  // A refusal goes on the incident they tried to dismiss (a late button), not on whichever of the model's is open.
  await authorize(deps, runbook, how.actor, 'dismiss', current);
  if (!how.reason.trim())
    throw new RollbotError('BAD_REQUEST', '"not a rollback" needs a reason', {
      hint: 'say why, e.g. "upstream outage, not the model"',
    });
  const at = deps.clock.now();
  // A drill ends with its dismissal, failed (drill.ts, endedByPerson), and is scored once: its scoring guarded
  // before the dismissal is written, its ending written with it.
  const drill = current.drill && current.phase === 'triage';
  if (drill) await guardScoring(deps, incidentId);
  const { incident } = await mutateIncident(deps.store, incidentId, (latest) => {
    const dismissed = decide(latest, {
      kind: 'not-rollback',
      by: how.actor.id,
      at,
      reason: how.reason,
      trigger: how.trigger,
    });
    if (!drill) return dismissed;
    const ending = endedByPerson(latest, { as: 'dismissed', by: how.actor.id, reason: how.reason });
    // It ended failed: its retrospective (opened as it is scored) runs on the incident's retro clock.
    return { ...startDismissedRetro(dismissed, at), drillEnding: { ...ending, at } };
  });
  await deps.store.cancel(stageTargetId(incidentId, 'triage'));
  await deps.store.cancel(triageRunId(incidentId));
  if (incident.stages.triage.startedAt !== undefined)
    deps.metrics.stageCompleted('triage', incident.drill, (at - incident.stages.triage.startedAt) / 1000);
  // A two-person request for this incident ends with it: a late Approve must not roll back a dismissed alert.
  const dropped = await dropPendingFor(deps, incident);
  const text = `not a rollback — decided by ${how.actor.id}: ${how.reason}${dropped ? `; the rollback ${dropped.requestedBy} requested will not run` : ''}`;
  await record(deps, incident, { type: 'decision.not-rollback', actor: how.actor.id, text });
  await deps.notifier.notify({ type: 'incident.updated', incident, channel: runbook.channel, text });
  if (drill) await scoreDrill(deps, incident);
  return incident;
}

/**
 * `dismiss` by the person a request names (a Slack user, `dismissedBy`, `--as`), with the approver groups they are
 * in (group-membership.ts): the incident's model says which runbook's groups to check.
 */
export async function dismissAs(
  deps: EngineDeps,
  groupsOf: GroupResolver,
  incidentId: string,
  how: { userId: string; reason: string; trigger: Trigger },
): Promise<Incident> {
  const { model } = await readIncident(deps.store, incidentId);
  return actingAs({ runbooks: deps.runbooks, groupsOf }, { userId: how.userId, model }, (actor) =>
    dismiss(deps, incidentId, { actor, reason: how.reason, trigger: how.trigger }),
  );
}
