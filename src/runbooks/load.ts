import { constants, type Dirent } from 'node:fs';
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { RollbotError } from '../core/errors.js';
import { formatProblem, type Problem } from './problems.js';
import { modelName } from './fields.js';
import { parseRunbook } from './parse.js';
import type { Runbook } from './schema.js';

export interface LoadResult {
  runbooks: Runbook[];
  problems: Problem[];
  /** Each loaded runbook's file, by model. */
  files: ReadonlyMap<string, string>;
}

/**
 * Who named the runbooks folder, so that a folder that cannot be read is fixed where it was named: RUNBOOKS_DIR
 * (the bot, `rollbot validate` without a folder), or `rollbot validate <dir>`.
 */
export type FolderNamedBy = 'RUNBOOKS_DIR' | 'validate';

/**
 * The most a runbook file may hold: 1 MiB, some 700 times the largest example (runbooks/fraud-scorer.yml, 1.5 KB).
 * A larger one is not a runbook but a slip (a dump linked by mistake, a generated file gone wrong), and reading and
 * parsing it whole, at start-up and in `rollbot validate`, would take seconds and gigabytes for 500 MB.
 */
export const MAX_RUNBOOK_BYTES = 1024 * 1024;

/**
 * The most runbook files one folder may hold: 1,000, twenty times the ~50 models of a large deployment. More is a
 * folder that is not the runbooks folder (RUNBOOKS_DIR set to a folder of generated files, say), none of which is
 * read, rather than each parsed and named a problem.
 */
export const MAX_RUNBOOK_FILES = 1000;

