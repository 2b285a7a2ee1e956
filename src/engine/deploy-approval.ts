/**
 * Deployments that need a person's yes: every deployment of a tier-1 model, and the first deployment of any
 * model after a rollback (the fix for what was rolled back). The approval is for the next deployment only
 * (recording a deployment uses it up) and lasts 24 h; it goes on the model's latest incident timeline. It is
 * stored with the deployment it was given for, and counts for that one only (core/approval-coverage.ts). Here:
 * which deployment waits and whether it is approved, the stored approval, the request; a person's approval is
 * approve-deployment.ts.
 */
import {
  APPROVAL_LASTS_MS,
  approvalUntil,
  covers,
  ROLLBACK_ASKED_FOR,
  type StoredApproval,
} from '../core/approval-coverage.js';
import type { Runbook } from '../runbooks/schema.js';
import { deliverInTime, StillOnItsWay } from './arrival.js';
import type { EngineDeps } from './context.js';
import { sendUnlessMarked } from './send-once.js';

export interface DeploymentApproval {
  /** Why an approval is needed (empty: it is not). */
  reasons: string[];
  /** Who may approve: Slack user or group IDs; empty means anyone. */
  approvers: string[];
  /** How to give it. */
  how: string;
  /**
   * The approval that lets the deployment waiting now through: who gave it, and until when it does (24 h after
   * it was given, or after its latest renewal, `renewed`).
   */
  approved?: { by: string; at: number; reason: string; until: number; renewed?: { by: string; at: number } };
  /**
   * An approval stored for another deployment than the one waiting now (one recorded while it was being given,
   * or a rollback since), which does not let it through, and why.
   */
  outdated?: StoredApproval & { why: string };
}

/**
 * A needed approval and which deployment it is for, as a request's Approve deployment button carries it: a press
 * on the message of another one (an earlier rollback's, a tier-1 deployment that went out since) is refused.
 */
export interface AskedApproval extends DeploymentApproval {
  /**
   * Which deployment: `rollback:<incident>:<at>` (the first after that rollback), or `deployment:<at>[.<n>]|none`
   * (the one after the newest recorded, at `at`; `.<n>` when it is the n-th recorded in that same millisecond).
   */
  askedFor: string;
  /** That deployment in words, for a refused press: what waits now. */
  waiting: string;
}

/**
 * What `askedFor` looks like (AskedApproval): the API refuses anything else as a mistyped value rather than as a
 * request that moved on.
 */
export const ASKED_FOR_FORMAT = /^(rollback:[^\s:]+:\d+|deployment:(\d+(\.\d+)?|none))$/;

const approvalKey = (model: string) => `deploy-approval:${model}`;
/** A request is posted again after a day, should the deployment still wait for an approval. */
const ASK_AGAIN_AFTER_MS = 24 * 3_600_000;

/**
 * What approval the model's next deployment needs, whether it has it (an approval given for that deployment,
 * `approved`; one given for another, `outdated`), and which deployment that is.
 */
export async function approvalFor(deps: EngineDeps, runbook: Runbook): Promise<AskedApproval> {
  return (await readApproval(deps, runbook)).approval;
}

/**
 * approvalFor, with the stored approval's text as read (`raw`: undefined when none is stored, or none is needed):
 * what an approval is stored against (compareAndSetValue), so that it replaces only what it was decided on.
 */
export async function readApproval(
  deps: EngineDeps,
  runbook: Runbook,
): Promise<{ approval: AskedApproval; raw: string | undefined }> {
  const reasons: string[] = [];
  if (runbook.tier === 1) reasons.push('tier-1 model: every deployment needs an approval');
  const rollback = await lastRollbackWithoutDeployment(deps, runbook.model);
  const afterRollback = rollback
    ? `first deployment after the rollback from ${rollback.version} in ${rollback.incidentId} (${new Date(rollback.at).toISOString()})`
    : undefined;
  if (afterRollback) reasons.push(afterRollback);
  const asked =
    rollback && afterRollback
      ? { askedFor: `rollback:${rollback.incidentId}:${rollback.at}`, waiting: `the ${afterRollback}` }
      : await nextRecordedDeployment(deps, runbook.model);
  const raw = reasons.length > 0 ? await deps.store.getValue(approvalKey(runbook.model)) : undefined;
  const stored = raw ? (JSON.parse(raw) as StoredApproval) : undefined;
  const approval = {
    reasons,
    approvers: runbook.rollback.approvers,
    how: `the Approve deployment button in ${runbook.channel}, or POST /api/gate/${runbook.model}/approve`,
    ...(stored ? coverage(stored, asked.askedFor) : {}),
    ...asked,
  };
  return { approval, raw };
}

/** A stored approval as the gate shows it: `approved` if it covers the deployment waiting, else `outdated`. */
function coverage(
  stored: StoredApproval,
  waiting: string,
): Pick<DeploymentApproval, 'approved' | 'outdated'> {
  if (!covers(stored, waiting)) return { outdated: { ...stored, why: notCoveringWhy(stored) } };
  const { by, at, reason, renewed } = stored;
  return { approved: { by, at, reason, until: approvalUntil(stored), ...(renewed ? { renewed } : {}) } };
}

