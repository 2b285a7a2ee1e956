import { RollbotError } from '../core/errors.js';
import { closest } from '../core/suggest.js';

/**
 * Every command's synopsis and what it does: the one source of `rollbot help` and of each command's own usage
 * error, so that an option added to one is in the other (README.md's CLI table is checked against it by a test).
 */
const COMMANDS = {
  validate: {
    synopsis: 'validate [dir]',
    does: ['check runbooks (default: RUNBOOKS_DIR or ./runbooks)'],
  },
  incidents: {
    synopsis: 'incidents [--open] [--limit <n>] [--before <id>] [--format table|json]',
    does: [
      'list incidents with their stage clocks (json: as GET /api/incidents answers them);',
      '--limit a page (default 100), --before <id>: the page after it',
    ],
  },
  timeline: {
    synopsis: 'timeline <id> [--format md|json]',
    does: ["an incident's timeline (md: the retrospective skeleton)"],
  },
  rollback: {
    synopsis: 'rollback <model> [--to <version>] [--from <version>] --reason "…" [--dry-run]',
    does: [
      'roll back to the last known-good version (or --to), step by step;',
      '--from: only if <version> still serves, so a repeat never goes further',
    ],
  },
  resolve: {
    synopsis: 'resolve <id> --reason "…"',
    does: ['service is restored (when confirmation cannot say so)'],
  },
  dismiss: {
    synopsis: 'dismiss <id> --reason "…" [--as <user ID>]',
    does: [
      'not a rollback: end triage (as the Slack button does);',
      '--as: your Slack user ID, checked against rollback.approvers',
    ],
  },
  note: {
    synopsis: 'note <id> <text…> [--as <user ID>]',
    does: [
      "add what you found to the incident's timeline (for the retro);",
      '--as: your Slack user ID (else cli:<login>)',
    ],
  },
  gateFreeze: {
    synopsis: 'gate freeze <model|--all> --until <ISO time> --reason "…" [--as <user ID>]',
    does: [
      'close the deployment gate until then (no override waives it);',
      '--all: every model; --as: your Slack user ID (rollback.approvers)',
    ],
  },
  gateUnfreeze: {
    synopsis: 'gate unfreeze <model|--all> [--reason "…"] [--as <user ID>]',
    does: ['lift a deploy freeze before its time'],
  },
  drillRun: {
    synopsis: 'drill run <model> [--dry-run]',
    does: ['rehearse the rollback now (the drill target, or plan only) and print the scorecard'],
  },
  drillList: {
    synopsis: 'drill list [--format table|json]',
    does: ['drill schedules, next runs, last results, drills under way (json: ISO times)'],
  },
  deployRecord: {
    synopsis:
      'deploy record <model> <version> [--previous <version>] [--strategy canary|blue-green|…] [--traffic <percent>]',
    does: ['record a deployment in the ledger and show the deployment gate'],
  },
} as const satisfies Record<string, { synopsis: string; does: readonly string[] }>;

export type Command = keyof typeof COMMANDS;

/** Each command's synopsis, as `rollbot help` lists them (for the README check). */
export const SYNOPSES: readonly string[] = Object.values(COMMANDS).map((command) => command.synopsis);

/** The words a command line starts with (`drill`, `gate`…, and `help`): what an unknown one is matched against. */
export const COMMAND_WORDS: readonly string[] = [
  ...new Set([...SYNOPSES.map((synopsis) => synopsis.split(' ')[0] ?? ''), 'help']),
];

/** `usage: rollbot <synopsis>` for the forms of a command (`drill run … | rollbot drill list`). */
export function usageOf(...commands: [Command, ...Command[]]): string {
  return `usage: ${commands.map((command) => `rollbot ${COMMANDS[command].synopsis}`).join(' | ')}`;
}

/** The command words as typed, each with its forms (`drill` is `drill run` and `drill list`). */
const FORMS: Readonly<Record<string, [Command, ...Command[]]>> = {
  validate: ['validate'],
  incidents: ['incidents'],
  timeline: ['timeline'],
  rollback: ['rollback'],
  resolve: ['resolve'],
  dismiss: ['dismiss'],
  note: ['note'],
  gate: ['gateFreeze', 'gateUnfreeze'],
  drill: ['drillRun', 'drillList'],
  deploy: ['deployRecord'],
};

