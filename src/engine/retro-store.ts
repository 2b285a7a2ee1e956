import { RollbotError } from '../core/errors.js';
import type { Retrospective } from '../core/retro.js';
import type { EngineDeps } from './context.js';

/** Where an incident's retrospective is stored (JSON, no expiry: it is part of the incident record). */
export const retroKey = (incidentId: string): string => `retro:${incidentId}`;

const LOCK_TTL_MS = 10_000;
const ATTEMPTS = 40;
const RETRY_MS = 50;

/** The stored retrospective of an incident, if one was opened. */
export async function getRetrospective(
  deps: Pick<EngineDeps, 'store'>,
  incidentId: string,
): Promise<Retrospective | undefined> {
  const json = await deps.store.getValue(retroKey(incidentId));
  return json === undefined ? undefined : (JSON.parse(json) as Retrospective);
}

/**
 * Read-modify-write of a retrospective under a short per-incident lock. The value store has no
 * compare-and-set, and without the lock a reminder (which appends to `remindersSent`) could write back a copy
 * read before a completion and silently reopen the retrospective. `change` gets the current value (undefined:
 * none yet) and returns the new one, or undefined for "nothing to do"; it may throw to refuse (e.g. NOT_FOUND).
 *
 * When nothing is stored, `change(undefined)` is asked first, without the lock: taking the lock leaves state behind
 * (the fence counter moves on, and the lock's own fence is kept a day), and a button naming a made-up incident must not leave state. Only when it would create a
 * retrospective is the lock taken (and `change` asked again under it). A retrospective is never deleted, so one
 * seen outside the lock is still there inside it.
 */
export async function updateRetrospective(
  deps: Pick<EngineDeps, 'store' | 'clock' | 'sleep'>,
  incidentId: string,
  change: (current: Retrospective | undefined) => Retrospective | undefined,
): Promise<{ retro: Retrospective | undefined; changed: boolean }> {
  if ((await getRetrospective(deps, incidentId)) === undefined && change(undefined) === undefined)
    return { retro: undefined, changed: false };
  const name = `retro:${incidentId}`;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const lease = await deps.store.acquire(name, 'rollbot:retro', LOCK_TTL_MS, deps.clock.now());
    if (!lease) {
      await deps.sleep(RETRY_MS);
      continue;
    }
    try {
      const current = await getRetrospective(deps, incidentId);
      const next = change(current);
      if (!next) return { retro: current, changed: false };
      await deps.store.setValue(retroKey(incidentId), JSON.stringify(next));
      return { retro: next, changed: true };
    } finally {
      await deps.store.release(lease);
    }
  }
  throw new RollbotError('CONFLICT', `the retrospective of ${incidentId} is busy`, {
    hint: 'someone else is updating it; try again in a moment',
  });
}
