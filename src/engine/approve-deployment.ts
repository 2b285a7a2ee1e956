/**
 * A person approves a deployment the gate holds (deploy-approval.ts says which one waits and why): authorised by
 * the runbook, for the deployment the approver was shown, stored without replacing another approver's, then
 * recorded and announced once.
 */
import { approvalUntil, covers, type StoredApproval } from '../core/approval-coverage.js';
import { RollbotError } from '../core/errors.js';
import type { Incident } from '../core/incident.js';
import type { Actor } from '../core/policy.js';
import { oneLine } from '../core/text.js';
import type { Runbook } from '../runbooks/schema.js';
import { authorize } from './authorize.js';
import { latestIncident, record, type EngineDeps } from './context.js';
import {
  approvalFor,
  readApproval,
  replaceApproval,
  type AskedApproval,
  type DeploymentApproval,
} from './deploy-approval.js';
import {
  refuseApprovedAlready,
  refuseEarlierRequest,
  refuseMovedOn,
  type ApprovalSource,
} from './deploy-approval-refusals.js';

/**
 * A person approves the model's next deployment. Refused (FORBIDDEN, recorded) for someone the runbook does
 * not list, and (CONFLICT) when no approval is needed, so that a stray click does not pre-approve a future.
 * With `askedFor` — from a request message's button, or given to the API as `GET /api/gate` named it — it
 * approves only the deployment the approver was shown: once another one waits it is refused (CONFLICT,
 * recorded), naming the one waiting now, and nothing is stored. A deployment approved already is renewed instead:
 * its approval stands, and lets it through for 24 h from now (renewApproval). The approval is stored with
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
  // Approved already (a second press of the button, a second API call, an approver near the end of its 24 h):
  // renewed, not refused. Refused, the approval would lapse under CI waiting for it, however often people approved.
  if (needed.approved)
    return renewApproval(deps, runbook, { actor: how.actor.id, reason: how.reason, read, latest });
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
  return { reasons, approvers, how: howTo, approved: { ...approved, until: approvalUntil(approved) } };
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
  const value = JSON.stringify(stored);
  if (await replaceApproval(deps, runbook.model, write.read, value)) return;
  const again = await readApproval(deps, runbook);
  const now = again.approval;
  const race = { actor: stored.by, from: write.from, given: needed, now, latest: write.latest };
  if (now.reasons.length === 0 || now.askedFor !== needed.askedFor)
    throw await refuseMovedOn(deps, runbook, race);
  if (now.approved)
    throw refuseApprovedAlready(deps, runbook, { ...race, approved: now.approved, meanwhile: true });
  if (await replaceApproval(deps, runbook.model, again.raw, value)) return;
  throw new RollbotError(
    'CONFLICT',
    `the stored approval of ${runbook.model}'s next deployment changed twice while ${stored.by} approved; nothing was approved`,
    { hint: `approve again: GET /api/gate/${runbook.model} shows the approval in force, if any` },
  );
}

/**
 * An approval of a deployment approved already: the approval in force stands (who gave it, why) and lets the
 * deployment through for 24 h from now, said on the timeline and in the answer (`approved.renewed`,
 * `approved.until`). Not announced in the channel again: it was told the deployment is approved, and a double
 * press would say it twice. Stored only over the approval it was decided on; should that have changed (another
 * approval, or the deployment recorded, meanwhile), CONFLICT and nothing renewed: the approver looks again.
 */
async function renewApproval(
  deps: EngineDeps,
  runbook: Runbook,
  how: {
    actor: string;
    reason: string | undefined;
    read: { approval: AskedApproval; raw: string | undefined };
    latest: Incident | undefined;
  },
): Promise<DeploymentApproval> {
  const { read, actor } = how;
  const { reasons, approvers, how: howTo } = read.approval;
  const stored = read.raw === undefined ? undefined : (JSON.parse(read.raw) as StoredApproval);
  const renewed = { by: actor, at: deps.clock.now() };
  const next: StoredApproval | undefined = stored && { ...stored, renewed };
  if (!next || !(await replaceApproval(deps, runbook.model, read.raw, JSON.stringify(next)))) {
    throw new RollbotError(
      'CONFLICT',
      `the approval of ${runbook.model}'s next deployment changed while ${actor} renewed it; nothing was renewed`,
      {
        hint: `GET /api/gate/${runbook.model} shows the approval in force, if any; approve again if still needed`,
      },
    );
  }
  const until = approvalUntil(next);
  const reason = how.reason?.trim() ? `: ${oneLine(how.reason.trim())}` : '';
  const text = `approval of the next deployment of ${runbook.model} by ${next.by} (${new Date(next.at).toISOString()}) renewed by ${actor} until ${new Date(until).toISOString()}${reason}`;
  if (how.latest) await record(deps, how.latest, { type: 'deployment.approval-renewed', actor, text });
  deps.logger.info({ model: runbook.model, by: actor }, text);
  return {
    reasons,
    approvers,
    how: howTo,
    approved: { by: next.by, at: next.at, reason: next.reason, until, renewed },
  };
}
