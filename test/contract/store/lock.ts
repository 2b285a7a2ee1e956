import { describe, expect, it } from 'vitest';
import type { Lease } from '../../../src/engine/ports.js';
import type { GetHarness } from './harness.js';

/** Long enough never to expire during a test. */
const HELD = 60_000;
/** Short enough to sleep through on real Redis. */
const SHORT = 150;

function mustAcquire(lease: Lease | undefined): Lease {
  if (!lease) throw new Error('expected to acquire the lock');
  return lease;
}

export function lockContract(get: GetHarness): void {
  describe('lock', () => {
    it('grants a lease recording the owner and the given time', async () => {
      const { store, clock } = get();
      const now = clock.now();
      const lease = mustAcquire(await store.acquire('rollback:ranker', 'U1', HELD, now));
      expect(lease).toMatchObject({ name: 'rollback:ranker', owner: 'U1', acquiredAt: now });
      expect(lease.token).toEqual(expect.any(String));
      expect(lease.fence).toBeGreaterThan(0);
    });

    it('refuses a second owner while it is held', async () => {
      const { store, peer, clock } = get();
      await store.acquire('rollback:ranker', 'U1', HELD, clock.now());
      expect(await store.acquire('rollback:ranker', 'U2', HELD, clock.now())).toBeUndefined();
      expect(await peer.acquire('rollback:ranker', 'U2', HELD, clock.now())).toBeUndefined();
      expect(await store.acquire('rollback:other', 'U2', HELD, clock.now())).toBeDefined();
    });

    it('grants exactly one of several concurrent acquires across two stores', async () => {
      const { store, peer, clock } = get();
      const leases = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? peer : store).acquire('rollback:ranker', `U${i}`, HELD, clock.now()),
        ),
      );
      expect(leases.filter((lease) => lease !== undefined)).toHaveLength(1);
    });

    it('is released only by its own token', async () => {
      const { store, clock } = get();
      const lease = mustAcquire(await store.acquire('rollback:ranker', 'U1', HELD, clock.now()));
      expect(await store.release({ ...lease, token: 'not-the-token' })).toBe(false);
      expect(await store.holder('rollback:ranker')).toMatchObject({ owner: 'U1' });
      expect(await store.release(lease)).toBe(true);
      expect(await store.holder('rollback:ranker')).toBeUndefined();
      expect(await store.release(lease)).toBe(false);
      expect(await store.acquire('rollback:ranker', 'U2', HELD, clock.now())).toBeDefined();
    });

    it('issues strictly increasing fences, across releases and expiries', async () => {
      const { store, clock, advance } = get();
      const fences: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const lease = mustAcquire(await store.acquire('rollback:ranker', `U${i}`, HELD, clock.now()));
        fences.push(lease.fence);
        await store.release(lease);
      }
      await store.acquire('rollback:ranker', 'U3', SHORT, clock.now());
      await advance(SHORT + 100);
      fences.push(mustAcquire(await store.acquire('rollback:ranker', 'U4', HELD, clock.now())).fence);
      for (let i = 1; i < fences.length; i += 1) expect(fences[i]).toBeGreaterThan(fences[i - 1] ?? Infinity);
    });

    it('expires after its ttl, and the stale holder can then neither release nor extend it', async () => {
      const { store, clock, advance } = get();
      const stale = mustAcquire(await store.acquire('rollback:ranker', 'U1', SHORT, clock.now()));
      await advance(SHORT + 100);
      expect(await store.holder('rollback:ranker')).toBeUndefined();
      expect(await store.extend(stale, HELD)).toBe(false);
      const fresh = mustAcquire(await store.acquire('rollback:ranker', 'U2', HELD, clock.now()));
      expect(fresh.fence).toBeGreaterThan(stale.fence);
      expect(await store.release(stale)).toBe(false);
      expect(await store.holder('rollback:ranker')).toMatchObject({ owner: 'U2' });
    });

    it('stays held past its first ttl when extended', async () => {
      const { store, clock, advance } = get();
      const lease = mustAcquire(await store.acquire('rollback:ranker', 'U1', 2 * SHORT, clock.now()));
      await advance(SHORT);
      expect(await store.extend(lease, HELD)).toBe(true);
      await advance(2 * SHORT);
      expect(await store.acquire('rollback:ranker', 'U2', HELD, clock.now())).toBeUndefined();
      expect(await store.extend({ ...lease, token: 'not-the-token' }, HELD)).toBe(false);
      expect(await store.release(lease)).toBe(true);
    });

    it('reports its holder without the token', async () => {
      const { store, clock } = get();
      expect(await store.holder('rollback:ranker')).toBeUndefined();
      const now = clock.now();
      const lease = mustAcquire(await store.acquire('rollback:ranker', 'U1', HELD, now));
      const holder = await store.holder('rollback:ranker');
      expect(holder).toEqual({ name: 'rollback:ranker', owner: 'U1', acquiredAt: now, fence: lease.fence });
      expect(holder).not.toHaveProperty('token');
    });
  });
}
