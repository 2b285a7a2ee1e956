import { RollbotError } from '../core/errors.js';
import { isOverdue, openItems, type ActionItem } from '../core/retro.js';
import { record, type EngineDeps } from './context.js';
import { getRetrospective, updateRetrospective } from './retro-store.js';

/** How far back the gate and the gauges look: a model's latest incidents (stores list newest first). */
const RECENT_INCIDENTS = 50;

/**
 * Closes one action item. Closing a closed item changes nothing and returns `changed: false`, so a double
 * click is one timeline entry.
 */
export async function closeActionItem(
  deps: EngineDeps,
  incidentId: string,
  itemId: string,
  by: string,
): Promise<{ item: ActionItem; changed: boolean }> {
  const at = deps.clock.now();
  let found: ActionItem | undefined;
  const { changed } = await updateRetrospective(deps, incidentId, (current) => {
    if (!current) throw new RollbotError('NOT_FOUND', `no retrospective for ${incidentId}`);
    found = current.actionItems.find((item) => item.id === itemId);
    if (!found) {
      throw new RollbotError('NOT_FOUND', `${incidentId} has no action item ${itemId}`, {
        hint: `its items: ${current.actionItems.map((item) => item.id).join(', ') || 'none'}`,
      });
    }
    if (found.status === 'closed') return undefined;
    found = { ...found, status: 'closed', closedBy: by, closedAt: at };
    const closed = found;
    return {
      ...current,
      actionItems: current.actionItems.map((item) => (item.id === itemId ? closed : item)),
    };
  });
  if (!found) throw new RollbotError('NOT_FOUND', `${incidentId} has no action item ${itemId}`);
  if (changed) {
    await record(
      deps,
      { id: incidentId },
      {
        type: 'retro.action_item_closed',
        actor: by,
        text: `action item ${itemId} closed by ${by}: ${found.text.slice(0, 300)}`,
        data: { itemId },
      },
    );
  }
  return { item: found, changed };
}

/**
 * The open action items of a model's recent retrospectives, oldest incident first: what the deployment gate
 * refuses to deploy past. `writtenAt`: when their retrospective was completed (the items were written then).
 */
export async function openActionItems(
  deps: Pick<EngineDeps, 'store'>,
  model: string,
): Promise<{ incidentId: string; item: ActionItem; writtenAt?: number }[]> {
  const incidents = await deps.store.listIncidents({ model, limit: RECENT_INCIDENTS });
  const retros = await Promise.all(incidents.map((incident) => getRetrospective(deps, incident.id)));
  return retros.reverse().flatMap((retro) =>
    retro
      ? openItems(retro).map((item) => ({
          incidentId: retro.incidentId,
          item,
          ...(retro.completedAt === undefined ? {} : { writtenAt: retro.completedAt }),
        }))
      : [],
  );
}

/**
 * Per model: retrospectives open (opened, not completed) and, of those, overdue at `now` (at exactly the due
 * time it is overdue), for the `rollbot_retros_open` / `rollbot_retros_overdue` gauges. Every runbook model is
 * listed, with zeros, so that a gauge goes back to 0 once its retrospectives are done.
 */
export async function retroCounts(
  deps: Pick<EngineDeps, 'store' | 'runbooks'>,
  now: number,
): Promise<{ model: string; open: number; overdue: number }[]> {
  return Promise.all(
    deps.runbooks.models().map(async (model) => {
      const incidents = await deps.store.listIncidents({ model, limit: RECENT_INCIDENTS });
      // Closed incidents and dismissed ones have no open retrospective (but a dismissed drill: retro.ts,
      // wantsRetro): skip the read.
      const candidates = incidents.filter(
        (incident) => incident.phase !== 'closed' && (incident.phase !== 'dismissed' || incident.drill),
      );
      const retros = await Promise.all(candidates.map((incident) => getRetrospective(deps, incident.id)));
      const open = retros.filter((retro) => retro !== undefined && retro.completedAt === undefined);
      return {
        model,
        open: open.length,
        overdue: open.filter((retro) => retro && isOverdue(retro, now)).length,
      };
    }),
  );
}
