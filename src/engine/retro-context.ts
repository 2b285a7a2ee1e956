/**
 * What the retrospective's parts (opening, reminders, completion: retro-open.ts, retro-reminders.ts,
 * retro-complete.ts) share: its incident, how it tells the incident's thread, and how it writes a time.
 */
import { RollbotError } from '../core/errors.js';
import type { Incident } from '../core/incident.js';
import type { Retrospective } from '../core/retro.js';
import { runbookOf, type EngineDeps } from './context.js';

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

export async function requireIncident(
  deps: Pick<EngineDeps, 'store'>,
  incidentId: string,
): Promise<Incident> {
  const incident = await deps.store.getIncident(incidentId);
  if (!incident)
    throw new RollbotError('NOT_FOUND', `no incident ${incidentId}`, {
      hint: 'list incidents with `/incident list` or `rollbot incidents`',
    });
  return incident;
}

/**
 * Tells the incident's thread; `mention`: whom it asks to act (the adapters mention them); `retro`: the
 * retrospective as it now stands, when the news changed it (its message is redrawn from it).
 */
export async function tell(
  deps: EngineDeps,
  incident: Incident,
  text: string,
  about: { mention?: string[]; retro?: Retrospective } = {},
): Promise<void> {
  await deps.notifier.notify({
    type: 'incident.updated',
    incident,
    channel: runbookOf(deps, incident)?.channel ?? '',
    text,
    ...(about.mention ? { mention: about.mention } : {}),
    ...(about.retro ? { retro: about.retro } : {}),
  });
}
