/**
 * Deployments that need a person's yes: every deployment of a tier-1 model, and the first deployment of any
 * model after a rollback (the fix for what was rolled back). The approval is for the next deployment only
 * (recording a deployment uses it up) and lasts 24 h; it goes on the model's latest incident timeline.
 */
import { RollbotError } from '../core/errors.js';
import type { Actor } from '../core/policy.js';
import { oneLine } from '../core/text.js';
import type { Incident } from '../core/incident.js';
import type { Runbook } from '../runbooks/schema.js';
import { latestIncident, record, type EngineDeps } from './context.js';
import { authorize } from './authorize.js';

export interface DeploymentApproval {
  /** Why an approval is needed (empty: it is not). */
  reasons: string[];
  /** Who may approve: Slack user or group IDs; empty means anyone. */
  approvers: string[];
  /** How to give it. */
  how: string;
  approved?: { by: string; at: number; reason: string };
}

/**
 * A needed approval and which deployment it is for, as a request's Approve deployment button carries it: a press
 * on the message of another one (an earlier rollback's, a tier-1 deployment that went out since) is refused.
 */
export interface AskedApproval extends DeploymentApproval {
  /** Which deployment: `rollback:<incident>:<at>` (the first after that rollback), or `deployment:<at>|none`. */
  askedFor: string;
  /** That deployment in words, for a refused press: what waits now. */
  waiting: string;
}

/**
 * What `askedFor` looks like (AskedApproval): the API refuses anything else as a mistyped value rather than as a
 * request that moved on.
 */
export const ASKED_FOR_FORMAT = /^(rollback:[^\s:]+:\d+|deployment:(\d+|none))$/;

const approvalKey = (model: string) => `deploy-approval:${model}`;
const APPROVAL_TTL_MS = 24 * 3_600_000;

/** What approval the model's next deployment needs, whether it has it, and which deployment that is. */
export async function approvalFor(deps: EngineDeps, runbook: Runbook): Promise<AskedApproval> {
  const reasons: string[] = [];
  if (runbook.tier === 1) reasons.push('tier-1 model: every deployment needs an approval');
  const rollback = await lastRollbackWithoutDeployment(deps, runbook.model);
  const afterRollback = rollback
    ? `first deployment after the rollback from ${rollback.version} in ${rollback.incidentId} (${new Date(rollback.at).toISOString()})`
    : undefined;
  if (afterRollback) reasons.push(afterRollback);
  const raw = reasons.length > 0 ? await deps.store.getValue(approvalKey(runbook.model)) : undefined;
  const approved = raw ? (JSON.parse(raw) as NonNullable<DeploymentApproval['approved']>) : undefined;
  const asked =
    rollback && afterRollback
      ? { askedFor: `rollback:${rollback.incidentId}:${rollback.at}`, waiting: `the ${afterRollback}` }
      : await nextRecordedDeployment(deps, runbook.model);
  return {
    reasons,
    approvers: runbook.rollback.approvers,
    how: `the Approve deployment button in ${runbook.channel}, or POST /api/gate/${runbook.model}/approve`,
    ...(approved && !predates(approved, rollback) ? { approved } : {}),
    ...asked,
  };
}

/**
 * A tier-1 request (no rollback since the last deployment) is for the deployment after the newest one recorded:
 * once that one went out, its message is about a deployment that happened, and a press on it would approve one
 * nobody was asked about. Recorded, as approvals count them: an `observed` version uses up no approval.
 */
async function nextRecordedDeployment(
  deps: EngineDeps,
  model: string,
): Promise<{ askedFor: string; waiting: string }> {
  const newest = (await deps.store.deployments(model)).find((d) => d.strategy !== 'observed');
  if (!newest) return { askedFor: 'deployment:none', waiting: 'its first recorded deployment' };
  return {
    askedFor: `deployment:${newest.at}`,
    waiting: `the deployment after ${newest.version} (recorded ${new Date(newest.at).toISOString()})`,
  };
}

/**
 * An approval given before the rollback did not weigh it (a tier-1 deployment approved, then the serving version
 * rolled back): the first deployment after the rollback needs an approval of its own.
 */
function predates(approved: { at: number }, rollback: { at: number } | undefined): boolean {
  return rollback !== undefined && approved.at < rollback.at;
}

/** The newest rollback of the model if no deployment has been recorded since (observed ones do not count). */
async function lastRollbackWithoutDeployment(
  deps: EngineDeps,
  model: string,
): Promise<{ version: string; at: number; incidentId: string } | undefined> {
  const marks = Object.entries(await deps.store.rolledBack(model)).map(([version, mark]) => ({
    version,
    ...mark,
  }));
  const newest = marks.sort((a, b) => b.at - a.at)[0];
  if (!newest) return undefined;
  const deployments = await deps.store.deployments(model);
  const since = deployments.some((d) => d.strategy !== 'observed' && d.at > newest.at);
  return since ? undefined : newest;
}

/**
 * A person approves the model's next deployment. Refused (FORBIDDEN, recorded) for someone the runbook does
 * not list, and (CONFLICT) when no approval is needed, so that a stray click does not pre-approve a future.
 * With `askedFor` — from a request message's button, or given to the API as `GET /api/gate` named it — it
 * approves only the deployment the approver was shown: once another one waits it is refused (CONFLICT,
 * recorded), naming the one waiting now, and nothing is stored.
 */
