/**
 * Refused deployment approvals: one meant for a deployment that no longer waits, and one of a deployment approved
 * already. The first kind is recorded where the approval would have been (the model's latest incident), so that a
 * retro sees someone meant to approve something else, and answered with what waits now and how to approve it; the
 * second is not (the approval that counts is on the timeline).
 */
import { RollbotError } from '../core/errors.js';
import type { Incident } from '../core/incident.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, type EngineDeps } from './context.js';

/** A deployment waiting for approval, as the refusals name it. */
interface Waiting {
  /** Why it needs an approval (empty: it does not). */
  reasons: string[];
  askedFor: string;
  /** That deployment in words. */
  waiting: string;
  approved?: { by: string };
}

/** Where the refused approval came from: a request message's button, or the API (given its `askedFor`, or not). */
export type ApprovalSource = 'message' | 'api';

/**
 * The refusal of an approval of an earlier request (a press on its message, or the API given its `askedFor`),
 * checked before anything was stored.
 */
export async function refuseEarlierRequest(
  deps: EngineDeps,
  runbook: Runbook,
  press: {
    actor: string;
    asked: string;
    from: ApprovalSource;
    needed: Waiting;
    latest: Incident | undefined;
  },
): Promise<RollbotError> {
  const { needed, latest, asked } = press;
  const { model } = runbook;
  const waiting = `${needed.waiting}${needed.approved ? `, approved already by ${needed.approved.by}` : ''}`;
  const text =
    press.from === 'api'
      ? `${press.actor} approved through the API ${asked}, not the deployment of ${model} waiting now (${waiting}, ${needed.askedFor}): nothing was approved`
      : `${press.actor} pressed Approve deployment on an earlier request of ${model}, not on the one waiting now (${waiting}): nothing was approved`;
  await recordRefusal(deps, runbook, { actor: press.actor, text, latest });
  if (press.from === 'api') {
    return new RollbotError(
      'CONFLICT',
      `askedFor ${asked} is not the deployment of ${model} waiting for approval now: that is ${waiting}, askedFor ${needed.askedFor}; nothing was approved`,
      { hint: apiHint(model) },
    );
  }
  return new RollbotError(
    'CONFLICT',
    `this message asked about an earlier deployment of ${model}: the one waiting now is ${waiting}; nothing was approved`,
    {
      hint: `read its request in ${runbook.channel} and approve it on that message if you agree, or POST /api/gate/${model}/approve`,
    },
  );
}

/**
 * The refusal of an approval that lost a race: which deployment waits changed between reading it and storing the
 * approval (a deployment recorded meanwhile, by CI on another replica, or a rollback). The approval stored is for
 * the deployment before, which the gate does not count for the one waiting now: nothing was approved.
 */
export async function refuseMovedOn(
  deps: EngineDeps,
  runbook: Runbook,
  race: { actor: string; from: ApprovalSource; given: Waiting; now: Waiting; latest: Incident | undefined },
): Promise<RollbotError> {
  const { model } = runbook;
  const { now } = race;
  const waitsNow =
    now.reasons.length > 0
      ? `the one waiting now is ${now.waiting}${race.from === 'api' ? `, askedFor ${now.askedFor}` : ''}`
      : `no deployment of ${model} waits for approval now`;
  const text = `the deployment of ${model} waiting for approval changed while ${race.actor} approved: the approval was for ${race.given.waiting}; ${waitsNow}; nothing was approved`;
  await recordRefusal(deps, runbook, { actor: race.actor, text, latest: race.latest });
  const hint =
    now.reasons.length === 0
      ? `the deployment it was for went out without it; nothing needs approving now (GET /api/gate/${model})`
      : race.from === 'api'
        ? apiHint(model)
        : `approve the one waiting now on its request in ${runbook.channel} (posted when CI next asks the gate), or POST /api/gate/${model}/approve`;
  return new RollbotError('CONFLICT', text, { hint });
}

/**
 * The answer to an approval that lost a race to another approver's (`meanwhile`: stored after this one read; an
 * approval of a deployment approved already when it was read renews it instead, approve-deployment.ts). The
 * approval stored (and announced) first lets the deployment waiting now through already. Nothing is stored over
 * it nor announced again, and nothing recorded: both meant the same deployment, and the timeline has the approval
 * that counts.
 */
export function refuseApprovedAlready(
  deps: EngineDeps,
  runbook: Runbook,
  attempt: {
    actor: string;
    from: ApprovalSource;
    now: Waiting;
    approved: { by: string; at: number };
    /** It was stored while this approver approved (after they read none). */
    meanwhile?: boolean;
  },
): RollbotError {
  const { model } = runbook;
  const { now, approved } = attempt;
  const race = attempt.meanwhile ? `, stored while ${attempt.actor} approved it` : '';
  const text = `the deployment of ${model} waiting for approval (${now.waiting}) is approved already by ${approved.by} (${new Date(approved.at).toISOString()})${race}: that approval stands; nothing more was approved`;
  deps.logger.info({ model, by: attempt.actor, approvedBy: approved.by }, text);
  const hint =
    attempt.from === 'api'
      ? `nothing more to do: GET /api/gate/${model} shows the approval in force (approval.approved)`
      : `nothing more to do: ${approved.by}'s approval, announced in ${runbook.channel}, covers it`;
  return new RollbotError('CONFLICT', text, { hint });
}

const apiHint = (model: string) =>
  `read GET /api/gate/${model} and approve with its approval.askedFor if you agree to that deployment`;

async function recordRefusal(
  deps: EngineDeps,
  runbook: Runbook,
  refusal: { actor: string; text: string; latest: Incident | undefined },
): Promise<void> {
  if (refusal.latest)
    await record(deps, refusal.latest, {
      type: 'deployment.approval-refused',
      actor: refusal.actor,
      text: refusal.text,
    });
  deps.logger.info({ model: runbook.model, by: refusal.actor }, refusal.text);
}
