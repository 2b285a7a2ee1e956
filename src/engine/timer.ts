/**
 * Schedules `fn` after `ms` and returns a function that cancels it: how the outgoing queues (Slack, paging)
 * wait, injectable so that tests move time by hand. `keepAlive` timers hold the process open (only for a
 * shutdown's deadline); the others must not, so a quiet queue never delays shutdown.
 */
export type SetTimer = (fn: () => void, ms: number, keepAlive?: boolean) => () => void;

/** The real timer: setTimeout, unref'd unless asked to keep the process alive. */
export const realTimer: SetTimer = (fn, ms, keepAlive = false) => {
  const timer = setTimeout(fn, ms);
  if (!keepAlive) timer.unref();
  return () => clearTimeout(timer);
};