/** Why `approval` does not cover the deployment waiting now, for the gate's answer and CI logs. */
function notCoveringWhy(approval: StoredApproval): string {
  const given = `the approval by ${approval.by} (${new Date(approval.at).toISOString()})`;
  if (approval.askedFor === undefined)
    return `${given} was given before the rollback this deployment follows: approve this one`;
  return `${given} was for an earlier deployment, ${deploymentInWords(approval.askedFor)}, not the one waiting now: approve this one`;
}

/** An askedFor in words: which deployment it names. */
function deploymentInWords(askedFor: string): string {
  const rollback = ROLLBACK_ASKED_FOR.exec(askedFor);
  if (rollback)
    return `the first deployment after the rollback in ${rollback[1]} (${new Date(Number(rollback[2])).toISOString()})`;
  if (askedFor === 'deployment:none') return 'the first recorded deployment';
  const after = /^deployment:(\d+)(?:\.(\d+))?$/.exec(askedFor);
  if (after?.[1] !== undefined) {
    const nth = after[2] === undefined ? '' : ` (number ${after[2]} of those recorded in that millisecond)`;
    return `the deployment after the one recorded ${new Date(Number(after[1])).toISOString()}${nth}`;
  }
  return askedFor;
}

/**
 * A tier-1 request (no rollback since the last deployment) is for the deployment after the newest one recorded:
 * once that one went out, its message is about a deployment that happened, and a press on it would approve one
 * nobody was asked about. Recorded, as approvals count them: an `observed` version uses up no approval. Named by
 * when the newest was recorded and, when others were recorded in that same millisecond (two pipelines, two
 * replicas), how many: by its time alone, the deployment after the second would be the one after the first, and
 * an approval given for the first's successor would let the second's through.
 */
async function nextRecordedDeployment(
  deps: EngineDeps,
  model: string,
): Promise<{ askedFor: string; waiting: string }> {
  const recorded = (await deps.store.deployments(model)).filter((d) => d.strategy !== 'observed');
  const newest = recorded[0];
  if (!newest) return { askedFor: 'deployment:none', waiting: 'its first recorded deployment' };
  const sameInstant = recorded.findIndex((d) => d.at !== newest.at);
  const nth = sameInstant === -1 ? recorded.length : sameInstant;
  return {
    // The first of a millisecond keeps the name it always had: requests and approvals from before still match.
    askedFor: `deployment:${newest.at}${nth > 1 ? `.${nth}` : ''}`,
    waiting: `the deployment after ${newest.version} (recorded ${new Date(newest.at).toISOString()})`,
  };
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
 * Stores `value` as the model's approval only if the stored one is still `read` (its text as the decision to
 * approve read it; undefined: none), in one step, for 24 h from now (a new approval, or a renewal): true when it
 * did. An approval never replaces one written since.
 */
export function replaceApproval(
  deps: EngineDeps,
  model: string,
  read: string | undefined,
  value: string,
): Promise<boolean> {
  return deps.store.compareAndSetValue(approvalKey(model), read, value, APPROVAL_LASTS_MS);
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
 * while it was being recorded stays stored, for the deployment it was given for (this one), so that it covers no
 * later one (core/approval-coverage.ts) and the gate shows it as outdated.
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
 * button no longer approves). The message carries the Approve deployment button, for that deployment. It is
 * marked asked only once it reached Slack (deliverInTime), under a lock replicas polled at once take turns at
 * (sendUnlessMarked): one Slack gave up on, or lost with its replica, is asked again at the next poll rather than
 * leaving nobody asked for a day. One still on its way after `arrivalWaitMs` is marked should it arrive; the gate
 * answers meanwhile, as the request is not its answer.
 */
export async function requestApproval(
  deps: EngineDeps,
  runbook: Runbook,
  approval: AskedApproval,
): Promise<void> {
  const asked = `deploy-approval-asked:${runbook.model}:${approval.askedFor}:${approval.reasons.join('|')}`;
  const markAsked = () => deps.store.setValue(asked, '1', ASK_AGAIN_AFTER_MS);
  const who = approval.approvers.length > 0 ? approval.approvers.join(', ') : 'anyone in the channel';
  const event = {
    type: 'channel.message' as const,
    channel: runbook.channel,
    text: `🚦 A deployment of ${runbook.model} is waiting for approval: ${approval.reasons.join('; ')}. ${who} may approve.`,
    approveDeployment: {
      model: runbook.model,
      approvers: approval.approvers,
      askedFor: approval.askedFor,
    },
    delivery: asked,
  };
  const what = `the approval request for ${runbook.model}'s deployment`;
  try {
    await sendUnlessMarked(deps, {
      lock: asked,
      wasSent: async () => (await deps.store.getValue(asked)) !== undefined,
      send: async () => {
        if ((await deliverInTime(deps, event, what, markAsked)).arrived) await markAsked();
        else
          deps.logger.warn(
            { model: runbook.model, askedFor: approval.askedFor },
            `${what} could not be posted in ${runbook.channel}; the next poll of the gate asks again`,
          );
      },
      // Another replica is asking: CI's next poll looks again.
      lookAgainAt: async () => undefined,
    });
  } catch (error) {
    if (!(error instanceof StillOnItsWay)) throw error;
    deps.logger.warn({ model: runbook.model, askedFor: approval.askedFor }, error.message);
  }
}
