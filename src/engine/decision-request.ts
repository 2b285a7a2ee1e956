/**
 * Asking a person to decide (the runbook's approvers, its policy): in the channel, then on the timeline, whose
 * 'decision.requested' entry is the mark that they were asked. The two-person rule's request for a second
 * person (rollback-request.ts) is another message: the request it answers is stored before it is sent.
 */
import type { Incident } from '../core/incident.js';
import type { Runbook } from '../runbooks/schema.js';
import { deliverInTime } from './arrival.js';
import { record, type EngineDeps } from './context.js';
import type { Arrival, NotifierEvent } from './notifier-port.js';

type DecisionRequest = Extract<NotifierEvent, { type: 'decision.requested' }>;

function requestOf(runbook: Runbook, incident: Incident, text: string): DecisionRequest {
  const { policy, approvers } = runbook.rollback;
  return { type: 'decision.requested', incident, channel: runbook.channel, text, approvers, policy };
}

/**
 * Asks for the decision that the triage measured at `triageAt` took, and records that it asked only once the
 * request has reached Slack: never while it merely waits in a queue in memory, where it dies with its replica
 * while its mark would say it was made. One Slack gave up on is recorded as such (the triage target's escalation
 * then still asks, if nobody decides). One still on its way after `arrivalWaitMs` is not recorded: this throws
 * StillOnItsWay; it is recorded once it arrives (sendOnce, under the decision's lock), or the decision's stand-in
 * comes round to join it still on its way, or to ask again if it was given up on or this replica died with it.
 * For deadline handlers only (a triage run, a decision's stand-in).
 */
export async function requestTriageDecision(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  text: string,
  triageAt: number,
): Promise<void> {
  const request = { ...requestOf(runbook, incident, text), triageAt };
  const { policy, approvers } = request;
  const who = approvers.length ? approvers.join(', ') : 'the channel';
  const recordAs = ({ arrived }: Arrival) =>
    record(deps, incident, {
      type: 'decision.requested',
      text: arrived
        ? text
        : `${text}; this request could not be delivered (see the logs): ask ${who} by hand; the triage target escalation still asks if nobody decides`,
      data: { policy, approvers, triageAt, delivered: arrived },
    }).then(() => undefined);
  const arrival = await deliverInTime(
    deps,
    request,
    `the decision request of ${incident.id} (triage at ${new Date(triageAt).toISOString()})`,
    recordAs,
  );
  await recordAs(arrival);
}

/**
 * Asks for a drill's decision: handed to the notifier and recorded at once, not waited for. A drill starts on
 * a request path (the Slack command) that must not wait for Slack, under its opening's lock; and a drill whose
 * request died queued with its replica waits in triage until its triage target escalates, which is what a
 * rehearsal is there to find.
 */
export async function requestDrillDecision(
  deps: EngineDeps,
  runbook: Runbook,
  drill: Incident,
  text: string,
): Promise<void> {
  const request = requestOf(runbook, drill, text);
  await deps.notifier.notify(request);
  const { policy, approvers } = request;
  await record(deps, drill, { type: 'decision.requested', text, data: { policy, approvers } });
}
