import { parseArgs } from 'node:util';
import { RollbotError } from '../core/errors.js';
import { oneLine } from '../core/text.js';
import type { Backend } from './backend.js';
import { IN_MEMORY_OPTION, type Access } from './in-memory.js';
import type { Io } from './rollback.js';
import { refuseEmpty, usageOf } from './usage.js';

const NOTE_USAGE = usageOf('note');

/**
 * `rollbot note <id> <text…> [--as <user ID>]`: adds what someone found to the incident's timeline, where the
 * exported timeline and the retrospective find it (engine/notes.ts). The words after the id are the note, so it
 * need not be quoted. Anyone may, so `--as` only says whose note it is (a Slack user ID); without it the note is
 * `cli:<login>`'s.
 */
export async function noteCommand(
  args: string[],
  user: string,
  backend: (access: Access) => Promise<Backend>,
  io: Io,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { as: { type: 'string' }, ...IN_MEMORY_OPTION },
  });
  const [id, ...words] = positionals;
  if (!id || words.length === 0) throw new RollbotError('BAD_REQUEST', NOTE_USAGE);
  const text = words.join(' ');
  // Refused here too, as the engine would, so that a blank note never reaches the bot.
  if (!text.trim()) {
    throw new RollbotError('BAD_REQUEST', `a note needs text\n${NOTE_USAGE}`, {
      hint: 'write what you found, e.g. rollbot note INC-7 "feature store stale since 01:40"',
    });
  }
  refuseEmpty(
    '--as',
    values.as,
    'note',
    'give your Slack user ID, or leave --as out to write the note as cli:<login>',
  );
  const client = await backend({ writes: true, inMemory: values['in-memory'] });
  try {
    const entry = await client.note(id, { by: values.as ?? user, text });
    io.out(`note added to the timeline of ${oneLine(entry.incidentId)} by ${oneLine(entry.actor)}`);
    return 0;
  } finally {
    await client.close();
  }
}
