/**
 * `rollbot` — the command line (DESIGN §3). With ROLLBOT_URL set it talks to a running bot over its HTTP API;
 * otherwise it runs the engine in this process with the same configuration (REDIS_URL, RUNBOOKS_DIR, …). With
 * neither ROLLBOT_URL nor REDIS_URL, only reads, dry runs and --in-memory run (cli/in-memory.ts).
 */
import { userInfo } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { assertRedisReachable, localBackend, remoteBackend, type Backend } from './cli/backend.js';
import { inAnyCase } from './cli/any-case.js';
import { dismissCommand } from './cli/dismiss.js';
import { drillCommand } from './cli/drill.js';
import { failureText } from './cli/format.js';
import { incidentsCommand } from './cli/incidents.js';
import { gateCommand } from './cli/gate.js';
import { IN_MEMORY_OPTION, inMemoryNote, type Access } from './cli/in-memory.js';
import { noteCommand } from './cli/note.js';
import { deployCommand, rollbackCommand, type Io } from './cli/rollback.js';
import {
  COMMAND_WORDS,
  USAGE,
  argumentProblem,
  asksForHelp,
  commandUsage,
  refuseEmpty,
  usageOf,
} from './cli/usage.js';
import { closest } from './core/suggest.js';
import { loadConfig, runbooksDirOf } from './config.js';
import { formatDuration } from './core/duration.js';
import { RollbotError, isRollbotError } from './core/errors.js';
import { incidentMarkdown } from './engine/report.js';
import { compose } from './compose.js';
import { createLogger } from './observability/logger.js';
import { formatProblem } from './runbooks/problems.js';
import { loadRunbooks } from './runbooks/load.js';
import { malformedPagingKeys, missingCredentials, unsetVariables, whatFails } from './start-warnings.js';
import { sixFieldsWarning } from './runbooks/drill-cadence.js';
import { envValue, unsetState } from './env.js';

export type { Io } from './cli/rollback.js';

const defaultIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Runs one CLI invocation and returns its exit code (0 ok, 1 failed, 2 usage). */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: Io = defaultIo,
): Promise<number> {
  const [command, ...rest] = argv;
  const usage = commandUsage(command);
  if (usage !== undefined && asksForHelp(rest)) {
    io.out(usage);
    return 0;
  }
  try {
    switch (command) {
      case 'validate':
        return await validate(rest, env, io);
      case 'incidents':
        return await incidentsCommand(rest, (access) => openBackend(env, io, access), io);
      case 'timeline': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { format: { type: 'string', default: 'md' }, ...IN_MEMORY_OPTION },
        });
        const id = positionals[0];
        if (!id) throw new RollbotError('BAD_REQUEST', usageOf('timeline'));
        if (positionals.length > 1) {
          throw new RollbotError(
            'BAD_REQUEST',
            `timeline takes one incident, got ${quoted(positionals)}\n${usageOf('timeline')}`,
            { hint: 'run it once for each incident' },
          );
        }
        if (values.format !== 'md' && values.format !== 'json') {
          throw new RollbotError(
            'BAD_REQUEST',
            `--format "${values.format}" is not a format of the timeline\n${usageOf('timeline')}`,
            { hint: 'write md (the retrospective skeleton, the default) or json' },
          );
        }
        return await withBackend(env, io, reads(values), async (backend) => {
          const detail = await backend.incident(id);
          io.out(values.format === 'json' ? JSON.stringify(detail, null, 2) : incidentMarkdown(detail));
          return 0;
        });
      }
      case 'rollback':
        return await rollbackCommand(rest, cliUser(env), (access) => openBackend(env, io, access), io);
      case 'resolve': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { reason: { type: 'string' }, ...IN_MEMORY_OPTION },
        });
        const id = positionals[0];
        if (positionals.length > 1) {
          // An unquoted reason: the shell gave --reason its first word and left the rest as arguments.
          throw new RollbotError(
            'BAD_REQUEST',
            `resolve takes one incident, got ${quoted(positionals)}\n${usageOf('resolve')}`,
            { hint: 'quote the reason (--reason "false alarm, fixed upstream")' },
          );
        }
        if (!id || !values.reason?.trim()) throw new RollbotError('BAD_REQUEST', usageOf('resolve'));
        return await withBackend(env, io, writes(values), async (backend) => {
          const incident = await backend.resolve(id, cliUser(env), values.reason ?? '');
          io.out(
            // Its phase only when resolving took it further (closed): "resolved (resolved)" said nothing.
            `${incident.id} resolved${incident.phase === 'resolved' ? '' : ` (now ${incident.phase})`}; the retrospective is due in ${formatDuration(incident.stages.find((s) => s.stage === 'retro')?.targetMs ?? 0)}`,
          );
          return 0;
        });
      }
      case 'dismiss':
        return await dismissCommand(rest, cliUser(env), (access) => openBackend(env, io, access), io);
      case 'note':
        return await noteCommand(rest, cliUser(env), (access) => openBackend(env, io, access), io);
      case 'drill':
        return await drillCommand(rest, cliUser(env), (access) => openBackend(env, io, access), io);
      case 'deploy':
        return await deployCommand(rest, cliUser(env), (access) => openBackend(env, io, access), io);
      case 'gate':
        return await gateCommand(rest, cliUser(env), (access) => openBackend(env, io, access), io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default: {
        const meant = closest(command, COMMAND_WORDS);
        io.err(`unknown command "${command}"${meant ? ` (did you mean ${meant}?)` : ''}\n\n${USAGE}`);
        return 2;
      }
    }
  } catch (error) {
    if (isRollbotError(error)) {
      io.err(failureText(`error: ${error.message}`, error.hint));
      return error.code === 'BAD_REQUEST' ? 2 : 1;
    }
    const problem = argumentProblem(error, command);
    if (problem !== undefined) {
      io.err(problem);
      return 2;
    }
    throw error;
  }
}

