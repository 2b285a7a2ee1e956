/**
 * Deployments that need a person's yes: every deployment of a tier-1 model, and the first deployment of any
 * model after a rollback (the fix for what was rolled back). The approval is for the next deployment only
 * (recording a deployment uses it up) and lasts 24 h; it goes on the model's latest incident timeline. It is
 * stored with the deployment it was given for, and counts for that one only (core/approval-coverage.ts).
 */
import { covers, ROLLBACK_ASKED_FOR, type StoredApproval } from '../core/approval-coverage.js';
import { RollbotError } from '../core/errors.js';
import type { Incident } from '../core/incident.js';
import type { Actor } from '../core/policy.js';
import { oneLine } from '../core/text.js';
import type { Runbook } from '../runbooks/schema.js';
import { latestIncident, record, type EngineDeps } from './context.js';
import { authorize } from './authorize.js';
import {
  refuseApprovedAlready,
  refuseEarlierRequest,
  refuseMovedOn,
  type ApprovalSource,
} from './deploy-approval-refusals.js';

export interface DeploymentApproval {
  /** Why an approval is needed (empty: it is not). */
  reasons: string[];
  /** Who may approve: Slack user or group IDs; empty means anyone. */
  approvers: string[];
  /** How to give it. */
  how: string;
  /** The approval that lets the deployment waiting now through. */
  approved?: { by: string; at: number; reason: string };
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
async function readApproval(
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
  const { by, at, reason } = stored;
  return { approved: { by, at, reason } };
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
  const after = /^deployment:(\d+)$/.exec(askedFor)?.[1];
  if (after !== undefined)
    return `the deployment after the one recorded ${new Date(Number(after)).toISOString()}`;
  return askedFor;
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
 * recorded), naming the one waiting now, and nothing is stored. A deployment approved already is not approved
 * again (CONFLICT naming who approved it; nothing stored, announced or recorded). The approval is stored with
 * the deployment it is for; if another one comes to wait before it lands (CI records the deployment on another
 * replica meanwhile), it covers nothing waiting and is refused (CONFLICT, recorded) instead of announced. It
 * replaces only the stored approval it was decided on: should another approver's land first, that one stands,
 * and this approver is told the deployment is approved already (CONFLICT, nothing announced twice;
 * storeApproval).
 */
export async function approveDeployment(
  deps: EngineDeps,
  model: string,
  how: {
    actor: Actor;
    reason?: string;
    /** Which deployment the approver was shown (AskedApproval's askedFor); absent: whichever waits. */
    askedFor?: string;
    /** Where the approval comes from, for a refusal's words: a request message's button (default), or the API. */
    from?: ApprovalSource;
  },
): Promise<DeploymentApproval> {
  const runbook = deps.runbooks.require(model);
  // The approval goes on the model's latest incident, open or not (a deployment after a rollback usually follows
  // a resolved one): so does a denial, which authorize would otherwise record only on an open incident.
  const latest = await latestIncident(deps, runbook.model);
  await authorize(deps, runbook, how.actor, 'approve', latest);
  const read = await readApproval(deps, runbook);
  const needed = read.approval;
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
  // Approved already (a second press of the button, a second API call): that approval stands, announced once;
  // replacing it would announce the same deployment twice and change who approved it.
  if (needed.approved)
    throw refuseApprovedAlready(deps, runbook, {
      actor: how.actor.id,
      from: how.from ?? 'message',
      now: needed,
      approved: needed.approved,
    });
  const approved = { by: how.actor.id, at: deps.clock.now(), reason: how.reason?.trim() || 'approved' };
  // Stored with the deployment it is for, as read above: one recorded before the write lands (CI on another
  // replica) is not covered by it. Read again to tell the approver, rather than announce an approval that lets
  // nothing through.
  const stored: StoredApproval = { ...approved, askedFor: needed.askedFor };
  await storeApproval(deps, runbook, { stored, read: read.raw, needed, from: how.from ?? 'message', latest });
  const now = await approvalFor(deps, runbook);
  if (!covers(stored, now.askedFor))
    throw await refuseMovedOn(deps, runbook, {
      actor: how.actor.id,
      from: how.from ?? 'message',
      given: needed,
      now,
      latest: await latestIncident(deps, runbook.model),
    });
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
 * Stores `stored` in place of the approval `read` (its text as the decision to approve read it), never over one
 * written since: another approver's, announced already, would be overwritten by one nobody announced. When another
 * landed first it reads again and decides again, once: the deployment approved already by whoever landed first
 * (CONFLICT, nothing stored), another one waiting now or none (refused as moved on, recorded), or the deployment
 * still not approved (the one that landed is for another, or lapsed): stored on a second try against what it read
 * then. Should that lose a race too, CONFLICT, nothing stored: the approver tries again.
 */
async function storeApproval(
  deps: EngineDeps,
  runbook: Runbook,
  write: {
    stored: StoredApproval;
    read: string | undefined;
    needed: AskedApproval;
    from: ApprovalSource;
    latest: Incident | undefined;
  },
): Promise<void> {
  const { stored, needed } = write;
  const key = approvalKey(runbook.model);
  const value = JSON.stringify(stored);
  if (await deps.store.compareAndSetValue(key, write.read, value, APPROVAL_TTL_MS)) return;
  const again = await readApproval(deps, runbook);
  const now = again.approval;
  const race = { actor: stored.by, from: write.from, given: needed, now, latest: write.latest };
  if (now.reasons.length === 0 || now.askedFor !== needed.askedFor)
    throw await refuseMovedOn(deps, runbook, race);
  if (now.approved)
    throw refuseApprovedAlready(deps, runbook, { ...race, approved: now.approved, meanwhile: true });
  if (await deps.store.compareAndSetValue(key, again.raw, value, APPROVAL_TTL_MS)) return;
  throw new RollbotError(
    'CONFLICT',
    `the stored approval of ${runbook.model}'s next deployment changed twice while ${stored.by} approved; nothing was approved`,
    { hint: `approve again: GET /api/gate/${runbook.model} shows the approval in force, if any` },
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
