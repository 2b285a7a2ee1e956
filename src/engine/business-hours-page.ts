/**
 * A SEV-3 pages only within its runbook's business hours: its missed target at night is escalated in Slack and
 * pages nobody then. Still unresolved when business hours begin, and acknowledged by nobody since the miss, it
 * pages then: a durable deadline per incident and stage (the paging notifier schedules it, at the time its policy
 * names), handled on one replica, once per breach.
 */
import { RollbotError } from '../core/errors.js';
import { isOpen } from '../core/incident.js';
import { escalationStaysQuiet } from '../core/settled-at-source.js';
import type { Stage } from '../core/stages.js';
import { deliverInTime } from './arrival.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import type { EscalationEvent } from './notifier-port.js';
import type { Deadline } from './ports.js';
import { sendOnce } from './send-once.js';

export const BUSINESS_HOURS_PAGE = 'business-hours-page';

/** The timeline entry that marks the page sent, for the breach it was about. */
const PAGED = 'stage.paged-in-business-hours';

/** Schedules the page of `event` (a missed target) for `dueAt`; again for the same stage moves it. */
export async function schedulePageAtBusinessHours(
  deps: Pick<EngineDeps, 'store'>,
  event: EscalationEvent,
  dueAt: number,
): Promise<void> {
  await deps.store.schedule({
    id: `${event.incident.id}:${event.stage}:${BUSINESS_HOURS_PAGE}`,
    kind: BUSINESS_HOURS_PAGE,
    dueAt,
    payload: { incidentId: event.incident.id, stage: event.stage },
  });
}

/**
 * Pages the missed target of the deadline's incident and stage, unless the incident is over (resolved, dismissed,
 * closed), its stage ended, it settled at the source or was acknowledged since the miss, or this breach's page went
 * out already: delivered as its escalation (to Slack, saying why now, and to the pager, which business hours now
 * let ring), then marked on the timeline. One not delivered throws, for the deadline to come round again (only the
 * half that did not arrive goes again).
 */
export async function pageAtBusinessHours(deps: EngineDeps, deadline: Deadline): Promise<void> {
  const incidentId = String(deadline.payload.incidentId);
  const stage = deadline.payload.stage as Stage;
  const incident = await deps.store.getIncident(incidentId);
  const breachedAt = incident?.stages[stage].breachedAt;
  if (!incident || !isOpen(incident) || breachedAt === undefined) {
    deps.logger.info(
      { incident: incidentId, stage, phase: incident?.phase },
      'a missed target deferred to business hours needs no page: its incident is over',
    );
    return;
  }
  // The stage the miss was about ended since (a person decided triage, the rollback landed): paging in the morning to
  // ask for what was done at night is noise, as it is for a stage that ended before its escalation went out
  // (escalation.ts, noLongerNews). A stage still late by then (the rollback itself) has a miss of its own.
  if (incident.stages[stage].endedAt !== undefined) {
    deps.logger.info(
      { incident: incidentId, stage },
      `a missed target deferred to business hours needs no page: its ${stage} stage has ended since`,
    );
    return;
  }
  // Settled at the source since (every alert resolved, every check passing): a blip that healed itself pages
  // nobody, by the rule its escalation would follow now (paging/policy.ts), and Slack has heard of it already.
  if (escalationStaysQuiet(incident, stage)) {
    deps.logger.info(
      { incident: incidentId, stage },
      'a missed target deferred to business hours needs no page: its incident settled at the source',
    );
    return;
  }
  // Acknowledged since the miss: a person answered the night's escalation (Slack told the mentioned people of the
  // miss) and owns the incident; ringing the pager in the morning about what they already took on is noise. One
  // acknowledged before the miss still pages, as its escalation would have within business hours: the miss is news
  // the person on it may not have, which is why an escalation rings whoever acknowledged the opening (policy.ts).
  if (incident.acknowledged !== undefined && incident.acknowledged.at >= breachedAt) {
    deps.logger.info(
      { incident: incidentId, stage, acknowledgedBy: incident.acknowledged.by },
      'a missed target deferred to business hours needs no page: someone acknowledged the incident since',
    );
    return;
  }
  const runbook = runbookOf(deps, incident);
  const mention = runbook?.escalation.mention ?? [];
  const since = new Date(breachedAt).toISOString().slice(0, 16).replace('T', ' ');
  const text =
    `${incident.model}: ${incident.id}'s ${stage} target was missed outside business hours (${since} UTC) and ` +
    'the incident is still unresolved now that business hours have begun';
  const event: EscalationEvent = {
    type: 'escalation',
    incident,
    channel: runbook?.channel ?? '',
    stage,
    deferred: true,
    mention,
    text,
  };
  await sendOnce(deps, incidentId, {
    lock: `${BUSINESS_HOURS_PAGE}:${incidentId}:${stage}`,
    markTypes: [PAGED],
    isMark: (entry) => entry.data?.stage === stage && entry.data.breachedAt === breachedAt,
    send: async () => {
      const arrival = await deliverInTime(
        deps,
        event,
        `the business-hours page of ${incidentId}'s ${stage} target`,
      );
      if (!arrival.arrived) {
        throw new RollbotError(
          'UNAVAILABLE',
          `the business-hours page of ${incidentId}'s ${stage} target was not delivered; it is tried again`,
        );
      }
      // Not paged: handled past its hours (the bot was down all day), it is deferred again, to the next day's start
      // (the same deadline moved), which must not find it marked; or the model pages nobody any more.
      if (!arrival.paged) return;
      await record(deps, incident, { type: PAGED, text: `${text}; paged`, data: { stage, breachedAt } });
    },
    lookAgainAt: (at) => deps.store.schedule({ ...deadline, dueAt: at }),
  });
}
