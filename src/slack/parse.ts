import { RollbotError } from '../core/errors.js';
import { incidentIdOf, modelNameOf } from '../core/names.js';
import type { Severity } from '../core/severity.js';
import { closest } from '../core/suggest.js';
import { EVERY_MODEL } from '../engine/freeze-rules.js';
import { inlineCode } from './blocks/limits.js';
import { COMMANDS } from './ids.js';

/** `/rollback <model> [to <version>] [reason…]` */
export interface RollbackCommand {
  model: string;
  to?: string;
  reason?: string;
}

/**
 * A command's text that could not be parsed: `problem` says what is wrong (rollbot's words, any outside text in it
 * made safe as `inlineCode` does) and `meant` the likeliest command meant, if any. The reply adds the command's
 * usage (command-replies.ts `notUnderstood`), which is written there only, so that it reads the same as in
 * `/rollbot help`.
 */
export class NotUnderstood extends RollbotError {
  constructor(
    readonly command: string,
    problem: string,
    readonly meant?: string,
  ) {
    super('BAD_REQUEST', problem);
    this.name = 'NotUnderstood';
  }
}

/**
 * `command`'s `text` whose first word, `verb`, is none of `subcommands`: a typo of one (`/incident shwo INC-7`) is
 * answered with the command meant, the rest as typed (`/incident show INC-7`), as `/drill` answers its typos.
 */
function unknownSubcommand(
  command: string,
  subcommands: readonly string[],
  text: string,
  verb: string,
): NotUnderstood {
  const guess = closest(verb, subcommands);
  const meant = guess === undefined ? undefined : `${command} ${guess}${afterWords(text, 1)}`;
  return new NotUnderstood(command, `unknown subcommand ${inlineCode(verb, 102)}`, meant);
}

/** What follows the first `count` words of `text`, as typed (its leading space included). */
function afterWords(text: string, count: number): string {
  return text.trim().replace(new RegExp(`^\\S+(\\s+\\S+){${count - 1}}`), '');
}

function words(text: string): string[] {
  return text.trim().split(/\s+/).filter(Boolean);
}

/**
 * A command's words with its subcommand (the first) and the word at `modelAt` in lower case: a model's name is
 * lower case (runbooks/fields.ts modelName), and caps lock or a phone's capital first letter must not turn
 * `/incident Show INC-7` into an unknown subcommand when the id is taken in any case. Keywords (`to`, `until`) are
 * compared in lower case where they stand; everything else (versions, reasons, notes) stays as written.
 */
function commandWords(text: string, modelAt: number): string[] {
  return words(text).map((word, index) => (index === 0 || index === modelAt ? word.toLowerCase() : word));
}

