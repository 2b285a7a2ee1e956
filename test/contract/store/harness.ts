import type { Store } from '../../../src/engine/ports.js';

export interface Harness {
  store: Store;
  /**
   * A second store on the same backend, as another replica would have it (Redis: its own connection on the
   * same prefix). The memory backend lives in one process, so there its peer is the store itself.
   */
  peer: Store;
  /** The time the store's ttls run on. */
  clock: { now(): number };
  /** Lets `ms` pass on that clock: moves an injected clock, or sleeps (keep such ttls to ~100–200 ms). */
  advance(ms: number): Promise<void>;
  /** Releases connections and data; must tolerate a store the test already closed. */
  cleanup(): Promise<void>;
}

/** A getter, because each test gets a fresh harness. */
export type GetHarness = () => Harness;
