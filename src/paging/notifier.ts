import type { Clock, Logger } from '../engine/ports.js';
import type { IncidentEvent, Notifier, NotifierEvent } from '../engine/notifier-port.js';
import { pageFor, type BusinessHours } from './policy.js';
import type { Page, Pager } from './types.js';

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
}

/** A notifier that also pages; `idle()` settles once every page in flight is sent or has failed. */
export interface PagingNotifier extends Notifier {
  idle(): Promise<void>;
}

/**
 * Wraps `inner` with paging. Every event goes to `inner` first, unchanged (its rejection, if any, is passed
 * on); then the page, if any, is sent without being awaited: paging never blocks or breaks a rollback, and
 * its failures are logged. An incident's pages reach the provider in order.
 */
export function createPagingNotifier(options: PagingNotifierOptions): PagingNotifier {
  const inFlight = new Set<Promise<void>>();
  // The last page of each dedup key: an incident's next page starts once it has settled, so a resolve never
  // overtakes its trigger while the trigger is being retried (the provider would resolve nothing, then open an
  // alert that nobody resolves).
  const lastOfKey = new Map<string, Promise<void>>();
  // The policy acknowledges on every event of an acknowledged incident (it cannot tell which event was the
  // acknowledgement); one acknowledge per incident per process is enough: the provider's is idempotent.
  const acknowledged = new Set<string>();

  /** Sends `page` after the incident's pages before it; never rejects. */
  function send(pager: Pager, page: Page, incidentId: string): void {
    const previous = lastOfKey.get(page.dedupKey);
    const start = () => attempt(pager, page, incidentId);
    const sending = (previous ? previous.then(start) : start()).finally(() => {
      inFlight.delete(sending);
      if (lastOfKey.get(page.dedupKey) === sending) lastOfKey.delete(page.dedupKey);
    });
    inFlight.add(sending);
    lastOfKey.set(page.dedupKey, sending);
  }

  async function attempt(pager: Pager, page: Page, incidentId: string): Promise<void> {
    const log = options.logger.child({ incidentId, dedupKey: page.dedupKey, action: page.action });
    try {
      await pager.send(page);
      log.info({}, 'page sent');
    } catch (error) {
      log.error({ err: error instanceof Error ? error.message : String(error) }, 'paging failed');
    }
  }

  function page(event: NotifierEvent): void {
    if (event.type === 'channel.message') return;
    try {
      const route = options.pagerFor(event.incident.model);
      if (route === undefined) return;
      const decision = pageFor(event, options.clock.now(), route.hours);
      if (decision === undefined) return;
      if (decision === 'digest') {
        options.digest?.(event, route.hours);
        return;
      }
      if (decision.action === 'acknowledge') {
        if (acknowledged.has(decision.dedupKey)) return;
        acknowledged.add(decision.dedupKey);
      }
      if (decision.action === 'resolve') acknowledged.delete(decision.dedupKey);
      send(route.pager, decision, event.incident.id);
    } catch (error) {
      options.logger.error(
        { err: error instanceof Error ? error.message : String(error), incidentId: event.incident.id },
        'paging failed',
      );
    }
  }

  return {
    async notify(event: NotifierEvent): Promise<void> {
      try {
        await options.inner.notify(event);
      } finally {
        page(event);
      }
    },
    async idle(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
