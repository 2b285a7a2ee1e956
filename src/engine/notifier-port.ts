/**
 * The notifier port: what the engine tells people about. Adapters (console/, slack/notifier/, the paging
 * wrapper) decide how. Kept apart from ports.ts, whose other ports are about state and the outside world.
 */
import type { TriageRecord } from '../core/evaluation.js';
import type { Incident } from '../core/incident.js';
import type { Retrospective } from '../core/retro.js';
import type { Severity } from '../core/severity.js';
import type { Stage } from '../core/stages.js';

/** Things the engine tells people about. Adapters decide how (console lines, Slack messages, …). */
export type NotifierEvent =
  | { type: 'incident.opened'; incident: Incident; channel: string }
  | {
      /** A message about no incident in particular: drill reminders and scorecards' announcements. */
      type: 'channel.message';
      channel: string;
      text: string;
      /** User and user-group IDs in `text` that Slack is to notify (a drill reminder's people on point). */
      mention?: string[];
      /**
       * Ask for a deployment approval: the message carries the Approve deployment button, which approves the
       * deployment the request is for (`askedFor`, AskedApproval) and no later one.
       */
      approveDeployment?: { model: string; approvers: string[]; askedFor: string };
      /**
       * A two-person rollback request made while the model has no open incident: the message carries the
       * Approve rollback button that would otherwise be in the incident's thread.
       */
      approveRollback?: { model: string; approvers: string[]; requestedAt: number };
    }
  | {
      type: 'incident.updated';
      incident: Incident;
      channel: string;
      text: string;
      /**
       * Whom the update asks to act (user / user-group IDs), mentioned by the adapters as an escalation's `mention`
       * is: a retrospective's reminder. Absent or empty: nobody.
       */
      mention?: string[];
      /** A joining alert raised the severity from this one: paged like an opening at the new severity. */
      severityRaisedFrom?: Severity;
      /**
       * The retrospective as it now stands, when the update is about it (its completion): the adapters redraw the
       * retrospective's own message (`retro.opened`'s, with Complete retrospective) from it.
       */
      retro?: Retrospective;
    }
  | {
      /**
       * Nothing happened, time passed: redraw the incident's message so that its running stage's clock is
       * current. Not news: no thread reply, no page, no console line.
       */
      type: 'incident.tick';
      incident: Incident;
      channel: string;
    }
  | {
      /** A retrospective opened: the thread message with Complete retrospective and the action items. */
      type: 'retro.opened';
      incident: Incident;
      channel: string;
      retro: Retrospective;
      text: string;
    }
  | {
      /** Triage measured the checks: each value against its threshold, with its trend. */
      type: 'triage.completed';
      incident: Incident;
      channel: string;
      triage: TriageRecord;
    }
  | {
      /** A person must decide: roll back or not (policy approve / two-person, or nothing conclusive). */
      type: 'decision.requested';
      incident: Incident;
      channel: string;
      text: string;
      /** Who may decide (empty: anyone). */
      approvers: string[];
      policy: 'auto' | 'approve' | 'two-person';
      /**
       * The triage whose decision it asks for (absent: a drill's, or a two-person request): with the incident,
       * what identifies the request, so that deliveries of the same one are joined.
       */
      triageAt?: number;
      /**
       * A two-person request's `at` (PendingRollback): its Approve rollback button approves that request only, not
       * one that replaced it since.
       */
      requestedAt?: number;
    }
  | {
      type: 'escalation';
      incident: Incident;
      channel: string;
      stage: Stage;
      /**
       * What it is about, when not its stage's missed target (`rollback-failed`, `outcome-unknown`,
       * `confirmation-failed`): with the incident and the stage, what identifies it, so that two different
       * escalations of one stage on their way together are not joined; and what Slack says it is.
       */
      about?: string;
      /**
       * The page of a missed target deferred to business hours (engine/business-hours-page.ts), delivered now: its
       * stage's page only ever goes out for it once it rang, so that sent again (its replica died before marking
       * it) it lands on the alert its first send opened, instead of resolving that and ringing anew.
       */
      deferred?: true;
      mention: string[];
      text: string;
    };

