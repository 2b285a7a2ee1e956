import { parseArgs } from 'node:util';
import { RollbotError } from '../core/errors.js';
import { MAX_PAGE } from '../engine/incident-pages.js';
import type { Backend } from './backend.js';
import { incidentTable, listFormat } from './format.js';
import { IN_MEMORY_OPTION, type Access } from './in-memory.js';
import type { Io } from './rollback.js';
import { refuseEmpty, usageOf } from './usage.js';

/**
 * `rollbot incidents [--open] [--limit <n>] [--before <id>] [--format table|json]`: a page of incidents, newest
 * first (json: as GET /api/incidents answers them). stdout is the list alone, so that a script parses it; while
 * more follow, stderr names the command for the next page (`--before` the page's last id), as the API's `next` does.
 */
export async function incidentsCommand(
  args: string[],
  backend: (access: Access) => Promise<Backend>,
  io: Io,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      open: { type: 'boolean', default: false },
      limit: { type: 'string' },
      before: { type: 'string' },
      format: { type: 'string' },
      ...IN_MEMORY_OPTION,
    },
  });
  const format = listFormat(values.format, 'incidents', 'incidents');
  const limit = values.limit === undefined ? undefined : pageLimit(values.limit);
  refuseEmpty(
    '--before',
    values.before,
    'incidents',
    'give the last id of the page before (the next page line names it), or leave --before out for the newest',
  );
  const client = await backend({ writes: false, inMemory: values['in-memory'] });
  try {
    const { incidents, next } = await client.listIncidents({
      // Without --open, every incident: `open: false` would ask for the closed ones only.
      ...(values.open ? { open: true } : {}),
      ...(limit === undefined ? {} : { limit }),
      ...(values.before === undefined ? {} : { before: values.before }),
    });
    io.out(format === 'json' ? JSON.stringify(incidents, null, 2) : incidentTable(incidents));
    if (next !== undefined) {
      const options = [values.open ? '--open' : '', limit === undefined ? '' : `--limit ${limit}`];
      const formatted = format === 'json' ? '--format json' : '';
      io.err(
        `next page: ${['rollbot incidents', ...options, `--before ${next}`, formatted].filter(Boolean).join(' ')}`,
      );
    }
    return 0;
  } finally {
    await client.close();
  }
}

/** `--limit`, as the API's `limit`: digits only (not `1e2`), from 1 to MAX_PAGE. */
function pageLimit(given: string): number {
  const n = /^\d+$/.test(given) ? Number(given) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) {
    throw new RollbotError(
      'BAD_REQUEST',
      `--limit must be a whole number from 1 to ${MAX_PAGE}, got "${given}"\n${usageOf('incidents')}`,
      { hint: `list at most ${MAX_PAGE} a page, and the next with --before` },
    );
  }
  return n;
}
