import type { IncomingMessage, ServerResponse } from 'node:http';
import { RollbotError } from '../core/errors.js';
import { closest } from '../core/suggest.js';
import type { EngineDeps } from '../engine/context.js';
import { MAX_PAGE, incidentPage, type IncidentPageQuery } from '../engine/incident-pages.js';
import { incidentDetail } from '../engine/views.js';
import { sendJson } from './errors.js';
import { modelNameOf } from '../core/names.js';

const LIST_FILTERS = ['open', 'model', 'limit', 'before'];
const LIST_FILTERS_HINT = {
  hint: 'filter with open=true|false, model=<model> and limit=1..1000; page with before=<id> (the next an answer names)',
};

/**
 * `GET /api/incidents?open=true&model=x&limit=50&before=INC-7`, newest first, `{incidents, next?}`: `next` is the
 * path of the next page (the same query, starting after this page's last incident), absent on the last. A
 * parameter it does not know is refused, as an unknown body field is: ignored, a misspelt filter (`modle=x`) would
 * answer every incident, unfiltered.
 */
export function listIncidentsRoute(deps: EngineDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const query = new URL(req.url ?? '/', 'http://rollbot').searchParams;
    for (const name of query.keys()) {
      if (LIST_FILTERS.includes(name)) continue;
      const guess = closest(name, LIST_FILTERS);
      const fix = guess ? `did you mean "${guess}"?` : `allowed: ${LIST_FILTERS.join(', ')}`;
      throw new RollbotError(
        'BAD_REQUEST',
        `unknown query parameter "${name.slice(0, 100)}" (${fix})`,
        LIST_FILTERS_HINT,
      );
    }
    // Given twice (`model=a&model=b`, a script appending to a URL that had one), either value would be a guess.
    for (const name of LIST_FILTERS) {
      const values = query.getAll(name);
      if (values.length < 2) continue;
      const given = values.map((value) => `"${value.slice(0, 100)}"`).join(', ');
      throw new RollbotError(
        'BAD_REQUEST',
        `${name} is given ${values.length} times (${given}): give it once`,
        LIST_FILTERS_HINT,
      );
    }
    const filter: IncidentPageQuery = {};
    const open = query.get('open');
    if (open !== null) {
      if (open !== 'true' && open !== 'false') {
        throw new RollbotError('BAD_REQUEST', `open must be true or false, got "${open}"`, LIST_FILTERS_HINT);
      }
      filter.open = open === 'true';
    }
    const model = query.get('model');
    // `model=$MODEL` with the variable unset: left out, it would answer every model's incidents, not none.
    if (model !== null && !model.trim()) {
      throw new RollbotError(
        'BAD_REQUEST',
        'model is empty: name the model whose incidents to list, or leave model out for every model',
        LIST_FILTERS_HINT,
      );
    }
    if (model) {
      filter.model = modelNameOf(model);
      // A model whose runbook was removed keeps its incidents, listed as any other's; one that is neither
      // configured nor in any incident is likely a typo, refused with the model it was meant to be.
      if (!deps.runbooks.get(filter.model) && !(await hasIncidents(deps, filter.model))) {
        deps.runbooks.require(filter.model);
      }
    }
    const limit = query.get('limit');
    if (limit !== null) {
      // Digits only: Number() also reads `1e2`, `0x10` and ` 5`, which no caller means as a count.
      const n = /^\d+$/.test(limit) ? Number(limit) : NaN;
      if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) {
        throw new RollbotError(
          'BAD_REQUEST',
          `limit must be a whole number from 1 to ${MAX_PAGE}, got "${limit}"`,
          LIST_FILTERS_HINT,
        );
      }
      filter.limit = n;
    }
    const before = query.get('before');
    // `before=$LAST` with the variable unset: left out, it would answer the first page again, as if the next.
    if (before !== null && !before.trim()) {
      throw new RollbotError(
        'BAD_REQUEST',
        "before is empty: give the id of the last incident of the page before (an answer's next names it), or leave before out for the newest",
        LIST_FILTERS_HINT,
      );
    }
    if (before !== null) filter.before = before;
    const { incidents, next } = await incidentPage(deps, filter);
    sendJson(res, 200, { incidents, ...(next === undefined ? {} : { next: nextPage(query, next) }) });
  };
}

/** The path of the page after the one answered to `query`: the same filters and limit, after `last`. */
function nextPage(query: URLSearchParams, last: string): string {
  const next = new URLSearchParams(query);
  next.delete('before');
  next.append('before', last);
  return `/api/incidents?${next.toString()}`;
}

async function hasIncidents(deps: EngineDeps, model: string): Promise<boolean> {
  return (await deps.store.listIncidentHeads({ model, limit: 1 })).length > 0;
}

/** `GET /api/incidents/:id`: stages against targets, breaches and the timeline. */
export function incidentRoute(deps: EngineDeps) {
  return async (
    _req: IncomingMessage,
    res: ServerResponse,
    params: Record<string, string>,
  ): Promise<void> => {
    sendJson(res, 200, await incidentDetail(deps, params.id ?? ''));
  };
}
