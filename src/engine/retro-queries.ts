import { RollbotError } from '../core/errors.js';
import { truncate } from '../core/text.js';
import { isOverdue, openItems, type ActionItem, type Retrospective } from '../core/retro.js';
import { record, type EngineDeps } from './context.js';
import { getRetrospective, updateRetrospective } from './retro-store.js';
import { tell } from './retro-context.js';

/**
 * How far back the gate and the gauges look besides their lists: a model's latest incidents (stores list newest
 * first), which hold the retrospectives written before the lists were kept.
 */
const RECENT_INCIDENTS = 50;

/**
 * The incidents of a model whose retrospectives have open action items (JSON array of IDs). The gate cannot look
 * only at the latest incidents: drills and dismissed alerts are incidents too, and a year of weekly drills would
 * push an open item of an older rollback out of sight and open the gate.
 */
const withOpenItemsKey = (model: string): string => `retro:with-open-items:${model}`;

/**
 * The incidents of a model whose retrospective is open, opened and not completed (JSON array of IDs), for the
 * gauges: as for action items, a retrospective left undone behind many later incidents must still count, and
 * the gauges must not read every incident on each scrape.
 */
const openRetrosKey = (model: string): string => `retro:open:${model}`;
const INDEX_ATTEMPTS = 20;

/** Changes one of a model's lists of incidents (`key`), in one step against other writers. */
async function updateList(
  deps: Pick<EngineDeps, 'store'>,
  list: { key: string; what: string },
  change: (ids: string[]) => string[],
): Promise<void> {
  for (let attempt = 0; attempt < INDEX_ATTEMPTS; attempt++) {
    const raw = await deps.store.getValue(list.key);
    const ids = raw === undefined ? [] : (JSON.parse(raw) as string[]);
    const next = change(ids);
    if (next.length === ids.length && next.every((id, index) => id === ids[index])) return;
    if (await deps.store.compareAndSetValue(list.key, raw, JSON.stringify(next))) return;
  }
  throw new RollbotError('CONFLICT', `the list of ${list.what} is busy`, { hint: 'try again in a moment' });
}

/** Puts `incidentId` on a model's list when `listed`, takes it off otherwise. */
const keepListed =
  (incidentId: string, listed: boolean) =>
  (ids: string[]): string[] => {
    const there = ids.includes(incidentId);
    if (listed && !there) return [...ids, incidentId];
    if (!listed && there) return ids.filter((id) => id !== incidentId);
    return ids;
  };

/** The IDs on a model's list (`key`), none when it was never written (a store of an earlier build). */
async function listed(deps: Pick<EngineDeps, 'store'>, key: string): Promise<string[]> {
  const raw = await deps.store.getValue(key);
  return raw === undefined ? [] : (JSON.parse(raw) as string[]);
}

/**
 * Keeps a retrospective's incident on its model's list while it has open action items, and off it once it has
 * none. Safe to call again (a repeated completion repairs a crash between the retrospective and this).
 */
export async function trackOpenItems(deps: Pick<EngineDeps, 'store'>, retro: Retrospective): Promise<void> {
  const list = { key: withOpenItemsKey(retro.model), what: `${retro.model}'s open action items` };
  await updateList(deps, list, keepListed(retro.incidentId, openItems(retro).length > 0));
}

/**
 * Keeps a retrospective's incident on its model's list of open retrospectives until it is completed, and off it
 * from then on. Safe to call again: opening or completing it again repairs a crash between the retrospective and
 * this.
 */
export async function trackOpenRetro(deps: Pick<EngineDeps, 'store'>, retro: Retrospective): Promise<void> {
  const list = { key: openRetrosKey(retro.model), what: `${retro.model}'s open retrospectives` };
  const open = retro.completedAt === undefined;
  await updateList(deps, list, keepListed(retro.incidentId, open));
  if (!open) return;
  // Completed meanwhile (its completer found it not listed yet, and took nothing off): off again, or it would be
  // read on every scrape for good.
  const latest = await getRetrospective(deps, retro.incidentId);
  if (latest?.completedAt !== undefined) await updateList(deps, list, keepListed(retro.incidentId, false));
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
    const text = `action item ${itemId} closed by ${by}: ${truncate(found.text, 300)}`;
    await record(
      deps,
      { id: incidentId },
      { type: 'retro.action_item_closed', actor: by, text, data: { itemId } },
    );
    // With the retrospective: its message in the thread, which shows the item open with its Close button, is redrawn.
    const incident = await deps.store.getIncident(incidentId);
    if (incident && retro) await tell(deps, incident, text, { retro });
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
  const ids = new Set([
    ...(await listed(deps, withOpenItemsKey(model))),
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
 * listed, with zeros, so that a gauge goes back to 0 once its retrospectives are done. Those on the model's list
 * (trackOpenRetro), however old, and those among its latest incidents (opened before the list was kept).
 */
export async function retroCounts(
  deps: Pick<EngineDeps, 'store' | 'runbooks'>,
  now: number,
): Promise<{ model: string; open: number; overdue: number }[]> {
  return Promise.all(
    deps.runbooks.models().map(async (model) => {
      // Heads: the gauges are read on every scrape, and the phase is all they need of each incident.
      const incidents = await deps.store.listIncidentHeads({ model, limit: RECENT_INCIDENTS });
      // Closed incidents and dismissed ones have no open retrospective (but a dismissed drill: retro-open.ts,
      // wantsRetro): skip the read.
      const candidates = incidents.filter(
        (incident) => incident.phase !== 'closed' && (incident.phase !== 'dismissed' || incident.drill),
      );
      const ids = new Set([
        ...(await listed(deps, openRetrosKey(model))),
        ...candidates.map((incident) => incident.id),
      ]);
      const retros = await Promise.all([...ids].map((id) => getRetrospective(deps, id)));
      const open = retros.filter(
        (retro): retro is Retrospective => retro !== undefined && retro.completedAt === undefined,
      );
      return { model, open: open.length, overdue: open.filter((retro) => isOverdue(retro, now)).length };
    }),
  );
}
