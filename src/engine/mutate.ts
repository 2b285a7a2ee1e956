import { RollbotError } from '../core/errors.js';
import type { Incident } from '../core/incident.js';
import type { IncidentStore } from './ports.js';

export interface Mutation {
  incident: Incident;
  /** False when `change` returned undefined: nothing to do, nothing written. */
  changed: boolean;
}

const ATTEMPTS = 20;

/**
 * Applies a pure change to the latest stored incident with optimistic concurrency: if another replica wrote
 * in between, the change is re-applied to the new version. `change` returns undefined for "nothing to do"
 * (which is how duplicates and repeated deliveries become no-ops) and may throw to refuse.
 */
export async function mutateIncident(
  store: IncidentStore,
  id: string,
  change: (incident: Incident) => Incident | undefined,
): Promise<Mutation> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await store.getIncident(id);
    if (!current) {
      throw new RollbotError('NOT_FOUND', `no incident ${id}`, {
        hint: 'list incidents with `rollbot incidents`',
      });
    }
    const next = change(current);
    if (!next) return { incident: current, changed: false };
    const stored = await store.updateIncident({ ...next, version: current.version });
    if (stored) return { incident: stored, changed: true };
  }
  throw new RollbotError('CONFLICT', `incident ${id} kept changing under ${ATTEMPTS} attempts to update it`, {
    hint: 'try again; if it persists, check for a runaway replica',
  });
}
