import { RollbotError, withHint } from '../core/errors.js';
import type { Logger } from '../engine/ports.js';
import type { SetTimer } from '../engine/timer.js';
import type { Page, PageAction, Pager } from './types.js';

/** What the on-call must do by hand about a page that was not delivered. */
const BY_HAND: Record<PageAction, string> = {
  trigger: 'nobody was paged: page the on-call by hand',
  acknowledge: "acknowledge the incident's alert in the paging provider by hand",
  resolve: "resolve the incident's alert in the paging provider by hand",
};

/** A page on its way: retried until it is sent, fails for good, or is abandoned at shutdown. */
interface Delivery {
  page: Page;
  incidentId: string;
  abandon: AbortController;
  /** The provider's request id once it accepted the page, while its processing is not yet confirmed. */
  acceptedAs?: string;
}

/**
 * The pages on their way to the providers: each dedup key's in order, each retried by its provider until it is
 * sent or fails for good (logged, with what to do by hand), and, at shutdown, waited for until a deadline and
 * then abandoned (logged too).
 */
export interface PageDeliveries {
  /** Sends `page` once the pages of its dedup key before it have settled: true once it is sent, false when not. */
  send(pager: Pager, page: Page, incidentId: string): Promise<boolean>;
  /** Settles once every page is sent or has failed, or after `deadlineMs`, abandoning those still on their way. */
  idle(deadlineMs: number): Promise<void>;
}

export function createPageDeliveries(logger: Logger, setTimer: SetTimer): PageDeliveries {
  const pending = new Set<Delivery>();
  // The last page of each dedup key: an incident's next page starts once it has settled, so a resolve never
  // overtakes its trigger while the trigger is being retried (the provider would resolve nothing, then open an
  // alert that nobody resolves).
  const lastOfKey = new Map<string, Promise<boolean>>();

  async function attempt(pager: Pager, delivery: Delivery): Promise<boolean> {
    const { page, incidentId, abandon } = delivery;
    // Abandoned at shutdown while it waited for the incident's page before it.
    if (abandon.signal.aborted) return false;
    const log = logger.child({ incidentId, dedupKey: page.dedupKey, action: page.action });
    try {
      await pager.send(page, abandon.signal, (requestId) => (delivery.acceptedAs = requestId));
      // One whose wait for the provider's confirmation was cut short at shutdown was logged as unconfirmed then.
      if (!abandon.signal.aborted) log.info({}, 'page sent');
      return true;
    } catch (error) {
      // An abandoned page was logged as such when it was abandoned.
      if (abandon.signal.aborted) return false;
      const hint = error instanceof RollbotError ? error.hint : undefined;
      log.error(
        { err: error instanceof Error ? error.message : String(error), ...(hint ? { hint } : {}) },
        withHint(
          `paging failed: the ${page.action} page for ${incidentId} was not delivered; ${BY_HAND[page.action]}`,
          hint,
        ),
      );
      return false;
    }
  }

  /**
   * Stops every page still on its way and logs each one, with what the on-call must now do by hand: one the provider
   * accepted but had not confirmed processing is no alarm, only a request to check (a false "nobody was paged" at
   * 2am sends someone paging by hand, twice).
   */
  function abandonPending(deadlineMs: number): void {
    for (const { page, incidentId, abandon, acceptedAs } of pending) {
      if (acceptedAs !== undefined) {
        logger.warn(
          { incidentId, dedupKey: page.dedupKey, action: page.action, requestId: acceptedAs, deadlineMs },
          `paging unconfirmed at shutdown: the ${page.action} page for ${incidentId} was accepted by the paging ` +
            `provider (request ${acceptedAs}) but not confirmed processed within ${deadlineMs} ms; check that ` +
            `request in the provider (Opsgenie: GET /v2/alerts/requests/${acceptedAs}, or the alert's log), and only ` +
            `if it failed: ${BY_HAND[page.action]}`,
        );
        abandon.abort();
        continue;
      }
      logger.error(
        { incidentId, dedupKey: page.dedupKey, action: page.action, deadlineMs },
        `paging abandoned at shutdown: the ${page.action} page for ${incidentId} was not delivered within ` +
          `${deadlineMs} ms (the paging provider kept failing or did not answer); ${BY_HAND[page.action]}`,
      );
      abandon.abort();
    }
    pending.clear();
  }

  async function allSettled(): Promise<void> {
    while (pending.size > 0) await Promise.allSettled([...lastOfKey.values()]);
  }

  return {
    send(pager: Pager, page: Page, incidentId: string): Promise<boolean> {
      const delivery: Delivery = { page, incidentId, abandon: new AbortController() };
      pending.add(delivery);
      const previous = lastOfKey.get(page.dedupKey);
      const start = () => attempt(pager, delivery);
      const sending = (previous ? previous.then(start) : start()).finally(() => {
        pending.delete(delivery);
        if (lastOfKey.get(page.dedupKey) === sending) lastOfKey.delete(page.dedupKey);
      });
      lastOfKey.set(page.dedupKey, sending);
      return sending;
    },

    async idle(deadlineMs: number): Promise<void> {
      if (pending.size === 0) return;
      let cancelDeadline = (): void => undefined;
      const deadline = new Promise<'deadline'>((resolve) => {
        // Kept alive, like Slack's flush deadline: a stopping process waits for it, so abandoned pages get logged.
        cancelDeadline = setTimer(() => resolve('deadline'), deadlineMs, true);
      });
      const outcome = await Promise.race([allSettled().then(() => 'settled' as const), deadline]);
      cancelDeadline();
      if (outcome === 'deadline') abandonPending(deadlineMs);
    },
  };
}
