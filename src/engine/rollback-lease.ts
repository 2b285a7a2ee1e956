import { RollbotError } from '../core/errors.js';
import type { EngineDeps } from './context.js';
import type { Lease } from './ports.js';
import type { RollbackRequest } from './rollback-types.js';

/** The lock that makes a model's rollbacks one at a time, across replicas. */
export const rollbackLockName = (model: string): string => `rollback:${model}`;

/** Takes the model's rollback lock, or refuses saying who holds it and since when. */
export async function acquireLock(deps: EngineDeps, request: RollbackRequest): Promise<Lease> {
  const name = rollbackLockName(request.model);
  const owner = `${request.by} via ${request.trigger}`;
  const lease = await deps.store.acquire(name, owner, deps.timing.lockTtlMs, deps.clock.now());
  if (lease) return lease;
  const holder = await deps.store.holder(name);
  const since = holder ? new Date(holder.acquiredAt).toISOString() : 'a moment ago';
  throw new RollbotError(
    'LOCKED',
    `rollback of ${request.model} by ${holder?.owner ?? 'someone'} in progress since ${since}`,
    {
      hint: 'wait for it: its progress is on the incident timeline (rollbot incidents --open)',
      details: holder,
    },
  );
}

/** A lease extended in the background for as long as a rollback runs. */
export interface KeptLease {
  lease: Lease;
  /** True once the store said the lease is no longer ours: another replica may hold the lock now. */
  lost(): boolean;
  stop(): void;
}

/**
 * Extends the lease every third of its TTL. A store error (a Redis blip) is logged and tried again on the next
 * tick: it must not crash the process mid-rollback. A `false` answer means the lease expired and may be someone
 * else's: that is remembered, so the rollback can stop before it writes or claims success without the lock.
 */
export function keepLeaseAlive(
  deps: Pick<EngineDeps, 'store' | 'timing' | 'logger'>,
  lease: Lease,
): KeptLease {
  let lost = false;
  const extend = async () => {
    try {
      if (await deps.store.extend(lease, deps.timing.lockTtlMs)) return;
      lost = true;
      clearInterval(timer);
      deps.logger.error({ lock: lease.name }, 'the rollback lock was lost: another replica may hold it now');
    } catch (error) {
      deps.logger.warn({ lock: lease.name, err: error }, 'could not extend the rollback lock; trying again');
    }
  };
  const timer = setInterval(() => void extend(), deps.timing.lockTtlMs / 3);
  return { lease, lost: () => lost, stop: () => clearInterval(timer) };
}
