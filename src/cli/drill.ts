import { parseArgs } from 'node:util';
import { RollbotError } from '../core/errors.js';
import { oneLine } from '../core/text.js';
import { scorecard } from '../engine/drill.js';
import { drillListJson, drillListText } from '../engine/drill-list.js';
import type { Backend } from './backend.js';
import { listFormat } from './format.js';
import { IN_MEMORY_OPTION, type Access } from './in-memory.js';
import type { Io } from './rollback.js';
import { usageOf } from './usage.js';

const DRILL_USAGE = usageOf('drillRun', 'drillList');

/**
 * `rollbot drill list [--format table|json]`: every model's drill schedule, next runs, last results and the drill
 * under way (json: the same, times as ISO text, for scripts). `rollbot drill run <model> [--dry-run]`: rehearse a
 * model's rollback now and print the scorecard; exit 1 when the drill failed.
 */
export async function drillCommand(
  args: string[],
  user: string,
  backend: (access: Access) => Promise<Backend>,
  io: Io,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean', default: false },
      format: { type: 'string' },
      ...IN_MEMORY_OPTION,
    },
  });
  const [verb, model] = positionals;
  if (verb === 'list' && positionals.length === 1 && !values['dry-run']) {
    const format = listFormat(values.format, 'the drill list', 'drillList');
    const client = await backend({ writes: false, inMemory: values['in-memory'] });
    try {
      const listings = await client.drills();
      io.out(format === 'json' ? JSON.stringify(drillListJson(listings), null, 2) : drillListText(listings));
      return 0;
    } finally {
      await client.close();
    }
  }
  if (verb !== 'run' || !model) throw new RollbotError('BAD_REQUEST', DRILL_USAGE);
  // A second model is refused rather than left out: one drill per command.
  if (positionals.length > 2) {
    throw new RollbotError(
      'BAD_REQUEST',
      `drill run takes one model, got ${positionals
        .slice(1)
        .map((word) => `"${word}"`)
        .join(' ')}\n${DRILL_USAGE}`,
      { hint: 'run one drill at a time' },
    );
  }
  // The scorecard is one line for people; the API's POST /api/drills answers it for scripts.
  if (values.format !== undefined) {
    throw new RollbotError('BAD_REQUEST', `drill run takes no --format\n${DRILL_USAGE}`, {
      hint: 'leave --format out: drill run prints the scorecard; for JSON, POST /api/drills answers it',
    });
  }
  const access = { writes: !values['dry-run'], inMemory: values['in-memory'], dryRun: true };
  const client = await backend(access);
  try {
    const { incident, result } = await client.runDrill(model, { by: user, dryRun: values['dry-run'] });
    // One line, whose problems quote the serving layer's errors.
    io.out(result ? oneLine(scorecard(result)) : `drill ${incident.id}: ${incident.phase}`);
    return result?.outcome === 'passed' ? 0 : 1;
  } finally {
    await client.close();
  }
}