/** The usage of the command typed as `word` (`rollback`, `gate`), or undefined when there is no such command. */
export function commandUsage(word: string | undefined): string | undefined {
  const forms = word === undefined ? undefined : FORMS[word];
  return forms && usageOf(...forms);
}

/**
 * Whether a command's arguments ask for its usage: `--help` or `-h` anywhere among its options, whatever else is
 * given (a half-typed command is when one asks). After `--` they are words (a note's text), as for parseArgs.
 */
export function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/**
 * `--to "$TARGET"` (or any option or argument given a variable) with the variable unset gives an empty value,
 * which would otherwise be dropped or misread: a rollback to the default target instead of the one asked for, or
 * from whatever serves by then; a deployment recorded without the version it replaced, or at 0% of the traffic;
 * runbooks read from a folder named "". `name` is what the error calls it (`--to`, `the folder name`).
 */
export function refuseEmpty(name: string, value: string | undefined, command: Command, hint: string): void {
  if (value !== undefined && !value.trim()) {
    throw new RollbotError('BAD_REQUEST', `${name} is empty\n${usageOf(command)}`, { hint });
  }
}

// The descriptions' column: a synopsis that does not leave two spaces before it gets a line of its own.
const COLUMN = 41;

/** `rollbot help`: every command's synopsis with what it does. */
export const USAGE = [
  'usage: rollbot <command>',
  '',
  ...Object.values(COMMANDS).flatMap(({ synopsis, does }) => {
    const head = `  ${synopsis}`;
    const [first = '', ...more] = does;
    const rest = more.map((line) => `${' '.repeat(COLUMN)}${line}`);
    return head.length + 2 <= COLUMN
      ? [`${head.padEnd(COLUMN)}${first}`, ...rest]
      : [head, `${' '.repeat(COLUMN)}${first}`, ...rest];
  }),
  '',
  "With ROLLBOT_URL set (and API_TOKEN), commands go to that bot's API; otherwise they run in-process on REDIS_URL.",
  'With neither, reads and --dry-run run on an empty in-memory store, and commands that change anything are',
  'refused: --in-memory runs them on a store that lasts for this command only (to try rollbot out).',
  "rollbot <command> --help (or -h): that command's usage.",
  'Exit codes: 0 done; 1 failed or refused (a failed rollback or drill, a refusal, the bot or Redis unreachable);',
  '2 usage error (a missing or bad argument or option), nothing done.',
].join('\n');

/**
 * What to print for an argument node:util's parseArgs refused (`ERR_PARSE_ARGS_*`), or undefined for any other
 * error: what is wrong — for an unknown option the likeliest one meant, from the command's own options — and that
 * command's usage, not every command's, so the slip is not lost above thirty lines of help.
 */
export function argumentProblem(error: unknown, word: string | undefined): string | undefined {
  if (
    !(error instanceof TypeError) ||
    !('code' in error) ||
    !String(error.code).startsWith('ERR_PARSE_ARGS')
  ) {
    return undefined;
  }
  const usage = commandUsage(word) ?? USAGE;
  const unknown = /^Unknown option '([^']+)'/.exec(error.message)?.[1];
  if (error.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || unknown === undefined) {
    return `error: ${error.message}\n    ${usage}`;
  }
  const guess = closest(unknown, optionsOf(word, usage));
  return `error: unknown option ${unknown}${guess ? ` (did you mean ${guess}?)` : ''}\n    ${usage}`;
}

/** The options a command takes: those of its synopses, --help, and --in-memory wherever a store is opened. */
function optionsOf(word: string | undefined, usage: string): string[] {
  const named = [...usage.matchAll(/--[a-z][a-z-]*/g)].map((match) => match[0]);
  return [...named, '--help', ...(word === 'validate' ? [] : ['--in-memory'])];
}
