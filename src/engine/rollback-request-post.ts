/**
 * Asking the second person of the two-person rule: the request's post, with its Approve rollback button, in its
 * incident's thread (or the channel, with no incident). A request nobody sees blocks everyone else's for its
 * hour — they are refused and told to approve it — so its post must not die queued with the requester's
 * replica. A deadline scheduled before the request is saved looks a minute on: unless the post is marked as
 * arrived, it posts it (joining the delivery still on its way on the same replica), as escalations are sent.
 * Another, halfway through the request's hour, puts a request still unapproved before approvers again.
 */
import type { Incident } from '../core/incident.js';
import type { Runbook } from '../runbooks/schema.js';
import { deliverInTime } from './arrival.js';
import { record, type EngineDeps } from './context.js';
import type { DeliveredEvent } from './notifier-port.js';
import { outdated, PENDING_TTL_MS, readPending, type PendingRollback } from './pending-rollback.js';
import type { Deadline } from './ports.js';
import { sendUnlessMarked } from './send-once.js';

export const REQUEST_POST = 'rollback-request-post';
export const REQUEST_REMIND = 'rollback-request-remind';

/** Past a healthy Slack queue's delay: by then a post that will arrive has. */
const LOOK_AFTER_MS = 60_000;
/** As long as a request waits (PENDING_TTL_MS), with room to spare. */
const POSTED_TTL_MS = 2 * 3_600_000;

const postedKey = (pending: Pick<PendingRollback, 'model' | 'at'>) =>
  `rollback-request-posted:${pending.model}:${pending.at}`;

/**
 * Before the request is saved, so that a crash at any point after leaves its post to the deadline; with the
 * reminder halfway through its hour, for a request still unapproved then (at 2am the second person is asleep).
 */
export async function schedulePost(deps: EngineDeps, pending: PendingRollback): Promise<void> {
  const payload = { model: pending.model, at: pending.at };
  await schedulePostLook(deps, pending, pending.at + LOOK_AFTER_MS);
  await deps.store.schedule({
    id: `${REQUEST_REMIND}:${pending.model}:${pending.at}`,
    kind: REQUEST_REMIND,
    dueAt: pending.at + PENDING_TTL_MS / 2,
    payload,
  });
}

/** Puts the REQUEST_POST deadline of `pending` at `dueAt` (scheduling it again moves it). */
function schedulePostLook(deps: EngineDeps, pending: PendingRollback, dueAt: number): Promise<void> {
  return deps.store.schedule({
    id: `${REQUEST_POST}:${pending.model}:${pending.at}`,
    kind: REQUEST_POST,
    dueAt,
    payload: { model: pending.model, at: pending.at },
  });
}

/** The request's text: on the timeline, and in the post. */
export function requestText(pending: PendingRollback): string {
  const to = pending.to ? ` to ${pending.to}` : '';
  return `rollback of ${pending.model}${to} requested by ${pending.requestedBy}: ${pending.reason}. Two-person rule: a different approver must approve`;
}

/**
 * Posts the request from the request path: handed over, not waited for (a Slack command must not wait for
 * Slack); marked once it arrives, which spares the deadline's look a second post.
 */
export function postRequest(
  deps: EngineDeps,
  runbook: Runbook,
  pending: PendingRollback,
  incident: Incident | undefined,
): void {
  void deps.notifier
    .deliver(requestEvent(runbook, pending, incident))
    .then(({ arrived }) => (arrived ? markPosted(deps, pending) : undefined))
    .catch((error: unknown) =>
      deps.logger.warn(
        { err: error, model: pending.model },
        "a rollback request's post arrived but could not be marked; its deadline may post it again",
      ),
    );
}

/**
 * The request a deadline is about, with its runbook and incident, while approvers may still be asked about it:
 * not once it was approved, replaced, dropped with its incident or lapsed, nor once its incident resolved
 * (only a dismissal drops the request), is gone, or was rolled back since — an approval is refused then, so a
 * post would ask for what nobody may approve, and one whose incident is gone would go to the channel as if it
 * had none.
 */
