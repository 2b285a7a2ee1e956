import { parseArgs } from 'node:util';
import { RollbotError, isRollbotError } from '../core/errors.js';
import { oneLine } from '../core/text.js';
import type { Backend } from './backend.js';
import { IN_MEMORY_OPTION, type Access } from './in-memory.js';
import type { Io } from './rollback.js';
import { refuseEmpty, usageOf } from './usage.js';

const DISMISS_USAGE = usageOf('dismiss');

/**
 * `rollbot dismiss <id> --reason "…" [--as <user ID>]`: "not a rollback", as the incident message's button
 * decides it, for when Slack is down. The runbook's rollback.approvers decide who may, as in Slack: `--as`
 * names the person (a Slack user ID, checked against the runbook's user groups too: engine/group-membership.ts);
 * without it the command acts as `cli:<login>`, whom only a runbook listing nobody allows.
 */
export async function dismissCommand(
  args: string[],
  user: string,
  backend: (access: Access) => Promise<Backend>,
  io: Io,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { reason: { type: 'string' }, as: { type: 'string' }, ...IN_MEMORY_OPTION },
  });
  const [id] = positionals;
  if (!id || positionals.length > 1) throw new RollbotError('BAD_REQUEST', DISMISS_USAGE);
  if (!values.reason?.trim()) {
    throw new RollbotError('BAD_REQUEST', `"not a rollback" needs a reason\n${DISMISS_USAGE}`, {
      hint: 'say why, e.g. --reason "upstream outage, not the model"',
    });
  }
  refuseEmpty(
    '--as',
    values.as,
    'dismiss',
    'give your Slack user ID (as rollback.approvers lists it), or leave --as out to act as cli:<login>',
  );
  const client = await backend({ writes: true, inMemory: values['in-memory'] });
  try {
    const incident = await client.dismiss(id, { by: values.as ?? user, reason: values.reason });
    io.out(`${incident.id} dismissed: not a rollback, decided by ${oneLine(incident.decision?.by ?? '')}`);
    return 0;
  } catch (error) {
    if (values.as === undefined && isRollbotError(error, 'FORBIDDEN')) throw nameYourself(error);
    throw error;
  } finally {
    await client.close();
  }
}

/** A refusal of `cli:<login>`: the runbook lists people by Slack user ID (or their groups), which `--as` gives. */
function nameYourself(error: RollbotError): RollbotError {
  const asYourself =
    'dismiss as yourself with --as <your Slack user ID> if rollback.approvers lists it or a user group of it that you are in';
  return new RollbotError('FORBIDDEN', error.message, {
    hint: error.hint ? `${asYourself}; or ${error.hint}` : asYourself,
    cause: error,
  });
}
