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
