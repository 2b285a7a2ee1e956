import { RollbotError } from '../core/errors.js';
import { isOverdue, openItems, type ActionItem, type Retrospective } from '../core/retro.js';
import { record, type EngineDeps } from './context.js';
import { getRetrospective, updateRetrospective } from './retro-store.js';

/** How far back the gauges look: a model's latest incidents (stores list newest first). */
const RECENT_INCIDENTS = 50;

/**
 * The incidents of a model whose retrospectives have open action items (JSON array of IDs). The gate cannot look
 * only at the latest incidents: drills and dismissed alerts are incidents too, and a year of weekly drills would
 * push an open item of an older rollback out of sight and open the gate.
 */
const withOpenItemsKey = (model: string): string => `retro:with-open-items:${model}`;
const INDEX_ATTEMPTS = 20;

/** Changes the model's list of incidents with open action items, in one step against other writers. */
async function updateWithOpenItems(
  deps: Pick<EngineDeps, 'store'>,
  model: string,
  change: (ids: string[]) => string[],
): Promise<void> {
  const key = withOpenItemsKey(model);
  for (let attempt = 0; attempt < INDEX_ATTEMPTS; attempt++) {
    const raw = await deps.store.getValue(key);
    const ids = raw === undefined ? [] : (JSON.parse(raw) as string[]);
    const next = change(ids);
    if (next.length === ids.length && next.every((id, index) => id === ids[index])) return;
    if (await deps.store.compareAndSetValue(key, raw, JSON.stringify(next))) return;
  }
  throw new RollbotError('CONFLICT', `the list of ${model}'s open action items is busy`, {
    hint: 'try again in a moment',
  });
}

/**
 * Keeps a retrospective's incident on its model's list while it has open action items, and off it once it has
 * none. Safe to call again (a repeated completion repairs a crash between the retrospective and this).
 */
export async function trackOpenItems(deps: Pick<EngineDeps, 'store'>, retro: Retrospective): Promise<void> {
  const open = openItems(retro).length > 0;
  await updateWithOpenItems(deps, retro.model, (ids) => {
    const listed = ids.includes(retro.incidentId);
    if (open && !listed) return [...ids, retro.incidentId];
    if (!open && listed) return ids.filter((id) => id !== retro.incidentId);
    return ids;
  });
}

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
  const { retro, changed } = await updateRetrospective(deps, incidentId, (current) => {
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
  if (retro) await trackOpenItems(deps, retro);
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
 * The open action items of a model's retrospectives, oldest retrospective first: what the deployment gate refuses
 * to deploy past. Those on the model's list (trackOpenItems), however old, and those of its latest incidents
 * (retrospectives completed before the list was kept). `writtenAt`: when their retrospective was completed (the
 * items were written then).
 */
export async function openActionItems(
  deps: Pick<EngineDeps, 'store'>,
  model: string,
): Promise<{ incidentId: string; item: ActionItem; writtenAt?: number }[]> {
  const recent = await deps.store.listIncidents({ model, limit: RECENT_INCIDENTS });
  const listed = await deps.store.getValue(withOpenItemsKey(model));
  const ids = new Set([
    ...(listed === undefined ? [] : (JSON.parse(listed) as string[])),
    ...recent.map((incident) => incident.id),
  ]);
  const retros = await Promise.all([...ids].map((id) => getRetrospective(deps, id)));
  return retros
    .filter((retro): retro is Retrospective => retro !== undefined)
    .sort((a, b) => a.openedAt - b.openedAt)
    .flatMap((retro) =>
      openItems(retro).map((item) => ({
        incidentId: retro.incidentId,
        item,
        ...(retro.completedAt === undefined ? {} : { writtenAt: retro.completedAt }),
      })),
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
