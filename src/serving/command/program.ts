/**
 * Whether the programs of a `command` serving block can be started where rollbot runs, looked up as the child's
 * lookup does (the PATH it gets, commandPath): for `rollbot validate` and the start-up warnings, so that a tool
 * missing from rollbot's image is named when the bot starts, not when the first rollback fails at 2am.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Environment } from '../../env.js';
import type { CredentialProblem } from '../credential-problem.js';
import { commandPath } from './argv.js';
import type { CommandConfig } from './config.js';

/** The programs of `argv` and `statusArgv` that cannot be started here, each once with the fields naming it. */
export function commandProgramProblems(
  config: Pick<CommandConfig, 'argv' | 'statusArgv' | 'cwd'>,
  env: Environment,
): CredentialProblem[] {
  const fields = new Map<string, string[]>();
  const add = (program: string | undefined, field: string) => {
    if (program !== undefined) fields.set(program, [...(fields.get(program) ?? []), field]);
  };
  add(config.argv[0], 'argv[0]');
  add(config.statusArgv?.[0], 'statusArgv[0]');
  const path = commandPath(env);
  // The child's relative names (`./deploy.sh`, a relative PATH entry) are relative to its working directory.
  const cwd = config.cwd ?? process.cwd();
  const problems: CredentialProblem[] = [];
  for (const [program, named] of fields) {
    const which = `${named.join(' and ')} "${program}"`;
    if (program.includes('/')) {
      // Named by its path: not looked up in PATH.
      if (isExecutableFile(resolve(cwd, program))) continue;
      problems.push({
        missing: `${which} is not an executable file`,
        fix: `fix ${named.join(' and ')} in the runbook, or install the program there`,
      });
    } else if (!path.split(':').some((dir) => isExecutableFile(join(resolve(cwd, dir), program)))) {
      problems.push({
        missing: `${which} is not an executable file in any directory of PATH=${path}`,
        fix:
          `install ${program} where rollbot runs (its image), add its directory to rollbot's PATH, or give its ` +
          'absolute path in the runbook',
      });
    }
  }
  return problems;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
