/**
 * A stopping bot's one bounded wait (main.ts `stop`): for requests, deadline handlers and the work they left under
 * way, within Kubernetes' grace period, so that Slack messages and pages are still flushed and the store closed.
 */
import type { EngineDeps } from './engine/context.js';

/**
 * How long a stopping bot waits, in all, for the work under way: HTTP requests, deadline handlers and rollbacks
 * (from Slack, which answered before they ran; from the API or the automatic policy, inside a request or a
 * handler), and 📌 captures waiting out a store failure (their ~30 s of retries fit): most of Kubernetes' 60 s
 * grace period, leaving time to flush Slack and pages and close the store.
 */
export const ROLLBACK_DRAIN_MS = 40_000;

/** Waits up to `drainMs` for the work under way (InFlight), and says what a shutdown cut off. */
export async function finishWorkUnderWay(deps: EngineDeps, drainMs: number): Promise<void> {
  const cut = await deps.inFlight.settled(drainMs);
  if (cut.rollback) {
    deps.logger.warn(
      { rollbacks: cut.rollback },
      'stopping with rollbacks still running: their incidents will say "outcome unknown", and the next bot to start re-reads the serving layer instead of executing again',
    );
  }
  if (cut.pin) {
    deps.logger.warn(
      { pins: cut.pin },
      'stopping with 📌 captures still waiting for the store: those messages are not on their timelines; pin them again once rollbot is back',
    );
  }
}

/** The one deadline of a shutdown's drain: `within(work)` waits for work until then, true when it finished. */
export function drainDeadline(drainMs: number) {
  const endsAt = Date.now() + drainMs;
  let timer: NodeJS.Timeout | undefined;
  const over = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), drainMs)));
  return {
    within: (work: Promise<unknown>): Promise<boolean> => Promise.race([work.then(() => true), over]),
    remainingMs: () => Math.max(0, endsAt - Date.now()),
    cancel: () => clearTimeout(timer),
  };
}