async function stillAsking(deps: EngineDeps, deadline: Deadline) {
  const model = String(deadline.payload.model);
  const pending = await readPending(deps, model);
  if (pending?.at !== Number(deadline.payload.at)) return undefined;
  const runbook = deps.runbooks.get(model);
  if (!runbook) return undefined;
  if (pending.incidentId && (await outdated(deps, model, pending.incidentId, pending))) return undefined;
  const incident = pending.incidentId ? await deps.store.getIncident(pending.incidentId) : undefined;
  return { pending, runbook, incident };
}

/**
 * The REQUEST_POST deadline: posts the request unless it arrived, or no longer waits. A post still on its way
 * after `arrivalWaitMs` fails the deadline, which comes round again: it is marked posted should it arrive in
 * between (sendUnlessMarked, under the post's lock), or it would be posted twice.
 */
export async function postUnlessPosted(deps: EngineDeps, deadline: Deadline): Promise<void> {
  const asking = await stillAsking(deps, deadline);
  if (!asking) return;
  const { pending } = asking;
  await sendUnlessMarked(deps, {
    lock: `${REQUEST_POST}:${pending.model}:${pending.at}`,
    wasSent: async () => (await deps.store.getValue(postedKey(pending))) !== undefined,
    send: () => post(deps, asking),
    lookAgainAt: (at) => schedulePostLook(deps, pending, at),
  });
}

async function post(
  deps: EngineDeps,
  {
    pending,
    runbook,
    incident,
  }: { pending: PendingRollback; runbook: Runbook; incident: Incident | undefined },
): Promise<void> {
  const model = pending.model;
  const what = `the rollback request of ${model} by ${pending.requestedBy}`;
  const mark = () => markPosted(deps, pending);
  if ((await deliverInTime(deps, requestEvent(runbook, pending, incident), what, mark)).arrived) {
    await mark();
    return;
  }
  deps.logger.error(
    { model, requestedBy: pending.requestedBy },
    `${what} could not be posted: approvers cannot see it; the requester can run /rollback again to post it anew`,
  );
}

/**
 * The REQUEST_REMIND deadline: a request still unapproved halfway through its hour is put before approvers
 * again, with its Approve button and when it lapses. Notified, not delivered: a reminder lost with its replica
 * leaves the request as it was, posted.
 */
export async function remindUnlessDecided(deps: EngineDeps, deadline: Deadline): Promise<void> {
  const asking = await stillAsking(deps, deadline);
  if (!asking) return;
  const { pending, runbook, incident } = asking;
  const lapses = new Date(pending.at + PENDING_TTL_MS).toISOString();
  const text = `still waiting for a second approver: ${requestText(pending)}; it lapses at ${lapses} unless approved`;
  if (incident) await record(deps, incident, { type: 'rollback.request.reminded', text });
  await deps.notifier.notify(requestEvent(runbook, pending, incident, text));
}

async function markPosted(deps: EngineDeps, pending: PendingRollback): Promise<void> {
  await deps.store.setValue(postedKey(pending), '1', POSTED_TTL_MS);
}

function requestEvent(
  runbook: Runbook,
  pending: PendingRollback,
  incident: Incident | undefined,
  text = requestText(pending),
): DeliveredEvent {
  const { approvers } = runbook.rollback;
  if (incident) {
    const { channel } = runbook;
    return {
      type: 'decision.requested',
      incident,
      channel,
      text,
      approvers,
      policy: 'two-person',
      requestedAt: pending.at,
    };
  }
  // No incident thread to ask in (noticed before any alert fired): the request goes to the channel.
  return {
    type: 'channel.message',
    channel: runbook.channel,
    text,
    approveRollback: { model: runbook.model, approvers, requestedAt: pending.at },
    delivery: `rollback-request:${pending.model}:${pending.at}`,
  };
}
