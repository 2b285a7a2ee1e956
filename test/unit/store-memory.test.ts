import { describe, expect, it } from 'vitest';
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

describe('memory store, run for months without Redis', () => {
  it('forgets expired once keys, values and lapsed leases that nobody asks about again', async () => {
    let now = T0;
    const store = createMemoryStore({ clock: { now: () => now } });
    for (let i = 0; i < 1_000; i += 1) {
      // Every Slack event claims a key of its own; a digest marks each incident listed; a sender that died
      // leaves its lease to lapse. None of these keys is read again once it has expired.
      await store.claimOnce(`slack:event:E${i}`, 3_600_000);
      await store.setValue(`digest-listed:INC-${i}`, '1', 60_000);
      await store.acquire(`escalation:INC-${i}:triage`, 'rollbot', 120_000, now);
    }
    await store.setValue('retro:INC-1', '{}');
    expect(store.expiringKeys()).toBe(3_000);

    now += 2 * 3_600_000;
    await store.claimOnce('slack:event:later', 3_600_000);
    expect(store.expiringKeys()).toBe(1);
    expect(await store.getValue('retro:INC-1')).toBe('{}');
    expect(await store.claimOnce('slack:event:later', 3_600_000)).toBe(false);
  });
});
