import { rememberNewest } from '../core/bounded-memory.js';
import type { Clock, Logger } from '../engine/ports.js';
import {
  deliveryJoin,
  deliveryKey,
  type Arrival,
  type EscalationEvent,
  type IncidentEvent,
  type Notifier,
  type NotifierEvent,
} from '../engine/notifier-port.js';
import { realTimer, type SetTimer } from '../engine/timer.js';
import { createPageDeliveries } from './deliveries.js';
import { nextBusinessStart, pageFor, type BusinessHours } from './policy.js';
import type { Page, Pager } from './types.js';

export type { SetTimer } from '../engine/timer.js';

/** How long shutdown waits for pages still being retried: the same 5 s Slack's queue gets to flush. */
export const SHUTDOWN_DEADLINE_MS = 5_000;

/** Where a model pages, and when its SEV-3s may. */
export interface PagingRoute {
  pager: Pager;
  hours: BusinessHours;
}

/** Options of the paging notifier. */
export interface PagingNotifierOptions {
  /** The notifier it wraps (Slack, console): always told first. */
  inner: Notifier;
  /** The model's paging route, or undefined when it does not page. */
  pagerFor: (model: string) => PagingRoute | undefined;
  clock: Clock;
  logger: Logger;
  /** Told about events for the daily digest instead of a page (SEV-4 openings), with the model's hours. */
  digest?: (event: IncidentEvent, hours: BusinessHours) => void;
  /**
   * Told of an escalation that pages only within business hours (a SEV-3's missed target at night), with when they
   * next begin: durably schedules its page for then (engine/business-hours-page.ts). A rejection counts as the page
   * not sent, so that its sender sends it again; without this option such an escalation pages nobody.
   */
  pageLater?: (event: EscalationEvent, dueAt: number) => Promise<void>;
  /**
   * Whether the incident is over (resolved, dismissed or closed) as the store has it: asked once a trigger has
   * landed, which another replica may have overtaken with its resolve (resolveIfOver). Without it, not asked.
   */
  isOver?: (incidentId: string) => Promise<boolean>;
  /** The timer of idle()'s deadline; injectable for tests. */
  setTimer?: SetTimer;
}

/** A notifier that also pages. */
export interface PagingNotifier extends Notifier {
  /**
   * For shutdown: settles once every page is sent or has failed, or after `deadlineMs` (default
   * SHUTDOWN_DEADLINE_MS). Pages still being retried then are abandoned: their retries stop, and each is
   * logged at error level with its incident and action. One the provider had accepted, whose processing it had not
   * yet confirmed (Opsgenie), was delivered as far as rollbot can tell: it is logged at warn level with the
   * provider's request id to check, not as abandoned.
   */
  idle(deadlineMs?: number): Promise<void>;
}

/**
 * Wraps `inner` with paging. Every event goes to `inner` first, unchanged (its rejection, if any, is passed
 * on); then the page, if any, is sent without being awaited: paging never blocks or breaks a rollback, and
 * its failures are logged. An incident's pages reach the provider in order.
 */