/** Reads every `*.yml`/`*.yaml` in `dir` (README and dotfiles aside) and checks them one by one and together. */
export async function loadRunbooks(
  dir: string,
  namedBy: FolderNamedBy = 'RUNBOOKS_DIR',
): Promise<LoadResult> {
  let entries: Dirent[];
  try {
    entries = (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => !entry.name.startsWith('.'))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (error) {
    return {
      runbooks: [],
      problems: [
        { file: dir, path: '', message: unreadableFolder(dir, error as NodeJS.ErrnoException, namedBy) },
      ],
      files: new Map(),
    };
  }
  const runbooks: Runbook[] = [];
  const problems: Problem[] = [];
  const byModel = new Map<string, string>();
  const byMatch = new Map<string, string>();
  const names: string[] = [];
  for (const entry of entries) {
    const unread = await notRead(dir, entry);
    if (unread) problems.push(unread);
    else if (RUNBOOK_FILE.test(entry.name)) names.push(entry.name);
  }
  if (names.length > MAX_RUNBOOK_FILES) {
    const message = `holds ${count(names.length)} runbook files (*.yml, *.yaml), more than the ${count(MAX_RUNBOOK_FILES)} rollbot reads, so none was read: ${namedBy === 'validate' ? 'give rollbot validate the folder of runbooks' : 'set RUNBOOKS_DIR to the folder of runbooks'}`;
    return { runbooks: [], problems: [...problems, { file: dir, path: '', message }], files: new Map() };
  }
  for (const name of names) {
    const file = join(dir, name);
    const text = await readRunbookFile(file);
    if (typeof text !== 'string') {
      problems.push(text);
      continue;
    }
    const result = parseRunbook(text, file);
    if (!result.ok) {
      problems.push(...result.problems);
      continue;
    }
    const { runbook } = result;
    // A runbook often starts with a comment: the problem goes on the field's own line.
    const modelLine = result.lineOf(['model']) ?? 1;
    const stem = basename(name, extname(name));
    if (stem !== runbook.model) {
      problems.push({
        file,
        line: modelLine,
        path: 'model',
        message: misnamed(name, runbook.model),
      });
    }
    const earlier = byModel.get(runbook.model);
    if (earlier) {
      problems.push({
        file,
        line: modelLine,
        path: 'model',
        message: `"${runbook.model}" is already described by ${earlier}: one runbook per model`,
      });
      continue;
    }
    const matchKey = JSON.stringify(Object.entries(runbook.match).sort());
    const sameMatch = byMatch.get(matchKey);
    if (sameMatch) {
      const matchLine = result.lineOf(['alerts', 'match']);
      problems.push({
        file,
        ...(matchLine === undefined ? {} : { line: matchLine }),
        path: 'alerts.match',
        message: `the same labels already route to ${sameMatch}: alerts could not tell the two apart; add a label`,
      });
    }
    byModel.set(runbook.model, file);
    byMatch.set(matchKey, file);
    runbooks.push(runbook);
  }
  if (names.length === 0 && problems.length === 0) {
    problems.push({
      file: dir,
      path: '',
      message: 'no runbooks (*.yml or *.yaml) found; see runbooks/README.md for the format',
    });
  }
  return { runbooks, problems, files: byModel };
}

/** A runbook's file name, as read: lower-case `.yml` or `.yaml`. */
const RUNBOOK_FILE = /\.ya?ml$/;

/**
 * Why an entry of the runbooks folder that looks meant as a runbook is not read: a file with an upper-case
 * extension (`b.YAML`, saved so on macOS or Windows), or a subfolder holding runbooks (one per team, say). Skipped
 * without a word, their models' alerts would go unrouted. Hidden entries (a mounted ConfigMap's `..data`) are left.
 */
async function notRead(dir: string, entry: Dirent): Promise<Problem | undefined> {
  const file = join(dir, entry.name);
  const extension = extname(entry.name);
  if (!RUNBOOK_FILE.test(entry.name) && RUNBOOK_FILE.test(extension.toLowerCase())) {
    const rename = `${basename(entry.name, extension)}${extension.toLowerCase()}`;
    return {
      file,
      path: '',
      message: `not read: runbooks are read from *.yml and *.yaml files, in lower case; rename it to ${rename}`,
    };
  }
  if (!entry.isDirectory() || RUNBOOK_FILE.test(entry.name)) return undefined;
  let inside: string[];
  try {
    inside = await readdir(file);
  } catch {
    return undefined;
  }
  const runbooks = inside.filter((name) => RUNBOOK_FILE.test(name) && !name.startsWith('.')).sort();
  if (runbooks.length === 0) return undefined;
  return {
    file,
    path: '',
    message: `holds ${runbooks.join(', ')}, which are not read: runbooks are read from the folder itself, not its subfolders; move them up into ${dir}`,
  };
}

/**
 * A file's text, or the problem of reading it: a dangling link (a key removed from a mounted ConfigMap), a folder
 * named like a runbook, a file without read permission, one that is no regular file or one over MAX_RUNBOOK_BYTES
 * is one problem among the others, not a stack trace that hides them. Nothing is read before the file opened is
 * found a regular file of a runbook's size.
 */
async function readRunbookFile(file: string): Promise<string | Problem> {
  let handle: FileHandle | undefined;
  try {
    // Without blocking: opening a named pipe would otherwise hold start-up until something writes to it.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    // The file opened, not whatever the name points at by the time it is read.
    const stats = await handle.stat();
    if (stats.isDirectory()) return unreadable(file, 'EISDIR: it is a folder');
    if (!stats.isFile()) {
      const message =
        'not read: not a regular file (a device, a pipe or a socket): point it at a runbook file or remove it from the runbooks folder';
      return { file, path: '', message };
    }
    if (stats.size > MAX_RUNBOOK_BYTES) {
      const message = `not read: the file is ${count(stats.size)} bytes, over the ${MAX_RUNBOOK_BYTES / 1024 / 1024} MiB (${count(MAX_RUNBOOK_BYTES)} bytes) a runbook may be (they are a few KB): point it at the runbook meant, or remove it from the runbooks folder`;
      return { file, path: '', message };
    }
    return await handle.readFile('utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    // Node's message repeats the path ("ENOENT: no such file or directory, open '/…/a.yml'"), which the problem names.
    return unreadable(
      file,
      code === 'EISDIR' ? 'EISDIR: it is a folder' : (message.split(', ')[0] ?? message),
    );
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** A file that cannot be read, and why (`reason`, as the system said it). */
function unreadable(file: string, reason: string): Problem {
  return {
    file,
    path: '',
    message: `cannot read the file (${reason}): fix it or remove it from the runbooks folder`,
  };
}

/** A count as people read it: 1,048,576. */
const count = (n: number): string => n.toLocaleString('en-US');

/**
 * A file whose name is not its model's: either may be the slip (a file copied from another runbook and not
 * renamed, or a typo in `model:`), so both fixes are named, the second only when the name could be a model's.
 */
function misnamed(name: string, model: string): string {
  const stem = basename(name, extname(name));
  const rename = `the file is named ${name} but describes "${model}": rename it to ${model}${extname(name)}`;
  return modelName.safeParse(stem).success
    ? `${rename}, or, if "${model}" is the typo, write model: ${stem}`
    : rename;
}

/** Why the runbooks folder cannot be read, and how to point at one that can, where it was named. */
function unreadableFolder(dir: string, error: NodeJS.ErrnoException, namedBy: FolderNamedBy): string {
  // One runbook file named instead of its folder: the likeliest slip, and the folder to name is plain.
  if (error.code === 'ENOTDIR') {
    const fix =
      namedBy === 'validate'
        ? `give the folder that holds it (rollbot validate ${dirname(dir)})`
        : `set RUNBOOKS_DIR to the folder that holds it (${dirname(dir)})`;
    return `a file, not a folder: runbooks are read from a folder of <model>.yml files; ${fix}`;
  }
  const fix =
    namedBy === 'validate'
      ? 'check the folder given to rollbot validate, or leave it out to use RUNBOOKS_DIR (or ./runbooks)'
      : 'set RUNBOOKS_DIR';
  return `cannot read the runbooks folder (${error.message}); ${fix}`;
}

/**
 * Loads runbooks for start-up: any problem stops the bot with every problem listed. With each model's file, which
 * hints name (RunbookSet.fileOf).
 */
export async function loadRunbooksOrThrow(
  dir: string,
): Promise<{ runbooks: Runbook[]; files: ReadonlyMap<string, string> }> {
  const { runbooks, problems, files } = await loadRunbooks(dir);
  if (problems.length > 0) {
    throw new RollbotError(
      'INVALID_RUNBOOK',
      `invalid runbooks:\n${problems.map(formatProblem).join('\n')}`,
      {
        hint: 'fix each line above (or run `rollbot validate` to check again), then start rollbot',
        details: problems,
      },
    );
  }
  return { runbooks, files };
}
