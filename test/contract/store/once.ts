import { describe, expect, it } from 'vitest';
import type { GetHarness } from './harness.js';

const TTL = 150;

export function onceAndLifecycleContract(get: GetHarness): void {
  describe('claimOnce', () => {
    it('lets the first caller of a key win until its ttl passes', async () => {
      const { store, peer, advance } = get();
      expect(await store.claimOnce('cron:retro-reminder:2024-01-01', TTL)).toBe(true);
      expect(await store.claimOnce('cron:retro-reminder:2024-01-01', TTL)).toBe(false);
      expect(await peer.claimOnce('cron:retro-reminder:2024-01-01', TTL)).toBe(false);
      expect(await store.claimOnce('cron:retro-reminder:2024-01-02', TTL)).toBe(true);
      await advance(TTL + 100);
      expect(await store.claimOnce('cron:retro-reminder:2024-01-01', TTL)).toBe(true);
    });

    it('lets exactly one of several concurrent callers win, across two stores', async () => {
      const { store, peer } = get();
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? peer : store).claimOnce('slack:action:abc', 60_000)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('values', () => {
    it('stores, reads and overwrites a value, and expires it after its ttl', async () => {
      const { store, peer, advance } = get();
      expect(await store.getValue('slack:INC-1')).toBeUndefined();
      await store.setValue('slack:INC-1', '{"ts":"1.2"}');
      expect(await peer.getValue('slack:INC-1')).toBe('{"ts":"1.2"}');
      await store.setValue('slack:INC-1', '{"ts":"3.4"}');
      expect(await store.getValue('slack:INC-1')).toBe('{"ts":"3.4"}');
      await store.setValue('pending:m', 'x', TTL);
      expect(await store.getValue('pending:m')).toBe('x');
      await advance(TTL + 100);
      expect(await store.getValue('pending:m')).toBeUndefined();
      expect(await store.getValue('slack:INC-1')).toBe('{"ts":"3.4"}');
    });

    it('takes (deletes) a value only while the key holds what the caller read', async () => {
      const { store, peer, advance } = get();
      await store.setValue('pending:m', 'ana');
      expect(await peer.takeValueIfHeld('pending:m', 'ana before')).toBe(false);
      expect(await store.getValue('pending:m')).toBe('ana');
      expect(await peer.takeValueIfHeld('pending:m', 'ana')).toBe(true);
      expect(await store.getValue('pending:m')).toBeUndefined();
      expect(await store.takeValueIfHeld('pending:m', 'ana')).toBe(false);
      // An expired value is nothing: there is nothing left to take.
      await store.setValue('pending:m', 'bo', TTL);
      await advance(TTL + 100);
      expect(await store.takeValueIfHeld('pending:m', 'bo')).toBe(false);
    });

    it('lets exactly one of several concurrent takers of what they read take it, across two stores', async () => {
      const { store, peer } = get();
      await store.setValue('pending:fraud', 'request');
      const taken = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? peer : store).takeValueIfHeld('pending:fraud', 'request'),
        ),
      );
      expect(taken.filter(Boolean)).toHaveLength(1);
      expect(await peer.getValue('pending:fraud')).toBeUndefined();
    });

    it('sets a value only while the key holds what the caller read: nothing, or that value', async () => {
      const { store, peer, advance } = get();
      expect(await store.compareAndSetValue('pending:m', undefined, 'ana', TTL)).toBe(true);
      expect(await peer.compareAndSetValue('pending:m', undefined, 'bo', TTL)).toBe(false);
      expect(await peer.compareAndSetValue('pending:m', 'carol', 'bo', TTL)).toBe(false);
      expect(await store.getValue('pending:m')).toBe('ana');
      expect(await peer.compareAndSetValue('pending:m', 'ana', 'ana again', TTL)).toBe(true);
      expect(await store.getValue('pending:m')).toBe('ana again');
      await advance(TTL + 100);
      // An expired value is nothing: it can no longer be replaced, only set anew.
      expect(await store.compareAndSetValue('pending:m', 'ana again', 'bo', TTL)).toBe(false);
      expect(await store.getValue('pending:m')).toBeUndefined();
      expect(await store.compareAndSetValue('pending:m', undefined, 'bo')).toBe(true);
      await advance(TTL + 100);
      expect(await store.getValue('pending:m')).toBe('bo');
    });

    it('lets exactly one of several concurrent compare-and-sets win, across two stores', async () => {
      const { store, peer } = get();
      const racing = (expected: string | undefined, round: string) =>
        Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 ? peer : store).compareAndSetValue('pending:fraud', expected, `${round} ${i}`, 60_000),
          ),
        );
      const first = await racing(undefined, 'first');
      expect(first.filter(Boolean)).toHaveLength(1);
      const stored = await store.getValue('pending:fraud');
      expect(stored).toBe(`first ${first.indexOf(true)}`);
      const second = await racing(stored, 'second');
      expect(second.filter(Boolean)).toHaveLength(1);
      expect(await peer.getValue('pending:fraud')).toBe(`second ${second.indexOf(true)}`);
    });
  });

  describe('lifecycle', () => {
    it('answers ping, and can be closed twice', async () => {
      const { store } = get();
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
}
