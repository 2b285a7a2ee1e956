/**
 * Schedules `fn` after `ms` and returns a function that cancels it: how the outgoing queues (Slack, paging)
 * wait, injectable so that tests move time by hand. `keepAlive` timers hold the process open (only for a
 * shutdown's deadline); the others must not, so a quiet queue never delays shutdown.
 */
export type SetTimer = (fn: () => void, ms: number, keepAlive?: boolean) => () => void;

/**
 * The longest wait setTimeout takes: Node fires a longer one after 1 ms instead (with a TimeoutOverflowWarning), so a
 * Retry-After of days from a proxy would retry at once, over and over.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The real timer: setTimeout, unref'd unless asked to keep the process alive. A wait past MAX_TIMER_MS (24.8 days)
 * fires then, early rather than at once: the queues that wait through it look again when it fires.
 */
export const realTimer: SetTimer = (fn, ms, keepAlive = false) => {
  const timer = setTimeout(fn, Math.min(ms, MAX_TIMER_MS));
  if (!keepAlive) timer.unref();
  return () => clearTimeout(timer);
};
