import type { RollbackRequestResult } from '../../src/engine/rollback-request.js';
import type { Store } from '../../src/engine/ports.js';

/**
 * Two-person requests arriving at the same instant, reproducibly: the first `readers` reads of a value whose
 * key starts with `keyPrefix`, through any of the stores wrapped, wait for one another, so that every
 * request has read before any writes (as on two replicas, or one process with interleaved awaits). Later
 * reads pass straight through. Wrap each replica's store: `const together = sameInstant(2, 'pending-…:')`,
 * then `together(store)`.
 */
export function sameInstant(readers: number, keyPrefix: string): (store: Store) => Store {
  let arrived = 0;
  const waiting: (() => void)[] = [];
  async function meet(): Promise<void> {
    arrived += 1;
    if (arrived < readers) return new Promise((resolve) => waiting.push(resolve));
    for (const release of waiting.splice(0)) release();
  }
  return (store) => ({
    ...store,
    async getValue(key) {
      const value = await store.getValue(key);
      if (key.startsWith(keyPrefix) && arrived < readers) await meet();
      return value;
    },
  });
}

/**
 * Something that happens between a read and the write or delete that follows it, reproducibly: the first
 * read of a value whose key starts with `keyPrefix`, through the store wrapped, runs `meanwhile` (on another
 * store or replica, so that it is not caught itself) before it returns what it read. Later reads pass
 * straight through.
 */
export function afterFirstRead(
  keyPrefix: string,
  meanwhile: () => Promise<unknown>,
): (store: Store) => Store {
  let done = false;
  return (store) => ({
    ...store,
    async getValue(key) {
      const value = await store.getValue(key);
      if (key.startsWith(keyPrefix) && !done) {
        done = true;
        await meanwhile();
      }
      return value;
    },
  });
}

/**
 * Something that happens while a store call is under way, reproducibly: the first call of `method` through the
 * store wrapped whose arguments `matches` accepts runs `meanwhile` (on another store or replica, so that it is
 * not caught itself) once the call is done, before it returns. Later calls pass straight through. For instance
 * `afterCall('acquire', alert, (name) => name.startsWith('rollback:'))`: a real alert arrives just as a rollback
 * has taken its lock, before it reads the serving layer and plans.
 */
export function afterCall<K extends keyof Store>(
  method: K,
  meanwhile: () => Promise<unknown>,
  matches: (...args: Parameters<Store[K]>) => boolean = () => true,
): (store: Store) => Store {
  let done = false;
  return (store) => {
    const call = store[method] as (...args: Parameters<Store[K]>) => Promise<unknown>;
    const wrapped = async (...args: Parameters<Store[K]>): Promise<unknown> => {
      const result = await call.apply(store, args);
      if (!done && matches(...args)) {
        done = true;
        await meanwhile();
      }
      return result;
    };
    return { ...store, [method]: wrapped };
  };
}

/** Of rollback requests settled together: the requests left waiting for approval, and the refusals. */
export function waitingAndRefused(results: PromiseSettledResult<RollbackRequestResult>[]) {
  const waiting = results.flatMap((result) =>
    result.status === 'fulfilled' && result.value.status === 'awaiting-approval'
      ? [result.value.pending]
      : [],
  );
  const refused = results.flatMap((result) =>
    result.status === 'rejected' ? [result.reason as unknown] : [],
  );
  return { waiting, refused };
}
