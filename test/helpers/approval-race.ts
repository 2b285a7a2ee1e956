import type { Store } from '../../src/engine/ports.js';

/**
 * `store` as one replica sees it while another records a deployment of `model` at the worst moment: `meanwhile`
 * runs once, when the approval is about to be written — after the approver's replica read which deployment waits,
 * before its approval is stored. The seam is the store port, so the engine runs unchanged.
 */
export function recordingWhileApproving(store: Store, model: string, meanwhile: () => Promise<void>): Store {
  let pending = true;
  return {
    ...store,
    async setValue(key, value, ttlMs) {
      if (pending && key === `deploy-approval:${model}`) {
        pending = false;
        await meanwhile();
      }
      return store.setValue(key, value, ttlMs);
    },
  };
}