export async function approveDeployment(
  deps: EngineDeps,
  model: string,
  how: {
    actor: Actor;
    reason?: string;
    /** Which deployment the approver was shown (AskedApproval's askedFor); absent: whichever waits. */
    askedFor?: string;
    /** Where `askedFor` comes from, for the refusal's words: a request message's button (default), or the API. */
    from?: 'message' | 'api';
  },
): Promise<DeploymentApproval> {
  const runbook = deps.runbooks.require(model);
  // The approval goes on the model's latest incident, open or not (a deployment after a rollback usually follows
  // a resolved one): so does a denial, which authorize would otherwise record only on an open incident.
  const latest = await latestIncident(deps, runbook.model);
  await authorize(deps, runbook, how.actor, 'approve', latest);
  const needed = await approvalFor(deps, runbook);
  if (needed.reasons.length === 0) {
    throw new RollbotError('CONFLICT', `${runbook.model}'s next deployment needs no approval`, {
      hint: 'the gate asks for one for tier-1 models and for the first deployment after a rollback',
    });
  }
  if (how.askedFor !== undefined && how.askedFor !== needed.askedFor)
    throw await refuseEarlierRequest(deps, runbook, {
      actor: how.actor.id,
      asked: how.askedFor,
      from: how.from ?? 'message',
      needed,
      latest,
    });
  const approved = { by: how.actor.id, at: deps.clock.now(), reason: how.reason?.trim() || 'approved' };
  await deps.store.setValue(approvalKey(runbook.model), JSON.stringify(approved), APPROVAL_TTL_MS);
  // The approver's free-text reason, on rollbot's line: `oneLine` keeps it there, so that a line break in it cannot
  // start what looks like another approval. Slack cannot do it for us: channel messages keep their line breaks
  // (the daily digest's lines are rollbot's).
  const text = `next deployment of ${runbook.model} approved by ${approved.by} (${needed.reasons.join('; ')}): ${oneLine(approved.reason)}`;
  if (latest) await record(deps, latest, { type: 'deployment.approved', actor: approved.by, text });
  deps.logger.info({ model: runbook.model, by: approved.by }, text);
  await deps.notifier.notify({ type: 'channel.message', channel: runbook.channel, text: `✅ ${text}` });
  const { reasons, approvers, how: howTo } = needed;
  return { reasons, approvers, how: howTo, approved };
}

/**
 * The refusal of an approval of an earlier request (a press on its message, or the API given its `askedFor`),
 * recorded where the approval would have been (the model's latest incident), so that a retro sees someone meant
 * to approve something else.
 */
async function refuseEarlierRequest(
  deps: EngineDeps,
  runbook: Runbook,
  press: {
    actor: string;
    asked: string;
    from: 'message' | 'api';
    needed: AskedApproval;
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
  if (latest) await record(deps, latest, { type: 'deployment.approval-refused', actor: press.actor, text });
  deps.logger.info({ model, by: press.actor }, text);
  if (press.from === 'api') {
    return new RollbotError(
      'CONFLICT',
      `askedFor ${asked} is not the deployment of ${model} waiting for approval now: that is ${waiting}, askedFor ${needed.askedFor}; nothing was approved`,
      {
        hint: `read GET /api/gate/${model} and approve with its approval.askedFor if you agree to that deployment`,
      },
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
 * The model's approval as stored (its text), read as a deployment starts being recorded: the approval that
 * deployment was let through with, and the one it uses up.
 */
export async function approvalInForce(deps: EngineDeps, model: string): Promise<string | undefined> {
  return deps.store.getValue(approvalKey(model));
}

/**
 * A recorded deployment uses up the approval it was let through with, and only that one: an approval given
 * while it was being recorded is for the deployment after it, and stays.
 */
export async function useApproval(
  deps: EngineDeps,
  model: string,
  inForce: string | undefined,
): Promise<void> {
  if (inForce !== undefined) await deps.store.takeValueIfHeld(approvalKey(model), inForce);
}

/**
 * Asks the channel for an approval, once per deployment asked for, reason set and day: CI polling the gate must
 * not flood it, and a tier-1 deployment after one that went out needs a message of its own (the earlier one's
 * button no longer approves). The message carries the Approve deployment button, for that deployment.
 */
export async function requestApproval(
  deps: EngineDeps,
  runbook: Runbook,
  approval: AskedApproval,
): Promise<void> {
  const key = `deploy-approval-asked:${runbook.model}:${approval.askedFor}:${approval.reasons.join('|')}`;
  if (!(await deps.store.claimOnce(key, APPROVAL_TTL_MS))) return;
  const who = approval.approvers.length > 0 ? approval.approvers.join(', ') : 'anyone in the channel';
  await deps.notifier.notify({
    type: 'channel.message',
    channel: runbook.channel,
    text: `🚦 A deployment of ${runbook.model} is waiting for approval: ${approval.reasons.join('; ')}. ${who} may approve.`,
    approveDeployment: {
      model: runbook.model,
      approvers: approval.approvers,
      askedFor: approval.askedFor,
    },
  });
}
