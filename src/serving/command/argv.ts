/**
 * From the runbook's argv template to the arguments and environment of one run, and the errors a run can
 * end in. Each argument is filled on its own: a value never becomes more than the one argument it is in.
 */
import { stat } from 'node:fs/promises';
import { ServingError } from '../../core/errors.js';
import { formatDuration } from '../../core/duration.js';
import { envValue } from '../../env.js';
import { fillTemplate, type TemplateValues } from '../template.js';
import { unlessRepeatable } from '../universal.js';
import type { RunResult } from './run.js';

// Where programs are looked up when rollbot's own environment has no PATH.
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Fills every argument. Refuses a value that would turn an argument into an option (`{{to}}` = `--force`)
 * and NUL bytes (which cannot be passed to a program at all).
 */
export function fillArgv(template: readonly string[], values: TemplateValues): string[] {
  return template.map((arg, i) => {
    const filled = fillTemplate(arg, values);
    const startsWithValue = /^\{\{\s*(?!env\.)/.test(arg);
    if (i > 0 && startsWithValue && filled.startsWith('-')) {
      // Shown as plans and output show it, with {{env.NAME}} values masked: the message reaches the timeline.
      const shown = fillTemplate(arg, { ...values, maskEnv: true });
      throw new ServingError(`argument ${i} would start with "-" and be read as an option: ${shown}`, {
        transient: false,
        hint: 'versions and other values may not start with "-"; check the version asked for',
      });
    }
    if (filled.includes('\0')) {
      throw new ServingError(`argument ${i} would contain a NUL byte`, {
        transient: false,
        hint: 'check the values placed in the command',
      });
    }
    return filled;
  });
}

/**
 * The child's whole environment: PATH (commandPath) and the allow-listed variables that are set, nothing
 * inherited. Read as `{{env.NAME}}` reads them (src/env.ts): a blank one is left out, so that `${NAME:?}` or
 * `os.environ["NAME"]` stops the command rather than run it with an empty token.
 */
export function childEnv(
  env: Readonly<Record<string, string | undefined>>,
  allowEnv: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = { PATH: commandPath(env) };
  for (const name of allowEnv) {
    const value = envValue(env, name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * The PATH a command gets, and where its program is looked up (the child's PATH decides, not rollbot's): rollbot's
 * own, by the one rule of src/env.ts (unset, empty or blank gives DEFAULT_PATH), without its blank entries. A
 * blank entry (`/opt/bin:`, `::`, and an empty PATH as a whole) means the working directory to the lookup, so
 * that a program of that name in `cwd` would run instead of the one meant, and nobody would see why.
 */
export function commandPath(env: Readonly<Record<string, string | undefined>>): string {
  const entries = (envValue(env, 'PATH') ?? '').split(':').filter((entry) => entry.trim() !== '');
  return entries.length === 0 ? DEFAULT_PATH : entries.join(':');
}

/** An argv for people: plain words as they are, anything else JSON-quoted so that spaces show. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./{}*-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
}

/** The last `count` non-empty lines of `text`, on one line each side of `|`. */
export function lastLines(text: string, count: number): string {
  const lines = text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');
  return lines.slice(-count).join(' | ');
}

/**
 * The ServingError for a run that did not succeed, or undefined when it exited 0. An exit code is not transient
 * unless the runbook lists it in `retryOnExit`. A timeout is transient only where running again is safe
 * (`timeoutRetried`): a status read, or a rollback command whose retry re-reads the layer first and skips it if
 * the first run landed. A rollback command nobody can check is not: killed mid-way, it may have changed the
 * layer, and running it again could repeat a change that is not idempotent (a second `helm rollback` undoes
 * the first). The rule is `unlessRepeatable`, which the http adapter keeps too.
 */
export function runFailure(
  shown: string,
  result: RunResult,
  options: { timeoutMs: number; retryOnExit: readonly number[]; timeoutRetried: boolean },
): ServingError | undefined {
  const details = {
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
  };
  if (result.timedOut) {
    const after = formatDuration(options.timeoutMs);
    const timedOut = new ServingError(`${shown}: timed out after ${after} and was killed`, {
      transient: true,
      // Killed mid-way: it may have changed the layer before it hung.
      effectUnknown: true,
      hint: 'raise timeout in the serving block, or check why the command hangs (waiting for input? a lock?)',
      details,
    });
    return unlessRepeatable(timedOut, {
      readsState: options.timeoutRetried,
      verb: 'run',
      fixes: [
        'add statusArgv to the serving block so that rollbot can read it (it then re-reads the layer before retrying a timed-out command)',
        'raise timeout if the command needs longer',
      ],
    });
  }
  if (result.exitCode === 0) return undefined;
  const said = lastLines(result.stderr, 5) || lastLines(result.stdout, 5) || 'no output';
  if (result.exitCode === null) {
    return new ServingError(`${shown}: killed by ${result.signal ?? 'a signal'}: ${said}`, {
      transient: false,
      hint: 'something outside rollbot ended the command (out of memory?)',
      details,
    });
  }
  const transient = options.retryOnExit.includes(result.exitCode);
  return new ServingError(`${shown}: exited with code ${result.exitCode}: ${said}`, {
    transient,
    hint: transient
      ? `exit code ${result.exitCode} is listed in retryOnExit: rollbot retries within the rollback target`
      : "check the command's output above; list exit codes worth retrying in retryOnExit",
    details,
  });
}

/** The ServingError for a program that could not be started. */
export async function startFailure(
  shown: string,
  error: unknown,
  context: { program: string; field: 'argv[0]' | 'statusArgv[0]'; cwd?: string; path: string },
): Promise<ServingError> {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  let hint = `check that ${context.program} can run on rollbot's host`;
  if (code === 'ENOENT') {
    // A missing cwd is reported by Node as ENOENT of the program: tell the two apart.
    const cwdMissing = context.cwd !== undefined && !(await exists(context.cwd));
    hint = cwdMissing
      ? `the working directory ${context.cwd} does not exist: fix cwd in the serving block`
      : `install ${context.program} or fix ${context.field} (${
          // A name with a slash is run from where it points, never looked up in PATH.
          context.program.includes('/')
            ? 'a name with a / is not looked up in PATH'
            : `looked in PATH=${context.path}`
        })`;
  } else if (code === 'EACCES') {
    hint = `${context.program} is not executable by rollbot: fix its permissions or ${context.field}`;
  }
  return new ServingError(`${shown}: could not start: ${message}`, { transient: false, hint, cause: error });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