export function createPagingNotifier(options: PagingNotifierOptions): PagingNotifier {
  const deliveries = createPageDeliveries(options.logger, options.setTimer ?? realTimer);
  // The policy acknowledges on every event of an acknowledged incident (it cannot tell which event was the
  // acknowledgement); one acknowledge per incident per process is enough: the provider's is idempotent. One that
  // failed is forgotten (forgetFailed), and so is a resolve below.
  const acknowledged = new Set<string>();
  // Likewise every update of an incident that is over resolves (a note for the retrospective, the retrospective's
  // completion): one resolve per key per process, until a trigger opens it again. Bounded, oldest forgotten.
  const resolved = new Map<string, true>();
  // The escalations of which one half arrived while the other was given up on: their sender sends them again,
  // and only the half that did not arrive goes again. A page sent again would resolve the one that rang as
  // "superseded" (acknowledged by now, perhaps) and ring the on-call anew, each time Slack gives up on it; a Slack
  // half sent again would post its ping twice. Bounded, oldest forgotten.
  const halfArrived = new Map<string, 'told' | 'paged'>();
  const join = deliveryJoin();

  /** Forgets an acknowledge or resolve that was not sent, so that the next event that calls for it sends it. */
  function forgetFailed(one: Page): void {
    if (one.action === 'acknowledge') acknowledged.delete(one.dedupKey);
    if (one.action === 'resolve') resolved.delete(one.dedupKey);
  }

  /** Sends `page` after the incident's pages before it (deliveries.ts): true once it is sent, false when it was not. */
  function send(pager: Pager, page: Page, incidentId: string): Promise<boolean> {
    const sending = deliveries.send(pager, page, incidentId);
    if (page.action === 'trigger') {
      void sending.then((sent) => (sent ? resolveIfOver(pager, page, incidentId) : undefined));
    }
    return sending;
  }

  /**
   * A trigger that landed on an incident over by now is resolved at once. This process sends an incident's pages in
   * order, but another replica may have handled its resolution (a button behind a load balancer) while this one
   * retried the trigger: that resolve reached the provider first and found nothing to resolve, and the trigger
   * would ring on for an incident nobody has left to resolve. The store is asked after the trigger landed, and a
   * resolution is stored before it is told, so one of the two resolves comes after the trigger.
   */
  async function resolveIfOver(pager: Pager, trigger: Page, incidentId: string): Promise<void> {
    if (!options.isOver) return;
    let over: boolean;
    try {
      over = await options.isOver(incidentId);
    } catch (error) {
      options.logger.warn(
        {
          err: error instanceof Error ? error.message : String(error),
          incidentId,
          dedupKey: trigger.dedupKey,
        },
        'cannot tell whether the incident of a page just sent is over; its next event resolves the page if it is',
      );
      return;
    }
    if (!over || resolved.has(trigger.dedupKey)) return;
    options.logger.warn(
      { incidentId, dedupKey: trigger.dedupKey },
      'a page landed after its incident was over (resolved on another replica meanwhile): resolving it',
    );
    rememberNewest(resolved, trigger.dedupKey, true, REMEMBERED_PAGES);
    acknowledged.delete(trigger.dedupKey);
    const sent = await send(pager, { ...trigger, action: 'resolve' }, incidentId);
    if (!sent) resolved.delete(trigger.dedupKey);
  }

  /**
   * Pages about the event if the policy says so: sent once its pages are sent or none was due (a digest entry is
   * not a page), not when one was not sent. An escalation's resolve of its stage's earlier page ("superseded") is
   * not what rings anyone: one not sent is `unresolved` rather than unsent, as its trigger went out without it.
   * Never rejects.
   */
  function page(event: NotifierEvent): Promise<Paged> {
    if (event.type === 'channel.message') return Promise.resolve({ sent: true, none: true });
    try {
      const route = options.pagerFor(event.incident.model);
      if (route === undefined) return Promise.resolve({ sent: true, none: true });
      const decision = pageFor(event, options.clock.now(), route.hours);
      if (decision === 'digest') {
        options.digest?.(event, route.hours);
        return Promise.resolve({ sent: true, none: true });
      }
      if (decision === 'business-hours') return pageLater(event, route.hours);
      if (decision.length === 0) return Promise.resolve({ sent: true, none: true });
      const sending = decision.map((one) => {
        if (one.action === 'acknowledge') {
          if (acknowledged.has(one.dedupKey)) return Promise.resolve(true);
          acknowledged.add(one.dedupKey);
        }
        if (one.action === 'resolve') {
          if (resolved.has(one.dedupKey)) return Promise.resolve(true);
          acknowledged.delete(one.dedupKey);
          rememberNewest(resolved, one.dedupKey, true, REMEMBERED_PAGES);
        }
        if (one.action === 'trigger') resolved.delete(one.dedupKey);
        return send(route.pager, one, event.incident.id).then((sent) => {
          // Remembered so as not to be sent again, not so as never to be: one that failed is tried again by the
          // incident's next event (a page left open keeps ringing up the provider's escalation policy).
          if (!sent) forgetFailed(one);
          return sent;
        });
      });
      const superseding = (one: Page) => event.type === 'escalation' && one.action === 'resolve';
      return Promise.all(sending).then((sent) => {
        const unsent = decision.filter((_, index) => !sent[index]);
        const unresolved = unsent.find(superseding);
        // An escalation whose trigger failed too is simply not sent: it is sent again, resolve and all.
        if (!unsent.every(superseding)) return { sent: false };
        return { sent: true, ...(unresolved ? { unresolved: unresolved.dedupKey } : {}) };
      });
    } catch (error) {
      options.logger.error(
        { err: error instanceof Error ? error.message : String(error), incidentId: event.incident.id },
        'paging failed',
      );
      return Promise.resolve({ sent: false });
    }
  }

  /** Has an escalation paged when business hours next begin: sent (none now) once that is scheduled. */
  async function pageLater(event: NotifierEvent, hours: BusinessHours): Promise<Paged> {
    if (event.type !== 'escalation' || !options.pageLater) return { sent: true, none: true };
    try {
      await options.pageLater(event, nextBusinessStart(options.clock.now(), hours));
      return { sent: true, none: true };
    } catch (error) {
      options.logger.error(
        { err: error instanceof Error ? error.message : String(error), incidentId: event.incident.id },
        `paging failed: cannot schedule the ${event.stage} escalation's page for when business hours begin; it is tried again`,
      );
      return { sent: false };
    }
  }

  /** Tells and pages an escalation, but for the half that arrived when it was sent before (halfArrived). */
  async function escalate(event: EscalationEvent): Promise<[Arrival, Paged]> {
    const key = halfKey(event);
    const before = halfArrived.get(key);
    const [told, paged] = await Promise.all([
      before === 'told' ? { arrived: true } : options.inner.deliver(event),
      before === 'paged' ? { sent: true } : page(event),
    ]);
    halfArrived.delete(key);
    if (told.arrived !== paged.sent)
      rememberNewest(halfArrived, key, told.arrived ? 'told' : 'paged', REMEMBERED_PAGES);
    return [told, paged];
  }

  return {
    async notify(event: NotifierEvent): Promise<void> {
      try {
        await options.inner.notify(event);
      } finally {
        void page(event);
      }
    },
    deliver(event) {
      return join(deliveryKey(event), async (): Promise<Arrival> => {
        // A decision request asks the channel; a page it causes (an acknowledge) is not the request.
        if (event.type !== 'escalation') {
          const telling = options.inner.deliver(event);
          void page(event);
          return telling;
        }
        const [told, paged] = await escalate(event);
        const byHand = [
          told.byHand,
          paged.unresolved === undefined ? undefined : unresolvedText(event.stage, paged.unresolved),
        ].filter((said) => said !== undefined);
        return {
          arrived: told.arrived && paged.sent,
          ...(byHand.length ? { byHand: byHand.join('; ') } : {}),
          ...halfReached(told.arrived, paged),
          ...(paged.sent && !paged.none ? { paged: true } : {}),
        };
      });
    },
    idle: (deadlineMs = SHUTDOWN_DEADLINE_MS) => deliveries.idle(deadlineMs),
  };
}

