import type { Store } from '../../src/engine/ports.js';

/** A replica's store that stops it, as SIGKILL would, at a chosen point of opening an incident. */
export interface DyingStore {
  store: Store;
  /** Store calls made after the incident was created, including the one it stopped in. */
  callsAfterCreate(): number;
  /** Settles when the replica has stopped. */
  died: Promise<void>;
  /** It was only stalled (a long pause, a partition): the call it stopped in, and every later one, go on. */
  resume(): void;
}

/**
 * Wraps `store` so that its replica stops `callsAfter` store calls after it has created an incident: that call
 * and every later one do not answer (until `resume`), so nothing the replica was doing goes on, and what it
 * wrote before stays written. `Infinity` never stops, which counts the calls of a whole opening.
 */
export function dyingStore(store: Store, callsAfter: number): DyingStore {
  let created = false;
  let after = 0;
  let stopped = false;
  let die!: () => void;
  let resume!: () => void;
  const died = new Promise<void>((resolve) => (die = resolve));
  const resumed = new Promise<void>((resolve) => (resume = resolve));
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store) as [string, unknown][]) {
    if (typeof value !== 'function') continue;
    const method = value as (...args: unknown[]) => Promise<unknown>;
    wrapped[name] = async (...args: unknown[]): Promise<unknown> => {
      if (created && !stopped && ++after > callsAfter) {
        stopped = true;
        die();
      }
      if (stopped) await resumed;
      const result = await method(...args);
      if (name === 'createIfNoneOpen' && (result as { created: boolean }).created) created = true;
      return result;
    };
  }
  return {
    store: wrapped as unknown as Store,
    callsAfterCreate: () => after,
    died,
    resume,
  };
}
