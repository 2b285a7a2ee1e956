import { z } from 'zod';
import { duration, envName } from '../../runbooks/fields.js';
import { eta } from '../universal-config.js';
import { PLACEHOLDERS, placeholdersIn, templateProblems, type Placeholder } from '../template.js';

const argv = z
  .array(z.string().min(1, 'an argument may not be empty'))
  .min(1, 'needs at least the program to run');

/**
 * `serving: {adapter: command, …}`: a program run without a shell, each argument filled on its own, so that a
 * value like `; rm -rf /` stays one literal argument. Placeholders as for `http`; `statusArgv` knows only
 * `{{model}}` and `{{env.NAME}}`. The child sees PATH and the variables listed in `env`, nothing else.
 */
export const commandConfig = z
  .strictObject({
    adapter: z.literal('command'),
    /** The rollback command, e.g. `[helm, rollback, fraud-scorer, '{{to}}', -n, ml-prod]`. */
    argv,
    /** Prints the current version on stdout (trimmed, one line): makes execute idempotent and confirms it. */
    statusArgv: argv.optional(),
    /** Per run; on expiry the process group gets SIGTERM, then SIGKILL 5s later. */
    timeout: duration('a timeout of zero stops the command the moment it starts', 'timeout').default(120_000),
    /** Environment variables passed to the command and usable as `{{env.NAME}}`; nothing else is passed. */
    env: z.array(envName).default([]),
    /** Most commands (helm rollback, redeploy jobs) restart pods: minutes, not seconds. */
    regime: z.enum(['traffic-flip', 'redeploy']).default('redeploy'),
    /** Expected time until traffic is on the target; default 30s for a flip, 10m for a redeploy. */
    eta: eta.optional(),
    /** Absolute working directory; default rollbot's own. */
    cwd: z.string().startsWith('/', 'expected an absolute path').optional(),
    /** Exit codes that mean "try again later" (e.g. a lock held by another deploy); others fail at once. */
    retryOnExit: z.array(z.number().int().min(1).max(255)).default([]),
  })
  .superRefine((config, ctx) => {
    const vars = config.statusArgv ? PLACEHOLDERS : PLACEHOLDERS.filter((name) => name !== 'from');
    checkArgv(config.argv, 'argv', vars, config.env, ctx);
    if (config.statusArgv) checkArgv(config.statusArgv, 'statusArgv', ['model'], config.env, ctx);
  });

export type CommandConfig = z.output<typeof commandConfig>;

function checkArgv(
  args: string[],
  field: string,
  vars: readonly Placeholder[],
  env: readonly string[],
  ctx: z.RefinementCtx,
): void {
  const [program = '', ...rest] = args;
  if (placeholdersIn(program).length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: [field, 0],
      message: 'the program is fixed in the runbook: no placeholders in argv[0]',
    });
  }
  rest.forEach((arg, i) => {
    for (const message of templateProblems(arg, { vars, env })) {
      ctx.addIssue({ code: 'custom', path: [field, i + 1], message });
    }
  });
  for (const { index, remote } of codeArguments(args)) {
    const injected = placeholdersIn(args[index] ?? '').filter((n) => !n.startsWith('env.'));
    if (injected.length === 0) continue;
    ctx.addIssue({
      code: 'custom',
      path: [field, index],
      message: remote
        ? `{{${injected[0]}}} would become part of the command line ssh hands to the remote shell, which parses it again: run the tool from rollbot's host, or a remote script that takes no values from rollbot`
        : `{{${injected[0]}}} would become part of a shell command or script: pass it as an argument of its own (sh -c 'helm rollback x "$1"' sh '{{to}}')`,
    });
  }
}

/** Programs that run their argument as code, with the flags that introduce it. */
const INTERPRETERS: Record<string, RegExp> = {
  sh: /^-[a-z]*c[a-z]*$/,
  bash: /^-[a-z]*c[a-z]*$/,
  dash: /^-[a-z]*c[a-z]*$/,
  zsh: /^-[a-z]*c[a-z]*$/,
  ksh: /^-[a-z]*c[a-z]*$/,
  ash: /^-[a-z]*c[a-z]*$/,
  fish: /^(-c|--command)$/,
  python: /^-c$/,
  python3: /^-c$/,
  node: /^(-e|-p|--eval|--print)$/,
  perl: /^-[a-zA-Z]*e$/,
  ruby: /^-e$/,
  pwsh: /^-(c|command|encodedcommand)$/i,
  powershell: /^-(c|command|encodedcommand)$/i,
  // They run their -c command with a shell, too.
  su: /^(-c|--command)$/,
  runuser: /^(-c|--command)$/,
  flock: /^(-c|--command)$/,
};

/** Programs that join their arguments into one command line for a shell on another host. */
const REMOTE_SHELLS = new Set(['ssh', 'rsh']);

/**
 * The arguments a shell or interpreter runs as code: the one after an interpreter's code flag (`sh -c <code>`),
 * wherever the interpreter stands (after `env`, `sudo`, `kubectl exec … --`, which run the rest as a command),
 * and everything after `ssh`. There a value placed in an argument would be parsed again, which the security
 * rule in DESIGN §7 forbids.
 */
function codeArguments(args: string[]): { index: number; remote: boolean }[] {
  const found = new Map<number, boolean>();
  args.forEach((arg, i) => {
    if (placeholdersIn(arg).length > 0) return;
    const program = arg.split('/').at(-1) ?? '';
    if (REMOTE_SHELLS.has(program)) {
      for (let next = i + 1; next < args.length; next++) found.set(next, true);
      return;
    }
    const flag = INTERPRETERS[program];
    if (flag === undefined) return;
    const at = args.findIndex((candidate, j) => j > i && flag.test(candidate));
    if (at !== -1 && at + 1 < args.length && !found.has(at + 1)) found.set(at + 1, false);
  });
  return [...found].map(([index, remote]) => ({ index, remote }));
}
