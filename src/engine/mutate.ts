import { RollbotError } from '../core/errors.js';
import type { Incident } from '../core/incident.js';
import type { IncidentStore, TimelineEntry } from './ports.js';

export interface Mutation {
  incident: Incident;
  /** False when `change` returned undefined: nothing to do, nothing written. */
  changed: boolean;
}

export interface MutateOptions {
  /** A copy the caller has just read: the first attempt starts from it instead of reading again. */
  current?: Incident;
  /** Waits between attempts (the engine's `deps.sleep`); by default a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Entries appended in the same step as the write (IncidentUpdateOptions.timeline); none when nothing is written. */
  timeline?: readonly Omit<TimelineEntry, 'seq'>[];
}

/**
 * Attempts and backoff under contention. Each attempt re-reads and re-applies the change, so attempts that
 * start together collide again; a random wait (full jitter, doubling up to a cap) spreads the writers out.
 * All waits together are at most 3.5 s (1.75 s on average), well inside an alert sender's timeout.
 */
const ATTEMPTS = 20;
const BACKOFF_BASE_MS = 2;
const BACKOFF_CAP_MS = 250;

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it returns something other than undefined (undefined: a compare-and-set lost to
 * another writer), waiting a jittered, growing delay between attempts. When contention still wins, fails with
 * UNAVAILABLE: nothing was written, and the caller should try again later (HTTP answers 503 + Retry-After, so
 * Alertmanager re-sends instead of dropping the alerts as it would on a 4xx).
 */
export async function retryOnContention<T>(
  id: string,
  attempt: (n: number) => Promise<T | undefined>,
  sleep: (ms: number) => Promise<void> = realSleep,
): Promise<T> {
  for (let n = 0; n < ATTEMPTS; n++) {
    if (n > 0) await sleep(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** n));
    const done = await attempt(n);
    if (done !== undefined) return done;
  }
  throw new RollbotError(
    'UNAVAILABLE',
    `incident ${id} is busy: it kept changing under ${ATTEMPTS} attempts`,
    {
      hint: 'nothing was changed; try again in a moment (if it persists, check for a runaway replica)',
      details: { id },
    },
  );
}

/** The stored incident, or NOT_FOUND. */
export async function readIncident(store: IncidentStore, id: string): Promise<Incident> {
  const incident = await store.getIncident(id);
  if (!incident) {
    throw new RollbotError('NOT_FOUND', `no incident ${id}`, {
      hint: 'list incidents with `/incident list` or `rollbot incidents`',
    });
  }
  return incident;
}

/**
 * Applies a pure change to the latest stored incident with optimistic concurrency: if another replica wrote
 * in between, the change is re-applied to the new version. `change` returns undefined for "nothing to do"
 * (which is how duplicates and repeated deliveries become no-ops) and may throw to refuse.
 */
export async function mutateIncident(
  store: IncidentStore,
  id: string,
  change: (incident: Incident) => Incident | undefined,
  options: MutateOptions = {},
): Promise<Mutation> {
  return retryOnContention(
    id,
    async (n) => {
      const current = n === 0 && options.current ? options.current : await readIncident(store, id);
      const next = change(current);
      if (!next) return { incident: current, changed: false };
      const update = { ...next, version: current.version };
      const stored = await (options.timeline
        ? store.updateIncident(update, { timeline: options.timeline })
        : store.updateIncident(update));
      return stored && { incident: stored, changed: true };
    },
    options.sleep,
  );
}
