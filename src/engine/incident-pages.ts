/**
 * The incident list a page at a time (GET /api/incidents, `rollbot incidents`): newest first, from after a given
 * incident, and which incident the next page starts after — so that a script can walk the whole record, however
 * long, each incident once.
 */
import { RollbotError } from '../core/errors.js';
import { incidentIdOf } from '../core/names.js';
import type { EngineDeps } from './context.js';
import type { IncidentFilter } from './ports.js';
import { listIncidentViews, type IncidentListItem } from './views.js';

/** A page's size unless the caller says: the store's default. */
export const DEFAULT_PAGE = 100;

/** The most a page may hold (`limit`, `--limit`): a page is read and answered whole. */
export const MAX_PAGE = 1000;

export interface IncidentPageQuery extends Omit<IncidentFilter, 'before'> {
  /** The id of the incident the page starts after: the last of the page before (`next`). */
  before?: string;
}

export interface IncidentPage {
  incidents: IncidentListItem[];
  /** The id to give as `before` for the next page; absent on the last page. */
  next?: string;
}

/**
 * One page of incidents, newest first. `name` is what the caller calls `before` (`before`, `--before`), for the
 * refusal of an id no incident has: listing from nowhere would answer the newest page, as if it were the next.
 */
export async function incidentPage(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  query: IncidentPageQuery,
  name = 'before',
): Promise<IncidentPage> {
  const { before, limit = DEFAULT_PAGE, ...filter } = query;
  const position = before === undefined ? undefined : await positionOf(deps, before, name);
  // One more than asked says whether a next page exists, so that the last one (also a full one) says it is.
  const listed = await listIncidentViews(deps, {
    ...filter,
    limit: limit + 1,
    ...(position ? { before: position } : {}),
  });
  const incidents = listed.slice(0, limit);
  const last = incidents.at(-1);
  return { incidents, ...(listed.length > limit && last ? { next: last.id } : {}) };
}

async function positionOf(deps: Pick<EngineDeps, 'store'>, given: string, name: string) {
  const incident = await deps.store.getIncident(incidentIdOf(given));
  if (!incident) {
    throw new RollbotError(
      'BAD_REQUEST',
      `${name} must be the id of an incident, like INC-42, got "${given.slice(0, 100)}": no incident has that id`,
      {
        hint: `give the id of the last incident of the page before (the API's next or the CLI's "next page" line names it), or leave ${name} out for the newest`,
      },
    );
  }
  return { openedAt: incident.openedAt, id: incident.id };
}
