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
 * its failures are logged.
 */
export function createPagingNotifier(options: PagingNotifierOptions): PagingNotifier {
  const inFlight = new Set<Promise<void>>();
  // The policy acknowledges on every event of an acknowledged incident (it cannot tell which event was the
  // acknowledgement); one acknowledge per incident per process is enough: the provider's is idempotent.
  const acknowledged = new Set<string>();

  function send(pager: Pager, page: Page): void {
    const log = options.logger.child({ dedupKey: page.dedupKey, action: page.action });
    const sending = pager
      .send(page)
      .then(
        () => log.info({}, 'page sent'),
        (error: unknown) =>
          log.error({ err: error instanceof Error ? error.message : String(error) }, 'paging failed'),
      )
      .finally(() => inFlight.delete(sending));
    inFlight.add(sending);
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
      send(route.pager, decision);
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
