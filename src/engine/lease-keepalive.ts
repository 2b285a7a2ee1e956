import type { EngineDeps } from './context.js';
import type { Lease } from './ports.js';

/** A lease extended in the background for as long as its work (a rollback, a settlement) runs. */
export interface KeptLease {
  lease: Lease;
  /** True once the store said the lease is no longer ours: another replica may hold the lock now. */
  lost(): boolean;
  stop(): void;
}

/** Ticks a lease lives through: it is extended every third of its TTL. */
const TICKS_PER_TTL = 3;

/**
 * Extends the lease every third of its TTL (`timing.lockTtlMs`); `what` names its lock in the logs (a rollback's,
 * rollback.ts, or a settlement's, send-once.ts). A store error (a Redis blip) is logged and tried again on the next
 * tick: it must not crash the process mid-rollback. A `false` answer means the lease expired and may be someone
 * else's; so does a whole TTL without an extension that went through (this replica cut off from Redis while the
 * others reach it, its calls failing or hanging: the lease lapses there, and another replica may take the lock).
 * Either is remembered, so the rollback can stop before it writes or claims success without the lock.
 */
export function keepLeaseAlive(
  deps: Pick<EngineDeps, 'store' | 'timing' | 'logger'>,
  lease: Lease,
  what = 'the rollback lock',
): KeptLease {
  let lost = false;
  // Counted in ticks, not read from the clock: the lease lapses in real time, which is what the ticks keep.
  let tick = 0;
  // The tick whose extension last went through (0: the acquisition): the lease runs a TTL from its start.
  let confirmed = 0;
  const lose = (why: string) => {
    if (lost) return;
    lost = true;
    clearInterval(timer);
    deps.logger.error({ lock: lease.name }, `${what} was lost${why}: another replica may hold it now`);
  };
  const extend = async (at: number) => {
    try {
      if (!(await deps.store.extend(lease, deps.timing.lockTtlMs))) return lose('');
      confirmed = Math.max(confirmed, at);
    } catch (error) {
      deps.logger.warn({ lock: lease.name, err: error }, `could not extend ${what}; trying again`);
    }
  };
  const timer = setInterval(() => {
    tick += 1;
    if (tick - confirmed >= TICKS_PER_TTL) return lose(' (no extension went through for its whole TTL)');
    void extend(tick);
  }, deps.timing.lockTtlMs / TICKS_PER_TTL);
  return { lease, lost: () => lost, stop: () => clearInterval(timer) };
}