/**
 * `rollbot validate [dir]`. Its arguments are parsed like every command's (`--help` is answered before): an
 * option it does not know would otherwise be read as the folder, and a second folder (an unquoted path with a
 * space) ignored.
 */
async function validate(args: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length > 1) {
    const folders = positionals.map((folder) => `"${folder}"`).join(' ');
    throw new RollbotError(
      'BAD_REQUEST',
      `validate checks one folder, got ${positionals.length}: ${folders}\n${usageOf('validate')}`,
      {
        hint: 'give one runbooks folder (quote a path with spaces in it), or none to use RUNBOOKS_DIR (or ./runbooks)',
      },
    );
  }
  const [given] = positionals;
  refuseEmpty(
    'the folder name',
    given,
    'validate',
    'give the runbooks folder, or leave it out to use RUNBOOKS_DIR (or ./runbooks)',
  );
  const dir = given ?? runbooksDirOf(env);
  const { runbooks, problems, files } = await loadRunbooks(
    dir,
    given === undefined ? 'RUNBOOKS_DIR' : 'validate',
  );
  for (const problem of problems) io.err(formatProblem(problem));
  // Warnings, not problems: validate often runs where the bot's secrets are not (CI).
  for (const runbook of runbooks) {
    const schedule = runbook.drill && sixFieldsWarning(runbook.drill.schedule);
    if (schedule) io.err(`warning: ${files.get(runbook.model) ?? runbook.model}: ${schedule}.`);
  }
  for (const { model, field, name, effect } of unsetVariables(runbooks, env)) {
    io.err(
      `warning: ${files.get(model) ?? model}: ${field}: ${name} is ${unsetState(env, name)} here: ${effect}`,
    );
  }
  for (const { model, field, name, problem, hint } of malformedPagingKeys(runbooks, env)) {
    io.err(
      `warning: ${files.get(model) ?? model}: ${field}: ${name} ${problem}; the bot refuses to start with it (fix: ${hint})`,
    );
  }
  for (const { model, fields, adapter, missing, fix, level } of missingCredentials(runbooks, env)) {
    const where = `${files.get(model) ?? model}: ${fields.join(', ')} (${adapter})`;
    // A note's fix says itself when rollbacks fail (off EC2): the instance role it leaves to be tried may be there.
    io.err(
      level === 'note'
        ? `note: ${where}: ${missing}; ${fix}`
        : `warning: ${where}: ${missing}: ${whatFails(fields)} through this serving layer would fail here (fix: ${fix})`,
    );
  }
  if (problems.length > 0) {
    io.err(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${dir}`);
    return 1;
  }
  io.out(
    `${runbooks.length} runbook${runbooks.length === 1 ? '' : 's'} OK in ${dir}: ${runbooks.map((r) => r.model).join(', ')}`,
  );
  return 0;
}

/** The words given, each in quotes, as an error about too many of them names them. */
function quoted(words: readonly string[]): string {
  return words.map((word) => `"${word}"`).join(' ');
}

/**
 * `cli:<login>`: who ran the command, for the incident timeline. USER and LOGNAME are set by a login shell only:
 * `kubectl exec`, `docker exec` and cron leave them out, so the login is then asked of the system, and
 * `cli:unknown` is left for a user the system cannot name (an arbitrary uid with no passwd entry).
 */
function cliUser(env: NodeJS.ProcessEnv): string {
  return `cli:${envValue(env, 'USER') ?? envValue(env, 'LOGNAME') ?? systemLogin() ?? 'unknown'}`;
}

function systemLogin(): string | undefined {
  try {
    return userInfo().username.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bot at ROLLBOT_URL, or the engine in this process on the configured store and serving layers; without
 * either, an in-memory store for reads, dry runs and --in-memory only (cli/in-memory.ts).
 */
async function openBackend(env: NodeJS.ProcessEnv, io: Io, access: Access): Promise<Backend> {
  const config = loadConfig({ LOG_LEVEL: 'error', ...env });
  const note = inMemoryNote(config, access);
  if (config.rollbotUrl) return inAnyCase(remoteBackend(config.rollbotUrl, config.apiToken));
  if (config.redisUrl) {
    await assertRedisReachable(
      config.redisUrl,
      createLogger({ level: config.logLevel, secrets: config.secrets }),
    );
  }
  if (note) io.err(note);
  return inAnyCase(localBackend(await compose(config, { quiet: true, env })));
}

/** A command that only reads, or one that changes things, by its options. */
const reads = (values: { 'in-memory': boolean }): Access => ({
  writes: false,
  inMemory: values['in-memory'],
});
const writes = (values: { 'in-memory': boolean }): Access => ({
  writes: true,
  inMemory: values['in-memory'],
});

async function withBackend(
  env: NodeJS.ProcessEnv,
  io: Io,
  access: Access,
  work: (backend: Backend) => Promise<number>,
): Promise<number> {
  const backend = await openBackend(env, io, access);
  try {
    return await work(backend);
  } finally {
    await backend.close();
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
