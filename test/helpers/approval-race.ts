import type { Store } from '../../src/engine/ports.js';

/**
 * `store` as one replica sees it while another acts at the worst moment: `meanwhile` runs when the approval of
 * `model` is about to be written — after the approver's replica read which deployment waits and the approval
 * stored, before its own is stored — once, or before each of the first `times` writes. The seam is the store
 * port, so the engine runs unchanged.
 */
export function whileApproving(
  store: Store,
  model: string,
  meanwhile: () => Promise<unknown>,
  times = 1,
): Store {
  let left = times;
  const before = async (key: string) => {
    if (left > 0 && key === `deploy-approval:${model}`) {
      left -= 1;
      await meanwhile();
    }
  };
  return {
    ...store,
    async setValue(key, value, ttlMs) {
      await before(key);
      return store.setValue(key, value, ttlMs);
    },
    async compareAndSetValue(key, expected, value, ttlMs) {
      await before(key);
      return store.compareAndSetValue(key, expected, value, ttlMs);
    },
  };
}

/** whileApproving, another replica recording a deployment of `model` meanwhile (CI, say). */
export function recordingWhileApproving(store: Store, model: string, meanwhile: () => Promise<void>): Store {
  return whileApproving(store, model, meanwhile);
}
