import { createMemoryStore } from '../../src/store/memory.js';
import { describeStoreContract } from '../contract/store-contract.js';
import { T0 } from '../helpers/incidents.js';

describeStoreContract('memory', async () => {
  let now = T0;
  const clock = { now: () => now };
  const store = createMemoryStore({ clock });
  return {
    store,
    // One process, one map: another "replica" of the memory store is the store itself.
    peer: store,
    clock,
    advance: async (ms) => {
      now += ms;
    },
    cleanup: () => store.close(),
  };
});