/** What became of an event's pages: all sent (or none due), and an escalation's earlier page left open. */
interface Paged {
  sent: boolean;
  /** No page was due (the model pages nobody, or not for this event): sent, with nobody paged. */
  none?: true;
  /** The dedup key of the earlier page that a sent escalation's "superseded" resolve could not close. */
  unresolved?: string;
}

/** The one half of an escalation that arrived when the other did not (Arrival's `reached`); none when no page was due. */
function halfReached(told: boolean, paged: Paged): Pick<Arrival, 'reached'> {
  if (told && !paged.sent) return { reached: 'slack' };
  if (!told && paged.sent && !paged.none) return { reached: 'pager' };
  return {};
}

/**
 * What the on-call must do about an escalation whose stage's earlier page could not be resolved first: close it
 * by hand. Its new trigger was sent; if that earlier alert is still open (acknowledged), the provider may have
 * added the new one to it instead of ringing anyone, so the people escalated to must be told.
 */
function unresolvedText(stage: string, dedupKey: string): string {
  return (
    `the ${stage} stage's earlier page ${dedupKey} could not be resolved first (see the logs): resolve it in the ` +
    'paging provider by hand; if it was still open, the provider may have added this page to it without ringing anyone'
  );
}

/**
 * Which escalation an escalation is, for halfArrived: its delivery key, and the rollback attempt it is about (a
 * later attempt's unknown outcome is another escalation, which must page whatever became of the earlier one's).
 */
function halfKey(event: EscalationEvent): string {
  return `${deliveryKey(event)}#${event.incident.rollback?.attempt ?? 0}`;
}

/**
 * How many resolved keys, and escalations only half of which arrived, a process remembers: incidents end far less
 * often than this many in a process's life.
 */
const REMEMBERED_PAGES = 1_000;
