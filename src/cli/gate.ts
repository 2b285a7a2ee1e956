import { parseArgs } from 'node:util';
import { RollbotError, isRollbotError } from '../core/errors.js';
import { oneLine } from '../core/text.js';
import {
  EVERY_MODEL,
  freezeReason,
  frozenWhat,
  stillFrozenText,
  type Freeze,
} from '../engine/freeze-rules.js';
import type { Backend } from './backend.js';
import { IN_MEMORY_OPTION, type Access } from './in-memory.js';
import type { Io } from './rollback.js';
import { refuseEmpty, usageOf, type Command } from './usage.js';

const GATE_USAGE = usageOf('gateFreeze', 'gateUnfreeze');

/**
 * `rollbot gate freeze <model|--all> --until <ISO time> --reason "…"` and `rollbot gate unfreeze <model|--all>`:
 * a deploy freeze, set or lifted, in-process or through the bot's API. As for `dismiss`, `--as` names the person
 * rollback.approvers decides on (a Slack user ID); without it the command acts as `cli:<login>`.
 */
export async function gateCommand(
  args: string[],
  user: string,
  backend: (access: Access) => Promise<Backend>,
  io: Io,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      all: { type: 'boolean', default: false },
      until: { type: 'string' },
      reason: { type: 'string' },
      as: { type: 'string' },
      ...IN_MEMORY_OPTION,
    },
  });
  const [verb, model, ...extra] = positionals;
  if (verb !== 'freeze' && verb !== 'unfreeze') throw new RollbotError('BAD_REQUEST', GATE_USAGE);
  const command: Command = verb === 'freeze' ? 'gateFreeze' : 'gateUnfreeze';
  // One target: a model, or --all for every model; `*` unquoted would be the shell's file names.
  if (extra.length > 0 || (model === undefined) === !values.all) {
    throw new RollbotError('BAD_REQUEST', `name one model, or --all for every model\n${usageOf(command)}`);
  }
  refuseEmpty('the model', model, command, 'name the model, or --all for every model');
  const target = values.all ? EVERY_MODEL : (model ?? '');
  refuseEmpty('--as', values.as, command, 'give your Slack user ID, or leave --as out to act as cli:<login>');
  // A freeze's reason may not be left out (refused next), an unfreeze's may.
  const sayWhy =
    verb === 'freeze'
      ? 'say why the freeze, e.g. --reason "year-end freeze"'
      : 'say why, or leave --reason out';
  refuseEmpty('--reason', values.reason, command, sayWhy);
  const { until, reason } = values;
  if (verb === 'freeze' && (until === undefined || reason === undefined)) {
    throw new RollbotError('BAD_REQUEST', `a freeze needs --until and --reason\n${usageOf(command)}`, {
      hint: 'e.g. --until 2026-12-27T09:00:00Z --reason "year-end freeze"',
    });
  }
  const by = values.as ?? user;
  const client = await backend({ writes: true, inMemory: values['in-memory'] });
  try {
    if (verb === 'freeze') {
      const { freeze, models, replaced } = await client.freeze(target, {
        by,
        until: until ?? '',
        reason: reason ?? '',
      });
      io.out(
        `deployments of ${frozenWhat(target)} frozen until ${new Date(freeze.until).toISOString()} by ${oneLine(freeze.by)}: ${oneLine(freeze.reason)}${covering(target, models)}${replacing(replaced)}`,
      );
      return 0;
    }
    const { freeze, heldStillBy, stillFrozen } = await client.unfreeze(target, {
      by,
      ...(reason ? { reason } : {}),
    });
    // A gate that stays closed (a freeze of every model holds the model; a model lifted with --all is frozen on its
    // own) is said, with how to open it, not left to a surprised CI.
    const still = heldStillBy
      ? `; the deploy freeze of every model by ${oneLine(heldStillBy.by)} until ${new Date(heldStillBy.until).toISOString()} still holds it (lift that one with --all)`
      : stillFrozen?.length
        ? `; ${oneLine(stillFrozenText(stillFrozen, (model) => `rollbot gate unfreeze ${model}`))}`
        : '';
    io.out(
      `deploy freeze of ${frozenWhat(target)} lifted by ${oneLine(by)} (it was until ${new Date(freeze.until).toISOString()})${still}`,
    );
    return 0;
  } catch (error) {
    if (values.as === undefined && isRollbotError(error, 'FORBIDDEN')) throw nameYourself(error, verb);
    throw error;
  } finally {
    await client.close();
  }
}

/** For `--all`: which models that is, so that a model missing from this bot's runbooks shows. */
function covering(target: string, models: readonly string[]): string {
  return target === EVERY_MODEL ? ` (${models.join(', ')})` : '';
}

/** The freeze a new one replaced, if any: a shorter freeze over a colleague's longer one is said, not done unawares. */
function replacing(replaced: Freeze | undefined): string {
  return replaced ? ` (replacing the ${oneLine(freezeReason(replaced))})` : '';
}

/** A refusal of `cli:<login>`: the runbook lists people by Slack user ID (or their groups), which `--as` gives. */
function nameYourself(error: RollbotError, verb: 'freeze' | 'unfreeze'): RollbotError {
  const asYourself = `${verb} as yourself with --as <your Slack user ID> if rollback.approvers lists it or a user group of it that you are in`;
  return new RollbotError('FORBIDDEN', error.message, {
    hint: error.hint ? `${asYourself}; or ${error.hint}` : asYourself,
    cause: error,
  });
}