/** Parses the text of `/rollback`; NotUnderstood when it cannot. */
export function parseRollbackCommand(text: string): RollbackCommand {
  const refuse = (problem: string) => new NotUnderstood(COMMANDS.rollback, problem);
  const [model, ...rest] = words(text);
  if (!model) throw refuse(`\`${COMMANDS.rollback}\` needs a model`);
  const command: RollbackCommand = { model: modelNameOf(model) };
  if (rest[0]?.toLowerCase() === 'to') {
    if (!rest[1]) throw refuse('"to" needs a version');
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

const INCIDENT_VERBS = [
  'list',
  'open',
  'show',
  'ack',
  'resolve',
  'dismiss',
  'note',
] as const satisfies readonly IncidentCommand['verb'][];

/** `sev2`, `SEV-2`: the severity a person declares, 1 (worst) to 4. */
const DECLARED_SEVERITY = /^sev-?([1-4])$/i;

/** Parses the text of `/incident`; NotUnderstood when it cannot. */
export function parseIncidentCommand(text: string): IncidentCommand {
  const refuse = (problem: string) => new NotUnderstood(COMMANDS.incident, problem);
  // The second word is an id (upper-cased below) or, for `open`, a model.
  const [verb = 'list', id, ...rest] = commandWords(text, 1);
  switch (verb) {
    case 'list':
      return { verb: 'list' };
    case 'show':
    case 'ack':
      if (!id) throw refuse(`${verb} needs an incident id`);
      return { verb, id: incidentIdOf(id) };
    case 'resolve':
    case 'dismiss':
      if (!id || rest.length === 0) throw refuse(`${verb} needs an incident id and a reason`);
      return { verb, id: incidentIdOf(id), reason: rest.join(' ') };
    case 'note': {
      // Kept as typed after the id, not re-joined word by word: a note's spacing and line breaks are the writer's.
      const note = text
        .trim()
        .replace(/^\S+\s+\S+/, '')
        .trim();
      if (!id || !note) throw refuse("note needs an incident id and the note's text");
      return { verb, id: incidentIdOf(id), text: note };
    }
    case 'open': {
      // `id` is the model here: /incident open <model> <severity> <summary…>.
      const severity = DECLARED_SEVERITY.exec(rest[0] ?? '')?.[1];
      if (!id || !severity || rest.length < 2)
        throw refuse(
          'open needs a model, a severity (sev1 to sev4) and what is wrong, e.g. `/incident open fraud-scorer sev2 customers report wrong scores`',
        );
      return { verb, model: id, severity: Number(severity) as Severity, summary: rest.slice(1).join(' ') };
    }
    default:
      throw unknownSubcommand(COMMANDS.incident, INCIDENT_VERBS, text, verb);
  }
}

/** `/rollbot help`, or a deploy freeze set or lifted (`target` a model, or `*` for `--all`). */
export type RollbotCommand =
  | { verb: 'help' }
  | { verb: 'freeze'; target: string; until: string; reason: string }
  | { verb: 'unfreeze'; target: string; reason?: string };

const ROLLBOT_VERBS = ['help', 'freeze', 'unfreeze'] as const satisfies readonly RollbotCommand['verb'][];

/**
 * The first part missing from `/rollbot freeze` text, named: "needs all of these" leaves the person to find which
 * one they left out.
 */
function missingFromFreeze(target?: string, keyword?: string, until?: string): string {
  if (!target) return 'a model (or --all), "until", the time it ends and a reason';
  if (target === 'until') return 'a model (or --all) before "until"';
  if (keyword !== 'until') return '"until" after the model, then the time it ends and a reason';
  if (!until) return 'the time it ends after "until", then a reason';
  return 'a reason after the time it ends';
}

/** A word's leading dashes (Slack's smart punctuation writes `--` as `—` or `–`): never in a model's name. */
const DASHES = /^[-—–]+/;

/**
 * `/rollbot freeze`/`unfreeze` of a dashed word that is not `--all` (`--al`, `—all`): refused as what it is rather
 * than looked up as a model (whose fix would be to add a runbook named `--al`), with `--all` meant when it is close.
 */
function notAModel(text: string, verb: string, given: string): NotUnderstood {
  // `given` is the second word: the model's place.
  const after = afterWords(text, 2);
  const likeAll = closest(given.replace(DASHES, '--'), ['--all']);
  const meant = likeAll === undefined ? undefined : `${COMMANDS.rollbot} ${verb} --all${after}`;
  return new NotUnderstood(
    COMMANDS.rollbot,
    `${inlineCode(given, 102)} is neither a model nor \`--all\``,
    meant,
  );
}

/** Parses the text of `/rollbot`; NotUnderstood when it cannot. */
export function parseRollbotCommand(text: string): RollbotCommand {
  const refuse = (problem: string) => new NotUnderstood(COMMANDS.rollbot, problem);
  const [verb = 'help', target, ...rest] = commandWords(text, 1);
  const model = (given: string) => {
    if (given === '--all') return EVERY_MODEL;
    if (DASHES.test(given)) throw notAModel(text, verb, given);
    return given;
  };
  switch (verb) {
    case 'help':
      return { verb };
    case 'freeze': {
      const [typedKeyword, until, ...reason] = rest;
      const keyword = typedKeyword?.toLowerCase();
      if (!target || keyword !== 'until' || !until || reason.length === 0)
        throw refuse(
          `freeze needs ${missingFromFreeze(target, keyword, until)}, e.g. \`/rollbot freeze fraud-scorer until 2026-12-27T09:00:00Z year-end freeze\``,
        );
      return { verb, target: model(target), until, reason: reason.join(' ') };
    }
    case 'unfreeze':
      if (!target) throw refuse('unfreeze needs a model (or --all)');
      return { verb, target: model(target), ...(rest.length ? { reason: rest.join(' ') } : {}) };
    default:
      throw unknownSubcommand(COMMANDS.rollbot, ROLLBOT_VERBS, text, verb);
  }
}
