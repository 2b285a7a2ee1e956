import { RollbotError } from '../core/errors.js';
import type { Actor } from '../core/policy.js';
import type { Trigger } from '../core/trigger.js';
import { refuseStale, type ActedOn } from './acted-on.js';
import { authorize, noteDenial } from './authorize.js';
import { record, type EngineDeps } from './context.js';
import {
  describePending,
  outdated,
  PENDING_TTL_MS,
  readPending,
  savePending,
  takePending,
  type PendingRollback,
} from './pending-rollback.js';
import { rollback, type RollbackOutcome, type RollbackStep } from './rollback.js';
import { postRequest, requestText, schedulePost } from './rollback-request-post.js';
import type { Runbook } from '../runbooks/schema.js';

export type RollbackRequestResult =
  { status: 'done'; outcome: RollbackOutcome } | { status: 'awaiting-approval'; pending: PendingRollback };

/**
 * A person asks for a rollback (Slack button or /rollback). Under `two-person` it waits for a different
 * approver; otherwise it runs at once through the one rollback path.
 */
export async function requestRollback(
  deps: EngineDeps,
  request: {
    model: string;
    to?: string;
    reason: string;
    actor: Actor;
    trigger: Trigger;
    dryRun?: boolean;
    /** The incident whose message or decision request it was asked on: refused once that no longer stands. */
    actedOn?: ActedOn;
    /** The version serving when the person was shown the plan: refused once another serves (rollback-plan.ts). */
    from?: string;
  },
  onStep?: (step: RollbackStep) => void,
): Promise<RollbackRequestResult> {
  const runbook = deps.runbooks.require(request.model);
  const base = {
    model: runbook.model,
    reason: request.reason,
    by: request.actor.id,
    trigger: request.trigger,
    ...(request.to ? { to: request.to } : {}),
    ...(request.from ? { from: request.from } : {}),
    ...(request.actedOn ? { actedOn: request.actedOn } : {}),
  };
  if (request.dryRun)
    return { status: 'done', outcome: await rollback(deps, { ...base, dryRun: true }, onStep) };
  // Here for the two-person rule's request, which saves no act; rollback() holds to it until it is recorded.
  if (request.actedOn) await refuseStale(deps, request.actedOn, runbook.model);
  await authorize(deps, runbook, request.actor, 'roll back');
  if (runbook.rollback.policy !== 'two-person')
    return { status: 'done', outcome: await rollback(deps, base, onStep) };
  if (!request.reason.trim()) throw new RollbotError('BAD_REQUEST', 'a rollback needs a reason');
  const open = await deps.store.openIncidentFor(runbook.model);
  const asked: PendingRollback = {
    model: runbook.model,
    requestedBy: request.actor.id,
    reason: request.reason,
    at: deps.clock.now(),
    ...(request.to ? { to: request.to } : {}),
    ...(request.from ? { from: request.from } : {}),
    ...(open ? { incidentId: open.id, attempts: open.rollback?.attempt ?? 0 } : {}),
  };
  const pending = await savePending(
    deps,
    asked,
    (waiting) => refuseOverwrite(deps, runbook, request.actor.id, waiting),
    (saving) => schedulePost(deps, saving),
  );
  if (open)
    await record(deps, open, {
      type: 'rollback.requested',
      actor: request.actor.id,
      text: requestText(pending),
    });
  postRequest(deps, runbook, pending, open);
  return { status: 'awaiting-approval', pending };
}

/**
 * One request waits per model: a second one by someone else is refused rather than silently replacing the one
 * approvers were shown, also when both were made at the same instant (savePending re-reads and asks again).
 * The requester may replace their own; a request whose incident ended, or was rolled back since, no longer
 * counts.
 */
async function refuseOverwrite(
  deps: EngineDeps,
  runbook: Runbook,
  requester: string,
  waiting: PendingRollback,
): Promise<void> {
  if (waiting.requestedBy === requester) return;
  if (waiting.incidentId && (await outdated(deps, runbook.model, waiting.incidentId, waiting))) return;
  const lapses = new Date(waiting.at + PENDING_TTL_MS).toISOString();
  throw new RollbotError('CONFLICT', `${describePending(waiting)}; it is waiting for approval`, {
    hint: `ask ${runbook.rollback.approvers.join(', ') || 'another person'} to approve it (the Approve rollback button in the incident thread, or on the request in the channel); another request can be made once it is approved, its incident ends, or it lapses at ${lapses}`,
  });
}

/**
 * The second person of the two-person rule approves the pending request: it must be someone allowed to approve
 * and not the requester. Only one approval executes, however many people press the button, and only on the
 * request it checked, and the one whose message was pressed (`requestedAt`): one replaced meanwhile is shown to
 * the approver, not run.
 */
