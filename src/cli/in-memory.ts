import type { Config } from '../config.js';
import { RollbotError } from '../core/errors.js';

/**
 * `--in-memory`, taken by every command that opens a store: without ROLLBOT_URL or REDIS_URL, run on a store that
 * lasts for this command only, to try rollbot out.
 */
export const IN_MEMORY_OPTION = { 'in-memory': { type: 'boolean', default: false } } as const;

/** What a command is about to do with the store it opens. */
export interface Access {
  /** It changes something (a serving layer, an incident, the ledger, the gate); a read or a dry run does not. */
  writes: boolean;
  /** `--in-memory` was given. */
  inMemory: boolean;
  /** The command has a `--dry-run`, which the refusal offers. */
  dryRun?: boolean;
}

/**
 * Where a command runs without ROLLBOT_URL or REDIS_URL, said as a note; or why it does not. The in-memory store
 * dies with the command: its rollback lock is not a running bot's, so a real rollback could run twice (the bot's and
 * this one), and what it records no bot ever sees. Reads and dry runs change nothing, so they go ahead on it; a
 * write only when asked for with --in-memory. `--in-memory` beside ROLLBOT_URL or REDIS_URL is refused rather than
 * one of them chosen: a throwaway run on the real store, or a real run on a throwaway one, would both surprise.
 */
export function inMemoryNote(
  config: Pick<Config, 'rollbotUrl' | 'redisUrl'>,
  access: Access,
): string | undefined {
  const shared = config.rollbotUrl ? 'ROLLBOT_URL' : config.redisUrl ? 'REDIS_URL' : undefined;
  if (access.inMemory && shared) {
    throw new RollbotError(
      'BAD_REQUEST',
      `--in-memory asks for a store of this command's own, but ${shared} is set`,
      {
        hint: `leave --in-memory out to use ${shared === 'ROLLBOT_URL' ? 'the bot at ROLLBOT_URL' : 'the store at REDIS_URL'}, or unset ${shared} to try rollbot out on a store that lasts for this command only`,
      },
    );
  }
  if (shared) return undefined;
  if (access.inMemory) {
    return 'note: --in-memory: running in-process on a store that lasts for this command only: nothing is shared with a running bot';
  }
  if (!access.writes) {
    return 'note: neither ROLLBOT_URL nor REDIS_URL is set: running in-process on an empty in-memory store';
  }
  throw new RollbotError(
    'BAD_REQUEST',
    'neither ROLLBOT_URL nor REDIS_URL is set: this would change things on an in-memory store that lasts for this ' +
      'command only, whose rollback lock is not shared with a running bot (a rollback could run twice) and whose ' +
      'records no bot will see',
    {
      hint:
        'set ROLLBOT_URL (and API_TOKEN) to go through the running bot, or REDIS_URL to share its store' +
        `${access.dryRun ? '; --dry-run changes nothing' : ''}; or --in-memory to try rollbot out on a store that lasts for this command only`,
    },
  );
}
