import { RollbotError } from '../core/errors.js';
import type { Severity } from '../core/severity.js';
import { EVERY_MODEL } from '../engine/freeze-rules.js';

/** `/rollback <model> [to <version>] [reason…]` */
export interface RollbackCommand {
  model: string;
  to?: string;
  reason?: string;
}

export const ROLLBACK_USAGE =
  'usage: `/rollback <model> [to <version>] [reason]`, e.g. `/rollback fraud-scorer p99 doubled after v42`';
export const INCIDENT_USAGE =
  'usage: `/incident list`, `/incident open <model> <sev1–sev4> <what is wrong>`, `/incident show <id>`, `/incident ack <id>`, `/incident resolve <id> <reason>`, `/incident dismiss <id> <reason>`, `/incident note <id> <text>`';
export const ROLLBOT_USAGE =
  'usage: `/rollbot help`, `/rollbot freeze <model> until <ISO time> <reason>`, `/rollbot unfreeze <model> [reason]` (`--all` instead of a model: every model)';

function words(text: string): string[] {
  return text.trim().split(/\s+/).filter(Boolean);
}

/** Parses the text of `/rollback`; BAD_REQUEST with the usage when it cannot. */
export function parseRollbackCommand(text: string): RollbackCommand {
  const [model, ...rest] = words(text);
  if (!model) throw new RollbotError('BAD_REQUEST', ROLLBACK_USAGE);
  const command: RollbackCommand = { model };
  if (rest[0] === 'to') {
    if (!rest[1]) throw new RollbotError('BAD_REQUEST', `"to" needs a version. ${ROLLBACK_USAGE}`);
    command.to = rest[1];
    rest.splice(0, 2);
  }
  if (rest.length) command.reason = rest.join(' ');
  return command;
}

export type IncidentCommand =
  | { verb: 'list' }
  | { verb: 'show' | 'ack'; id: string }
  | { verb: 'resolve' | 'dismiss'; id: string; reason: string }
  | { verb: 'note'; id: string; text: string }
  | { verb: 'open'; model: string; severity: Severity; summary: string };

/** `sev2`, `SEV-2`: the severity a person declares, 1 (worst) to 4. */
const DECLARED_SEVERITY = /^sev-?([1-4])$/i;

/** Parses the text of `/incident`; BAD_REQUEST with the usage when it cannot. */
export function parseIncidentCommand(text: string): IncidentCommand {
  const [verb = 'list', id, ...rest] = words(text);
  switch (verb) {
    case 'list':
      return { verb: 'list' };
    case 'show':
    case 'ack':
      if (!id) throw new RollbotError('BAD_REQUEST', `${verb} needs an incident id. ${INCIDENT_USAGE}`);
      return { verb, id: id.toUpperCase() };
    case 'resolve':
    case 'dismiss':
      if (!id || rest.length === 0)
        throw new RollbotError('BAD_REQUEST', `${verb} needs an incident id and a reason. ${INCIDENT_USAGE}`);
      return { verb, id: id.toUpperCase(), reason: rest.join(' ') };
    case 'note': {
      // Kept as typed after the id, not re-joined word by word: a note's spacing and line breaks are the writer's.
      const note = text
        .trim()
        .replace(/^\S+\s+\S+/, '')
        .trim();
      if (!id || !note)
        throw new RollbotError(
          'BAD_REQUEST',
          `note needs an incident id and the note's text. ${INCIDENT_USAGE}`,
        );
      return { verb, id: id.toUpperCase(), text: note };
    }
    case 'open': {
      // `id` is the model here: /incident open <model> <severity> <summary…>.
      const severity = DECLARED_SEVERITY.exec(rest[0] ?? '')?.[1];
      if (!id || !severity || rest.length < 2)
        throw new RollbotError(
          'BAD_REQUEST',
          `open needs a model, a severity (sev1 to sev4) and what is wrong, e.g. \`/incident open fraud-scorer sev2 customers report wrong scores\`. ${INCIDENT_USAGE}`,
        );
      return { verb, model: id, severity: Number(severity) as Severity, summary: rest.slice(1).join(' ') };
    }
    default:
      throw new RollbotError('BAD_REQUEST', `unknown subcommand "${verb}". ${INCIDENT_USAGE}`);
  }
}

/** `/rollbot help`, or a deploy freeze set or lifted (`target` a model, or `*` for `--all`). */
export type RollbotCommand =
  | { verb: 'help' }
  | { verb: 'freeze'; target: string; until: string; reason: string }
  | { verb: 'unfreeze'; target: string; reason?: string };

/** Parses the text of `/rollbot`; BAD_REQUEST with the usage when it cannot. */
export function parseRollbotCommand(text: string): RollbotCommand {
  const [verb = 'help', target, ...rest] = words(text);
  const model = (given: string) => (given === '--all' ? EVERY_MODEL : given);
  switch (verb) {
    case 'help':
      return { verb };
    case 'freeze': {
      const [keyword, until, ...reason] = rest;
      if (!target || keyword !== 'until' || !until || reason.length === 0)
        throw new RollbotError(
          'BAD_REQUEST',
          `freeze needs a model (or --all), "until <ISO time>" and a reason, e.g. \`/rollbot freeze fraud-scorer until 2026-12-27T09:00:00Z year-end freeze\`. ${ROLLBOT_USAGE}`,
        );
      return { verb, target: model(target), until, reason: reason.join(' ') };
    }
    case 'unfreeze':
      if (!target)
        throw new RollbotError('BAD_REQUEST', `unfreeze needs a model (or --all). ${ROLLBOT_USAGE}`);
      return { verb, target: model(target), ...(rest.length ? { reason: rest.join(' ') } : {}) };
    default:
      throw new RollbotError('BAD_REQUEST', `unknown subcommand "${verb}". ${ROLLBOT_USAGE}`);
  }
}