export async function approveRollback(
  deps: EngineDeps,
  request: {
    model: string;
    actor: Actor;
    trigger: Trigger;
    incidentId?: string;
    /** The `at` of the request whose message was pressed: one that replaced it since is not what was approved. */
    requestedAt?: number;
  },
  onStep?: (step: RollbackStep) => void,
): Promise<RollbackOutcome> {
  const runbook = deps.runbooks.require(request.model);
  // A refusal goes on the incident whose message was pressed (it may be over, and another open), when it exists.
  const pressedOn = request.incidentId ? await deps.store.getIncident(request.incidentId) : undefined;
  await authorize(deps, runbook, request.actor, 'approve', pressedOn);
  // The incident of the message whose Approve was pressed: an ended one explains why nothing is waiting.
  const shown = request.incidentId && (await outdated(deps, runbook.model, request.incidentId));
  if (shown) throw shown;
  const pending = await readPending(deps, runbook.model);
  if (!pending)
    throw new RollbotError('NOT_FOUND', `no rollback of ${runbook.model} is waiting for approval`, {
      hint: 'it was approved already, its incident ended, or it lapsed after an hour; request it again if still needed',
    });
  if (request.incidentId && pending.incidentId && pending.incidentId !== request.incidentId)
    throw new RollbotError(
      'CONFLICT',
      `the waiting request is for ${pending.incidentId}, not ${request.incidentId}: ${describePending(pending)}`,
      { hint: `approve it from ${pending.incidentId}'s message if that is what you mean` },
    );
  const stale = pending.incidentId && (await outdated(deps, runbook.model, pending.incidentId, pending));
  if (stale) throw stale;
  if (!pending.incidentId) await refuseDrillSince(deps, runbook.model, pending);
  if (pending.requestedBy === request.actor.id) {
    const text = `${request.actor.id} may not approve their own rollback request: the two-person rule needs a different approver`;
    await noteDenial(
      deps,
      runbook,
      request.actor,
      text,
      pending.incidentId ? { id: pending.incidentId } : undefined,
    );
    throw new RollbotError('FORBIDDEN', text, {
      hint: `ask another of ${runbook.rollback.approvers.join(', ') || 'the on-call team'}`,
    });
  }
  if (request.requestedAt !== undefined && request.requestedAt !== pending.at)
    throw new RollbotError(
      'CONFLICT',
      `the request on this message was replaced: ${describePending(pending)} waits now; nothing was rolled back`,
      { hint: 'read it, and approve it on its own message if you agree with it' },
    );
  if (!(await takePending(deps, pending))) throw await takenOrChanged(deps, runbook.model);
  return rollback(
    deps,
    {
      model: runbook.model,
      reason: `${pending.reason} (requested by ${pending.requestedBy}, approved by ${request.actor.id})`,
      by: request.actor.id,
      trigger: request.trigger,
      ...(pending.to ? { to: pending.to } : {}),
      ...(pending.from ? { from: pending.from } : {}),
    },
    onStep,
  );
}

/**
 * A request made while nothing was open is for production; a rollback without an incident goes on the model's
 * open drill, should one have started since (rollback-scope.ts), which would roll the drill target back in its
 * stead and decide the drill for people who never looked at it. Refused (CONFLICT): the request still waits.
 */
async function refuseDrillSince(deps: EngineDeps, model: string, pending: PendingRollback): Promise<void> {
  const open = await deps.store.openIncidentFor(model);
  if (!open?.drill) return;
  throw new RollbotError(
    'CONFLICT',
    `${describePending(pending)} while no incident was open; the drill ${open.id} is open now: nothing was rolled back`,
    {
      hint: `decide the drill in its own message; the request still waits: approve it again once the drill is over (/incident dismiss ${open.id} <reason> ends it) if ${model} still needs a rollback`,
    },
  );
}

/**
 * Why an approval did not get the request it checked: another approval took it, or it changed (its requester
 * replaced it) since it was read. Nothing runs: the approver has agreed to the request they checked, not to
 * the one waiting now, which they are shown.
 */
async function takenOrChanged(deps: EngineDeps, model: string): Promise<RollbotError> {
  const now = await readPending(deps, model);
  if (!now)
    return new RollbotError('CONFLICT', `the rollback of ${model} was approved by someone else a moment ago`);
  return new RollbotError(
    'CONFLICT',
    `the waiting request changed while you approved it: ${describePending(now)}; nothing was rolled back`,
    { hint: 'approve it again if you agree with it' },
  );
}
