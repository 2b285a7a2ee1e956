import type { Incident } from '../../src/core/incident.js';
import type { Store } from '../../src/engine/ports.js';

/** A replica's store that stops it, as SIGKILL would, at a chosen point after a chosen write. */
export interface DyingStore {
  store: Store;
  /** Store calls made after the chosen write, including the one it stopped in. */
  callsSince(): number;
  /** Settles when the replica has stopped. */
  died: Promise<void>;
  /** It was only stalled (a long pause, a partition): the call it stopped in, and every later one, go on. */
  resume(): void;
}

/** Which store call (by method name and what it returned) starts the count towards the replica's death. */
export type DeathFrom = (method: string, result: unknown) => boolean;

/** The creation of an incident: the replica dies while opening it. */
export const createdIncident: DeathFrom = (method, result) =>
  method === 'createIfNoneOpen' && (result as { created: boolean }).created;

/** A write of an incident that stores a triage: the replica dies while triage decides. */
export const storedTriage: DeathFrom = (method, result) =>
  method === 'updateIncident' && (result as Incident | undefined)?.triage !== undefined;

/** A write of a rollback attempt as executing on an incident: the replica dies while rolling back. */
export const rollbackBegun: DeathFrom = (method, result) =>
  method === 'updateIncident' && (result as Incident | undefined)?.rollback?.status === 'executing';

/** A write that leaves the incident in `phase`: the replica dies right after, say, a drill is dismissed. */
export const incidentBecame =
  (phase: Incident['phase']): DeathFrom =>
  (method, result) =>
    method === 'updateIncident' && (result as Incident | undefined)?.phase === phase;

/** The replica's first store call: it dies somewhere in whatever it does from there on. */
export const firstCall: DeathFrom = () => true;

/**
 * Wraps `store` so that its replica stops `callsAfter` store calls after the write `from` picks (by default,
 * the creation of an incident): that call and every later one do not answer (until `resume`), so nothing the
 * replica was doing goes on, and what it wrote before stays written. `Infinity` never stops, which counts the
 * calls of a whole opening (or triage run).
 */
export function dyingStore(store: Store, callsAfter: number, from: DeathFrom = createdIncident): DyingStore {
  let counting = false;
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
      if (counting && !stopped && ++after > callsAfter) {
        stopped = true;
        die();
      }
      if (stopped) await resumed;
      const result = await method(...args);
      if (!counting && from(name, result)) counting = true;
      return result;
    };
  }
  return {
    store: wrapped as unknown as Store,
    callsSince: () => after,
    died,
    resume,
  };
}
