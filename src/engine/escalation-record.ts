/**
 * An escalation and its timeline entry, the one way every kind is sent (a missed target, a rollback that FAILED, a
 * failed confirmation, an unknown outcome): delivered first, recorded once it arrived or was given up on, the
 * entry being the mark that it went out (sendOnce's). What the entry says of whom it reached is decided here.
 */
import type { Incident } from '../core/incident.js';
import { deliverInTime, undeliveredEscalation } from './arrival.js';
import { record, type EngineDeps } from './context.js';
import type { Arrival, EscalationEvent } from './notifier-port.js';

/** Whom an escalation mentions, in words. */
export function escalationTargets(mention: readonly string[]): string {
  return mention.length ? mention.join(', ') : 'nobody (the runbook has no escalation.mention)';
}

/** The timeline entry an escalation becomes: its type, its own data, and its text around what became of it. */
export interface EscalationEntry {
  type: string;
  data: Record<string, unknown>;
  /**
   * The entry's text, given `reach`: "escalated to S0PLATFORM" (with what is left to do by hand, if anything), or
   * whom it reached and what to tell by hand when it did not arrive (undeliveredEscalation).
   */
  text(reach: string, arrival: Arrival): string;
  /**
   * It goes to Slack only, paging nobody (core/settled-at-source.ts): the entry says so (`data.paged: false`, "in
   * Slack (nobody paged)"), rather than implying the on-call's phone rang. Unless the arrival says a page rang
   * for it after all (Arrival's `paged`: an earlier round, still on its way when this one joined it, paged).
   */
  slackOnly?: boolean;
}

/**
 * Delivers `event` and writes its entry once it arrived or was given up on, with `delivered`, `byHand`,
 * `reached` and `paged` (the pager rang for it) in its data. One still on its way after `arrivalWaitMs` throws StillOnItsWay (deliverInTime), carrying
 * the same record for sendOnce to write should it arrive later, and `noteHalf` for one given up on with one half
 * arrived. For senders under sendOnce.
 */
export async function escalateAndRecord(
  deps: EngineDeps,
  incident: Pick<Incident, 'id'>,
  event: EscalationEvent,
  what: string,
  entry: EscalationEntry,
  noteHalf?: (arrival: Arrival) => Promise<void>,
): Promise<void> {
  const who = escalationTargets(event.mention);
  const recordAs = async (arrival: Arrival): Promise<void> => {
    const { arrived, byHand, reached } = arrival;
    const slackOnly = entry.slackOnly === true && arrival.paged !== true;
    const where = slackOnly ? ' in Slack (nobody paged)' : '';
    const reach = arrived
      ? `escalated to ${who}${where}${byHand ? `; but ${byHand}` : ''}`
      : undeliveredEscalation(arrival, who);
    await record(deps, incident, {
      type: entry.type,
      text: entry.text(reach, arrival),
      data: {
        ...entry.data,
        // Whether the pager rang for it: an escalation that follows it and would page says nothing new only if it did
        // (escalation-overlap.ts).
        ...(slackOnly ? { paged: false } : arrival.paged === true ? { paged: true } : {}),
        delivered: arrived,
        ...(arrived && byHand ? { byHand } : {}),
        ...(reached ? { reached } : {}),
      },
    });
  };
  await recordAs(await deliverInTime(deps, event, what, recordAs, noteHalf));
}
