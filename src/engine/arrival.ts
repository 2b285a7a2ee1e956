/**
 * Waiting for an event that must not be lost in a crash (an escalation, a triage's decision request, a digest) to arrive
 * before its sender records it as sent: never only queued in memory, where it dies with its replica.
 */
import { formatDuration } from '../core/duration.js';
import { RollbotError } from '../core/errors.js';
import type { EngineDeps } from './context.js';
import type { Arrival, DeliveredEvent } from './notifier-port.js';
import { realTimer } from './timer.js';

/** Where each delivered event goes, and what to check when it does not get there. */
const REACH: Record<DeliveredEvent['type'], { to: string; check: string }> = {
  escalation: { to: 'Slack or the pager', check: 'check Slack and the paging provider' },
  'decision.requested': { to: 'Slack', check: 'check Slack' },
  'channel.message': { to: 'Slack', check: 'check Slack' },
};

/**
 * What to do about a delivery that arrives after its sender stopped waiting: `record` it, once `arrival` says it
 * arrived. By the time its deadline comes round again the delivery has ended, and a notifier joins only
 * deliveries still on their way: unrecorded, it would be sent (posted, paged) a second time.
 */
export interface LateArrival {
  /** The delivery, until it arrived or was given up on. */
  arrival: Promise<Arrival>;
  /** Records it as arrived, as its sender would have (the mark that it was sent). */
  record: (arrival: Arrival) => Promise<void>;
  /**
   * Notes an escalation given up on after only one half of it arrived (Arrival's `reached`): not the mark, as it
   * is sent again for the other half, but what a record written later must not deny (the on-call was paged).
   */
  noteHalf?: (arrival: Arrival) => Promise<void>;
}

/**
 * An event still on its way after `arrivalWaitMs` (Slack or the pager down, retrying for minutes): it stays
 * on its way, and its sender fails so that the deadline that sent it comes round again after its lease. On this
 * replica that joins the delivery if it is still on its way (notifiers join deliveries of the same event), or
 * finds it recorded if it arrived in between (`late`, recorded by sendOnce); on another (this one died with it
 * queued), or if it was given up on after all, it sends it again.
 */
export class StillOnItsWay extends RollbotError {
  constructor(
    event: DeliveredEvent,
    what: string,
    waitedMs: number,
    /** How to record it should it arrive later, when its sender said (deliverInTime's `recordLate`). */
    readonly late?: LateArrival,
  ) {
    const { to, check } = REACH[event.type];
    super(
      'UNAVAILABLE',
      `${what} has not reached ${to} after ${formatDuration(waitedMs)}; it stays on its way and is recorded once it arrives`,
      { hint: `${check}; the deadline comes round again in a minute` },
    );
    this.name = 'StillOnItsWay';
  }
}

/**
 * Delivers `event` (`what` names it in the error) and waits up to `arrivalWaitMs` for it to arrive: arrived once
 * it reached everyone, not once it was given up on (the notifier logged why). Throws StillOnItsWay when it has
 * done neither by then, carrying `recordLate` (how to record it as arrived) for sendOnce to run should it arrive
 * later, and `noteHalf` for an escalation given up on later with one half arrived (LateArrival). For deadline
 * handlers, and a failed rollback's own path once its lock is released (its answer waits at most `arrivalWaitMs`
 * then, where a person asked for it): an alert webhook or a Slack ack must never wait for Slack.
 */
export async function deliverInTime(
  deps: Pick<EngineDeps, 'notifier' | 'timing'>,
  event: DeliveredEvent,
  what: string,
  recordLate?: (arrival: Arrival) => Promise<void>,
  noteHalf?: (arrival: Arrival) => Promise<void>,
): Promise<Arrival> {
  const delivery = deps.notifier.deliver(event);
  const arrived = await within(deps.timing.arrivalWaitMs, delivery);
  if (arrived === undefined) {
    const late = recordLate
      ? { arrival: delivery, record: recordLate, ...(noteHalf ? { noteHalf } : {}) }
      : undefined;
    throw new StillOnItsWay(event, what, deps.timing.arrivalWaitMs, late);
  }
  return arrived;
}

/**
 * What became of an escalation that did not arrive, for its timeline entry (the compliance record, the
 * retrospective's source): who it reached after all (Arrival's `reached`) and what is left to do by hand. A
 * clause, starting lower case: "the on-call was paged, but the escalation to S0PLATFORM could not be posted…".
 */
export function undeliveredEscalation(arrival: Arrival, who: string): string {
  if (arrival.reached === 'pager')
    return `the on-call was paged, but the escalation to ${who} could not be posted in Slack (see the logs): tell them by hand`;
  if (arrival.reached === 'slack')
    return `the escalation to ${who} was posted in Slack, but the page could not be sent (see the logs): page the on-call by hand`;
  return `the escalation to ${who} could not be delivered (see the logs): tell them by hand`;
}

/** What `promise` settled with within `ms`, or undefined when it had not. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T | undefined> {
  let cancel = (): void => undefined;
  const timeout = new Promise<undefined>((resolve) => (cancel = realTimer(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    cancel();
  }
}