/** The events about one incident (all but channel messages). */
export type IncidentEvent = Exclude<NotifierEvent, { type: 'channel.message' }>;

export type EscalationEvent = Extract<NotifierEvent, { type: 'escalation' }>;

/** A triage's request for a decision: delivered, as it must not be lost in a crash either. */
export type TriageDecisionRequest = Extract<NotifierEvent, { type: 'decision.requested' }> & {
  triageAt: number;
};

/** The two-person rule's request for a second person (rollback-request-post.ts): delivered, for the same reason. */
export type ApprovalRequest = Extract<NotifierEvent, { type: 'decision.requested' }> & {
  requestedAt: number;
};

/**
 * A channel message that must not be lost either (a daily digest, whose incidents are marked listed once it
 * arrived): `delivery` names it, so that deliveries of the same one are joined.
 */
export type DeliveredChannelMessage = Extract<NotifierEvent, { type: 'channel.message' }> & {
  delivery: string;
};

/**
 * The events that must not be lost in a crash: their senders record them as sent only once they have arrived.
 * An escalation, a triage's decision request, a two-person request, a daily digest.
 */
export type DeliveredEvent =
  EscalationEvent | TriageDecisionRequest | ApprovalRequest | DeliveredChannelMessage;

/** What became of a delivered event. */
export interface Arrival {
  /** It reached everyone it goes to (an escalation: Slack and the pager); false once it was given up on. */
  arrived: boolean;
  /**
   * Of an escalation that did not arrive: the one half that did (Slack told, or the pager triggered), so that its
   * record says who was reached. Absent when neither did, or when the model pages nobody and Slack gave up.
   */
  reached?: 'slack' | 'pager';
  /**
   * Of an escalation: the pager was triggered for it (by this delivery, or by an earlier one of it that this one
   * joined or completed), so that its record never says nobody was paged. Absent when no page was due.
   */
  paged?: true;
  /**
   * What it left for a person to do by hand though it arrived, in words for the timeline: an escalation whose
   * stage's earlier page could not be resolved before its new one was triggered.
   */
  byHand?: string;
}

export interface Notifier {
  /**
   * Hands the event over for delivery and returns (a queueing notifier does not wait for Slack). Must not throw
   * for delivery failures: a notifier records its own failures and never blocks a rollback.
   */
  notify(event: NotifierEvent): Promise<void>;
  /**
   * As notify, then waits for the event to arrive: arrived once it reached everyone it goes to (an escalation:
   * Slack and the pager; a decision request: Slack), not once it was given up on (the notifier recorded why).
   * For the events that must not be lost in a crash: their senders record them as sent only once they are. A
   * call for an event still on its way here (the same `deliveryKey`) joins it rather than sending it twice.
   * Never rejects.
   */
  deliver(event: DeliveredEvent): Promise<Arrival>;
}

/** Joins calls for the same key while the first is on its way: one delivery, one answer for all of them. */
export function deliveryJoin(): (key: string, start: () => Promise<Arrival>) => Promise<Arrival> {
  const onTheirWay = new Map<string, Promise<Arrival>>();
  return (key, start) => {
    const existing = onTheirWay.get(key);
    if (existing) return existing;
    const delivery = start().finally(() => onTheirWay.delete(key));
    onTheirWay.set(key, delivery);
    return delivery;
  };
}

/**
 * Which delivered event an event is: deliveries of the same one are joined. An escalation is its incident's
 * stage, and what it is about (a missed target unless it says); a decision request, its incident's triage that it answers (or the two-person request it posts); a
 * channel message, what it says it is.
 */
export function deliveryKey(event: DeliveredEvent): string {
  if (event.type === 'channel.message') return `message:${event.delivery}`;
  if (event.type === 'escalation') {
    return `${event.incident.id}:${event.stage}${event.about === undefined ? '' : `:${event.about}`}`;
  }
  return event.triageAt !== undefined
    ? `${event.incident.id}:decision:${event.triageAt}`
    : `${event.incident.id}:request:${event.requestedAt}`;
}
