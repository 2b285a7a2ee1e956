/**
 * The `command` serving adapter: runs the runbook's argv (`helm rollback …`, `kubectl argo rollouts undo …`)
 * without a shell, with a timeout, in an environment holding only PATH and the allow-listed variables. With
 * `statusArgv` it reads the current version (idempotent execute, confirmed rollback); without, it trusts
 * exit code 0.
 */
import type {
  ExecuteContext,
  RollbackPlan,
  ServingAdapter,
  ServingState,
} from '../../engine/serving-port.js';
import { redactEnv, type TemplateValues } from '../template.js';
import {
  chooseTarget,
  universalPlan,
  executionVars,
  singleVersionState,
  unknownState,
  type UniversalAdapterContext,
} from '../universal.js';
import { ServingError } from '../../core/errors.js';
import { childEnv, fillArgv, formatArgv, runFailure, startFailure } from './argv.js';
import type { CommandConfig } from './config.js';
import { runCommand, type RunResult } from './run.js';

/** Builds the adapter for a runbook's `serving: {adapter: command, …}` block. */
export function createCommandAdapter(
  config: CommandConfig,
  context: UniversalAdapterContext,
): ServingAdapter {
  const program = config.argv[0] ?? '';
  const base = { env: context.env, allowEnv: config.env };
  const redact = (text: string): string => redactEnv(text, context.env, config.env);
  const env = childEnv(context.env, config.env);
  // Without a status command, the only evidence of a rollback is our own exit code 0, kept for onTarget.
  const confirmed = new Set<string>();
  let lastConfirmed: string | undefined;

  /**
   * Runs a filled argv; throws the ServingError for anything but exit 0. `timeoutRetried`: whether a timeout
   * may be retried (runFailure), i.e. whether running `template` twice is safe.
   */
  async function run(
    template: readonly string[],
    values: TemplateValues,
    timeoutRetried: boolean,
  ): Promise<RunResult> {
    const argv = fillArgv(template, values);
    const shown = formatArgv(fillArgv(template, { ...values, maskEnv: true }));
    let result: RunResult;
    try {
      result = await runCommand(argv, {
        env,
        timeoutMs: config.timeout,
        ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
      });
    } catch (error) {
      throw await startFailure(shown, error, {
        program: template[0] ?? '',
        field: template === config.statusArgv ? 'statusArgv[0]' : 'argv[0]',
        path: env.PATH ?? '',
        ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
      });
    }
    const clean = { ...result, stdout: redact(result.stdout), stderr: redact(result.stderr) };
    const failure = runFailure(shown, clean, {
      timeoutMs: config.timeout,
      retryOnExit: config.retryOnExit,
      timeoutRetried,
    });
    if (failure) throw failure;
    return clean;
  }

  async function readStatus(statusArgv: readonly string[]): Promise<ServingState> {
    // A read changes nothing: running it again is always safe.
    const { stdout } = await run(statusArgv, { ...base, vars: { model: context.model } }, true);
    const current = stdout.trim();
    if (current === '' || current.includes('\n')) {
      throw new ServingError(`status command printed ${current === '' ? 'nothing' : 'several lines'}`, {
        transient: false,
        hint: 'statusArgv must print only the current version on stdout (pipe through a filter in the tool)',
        details: { stdout },
      });
    }
    return singleVersionState(current, `on ${current} (status command)`);
  }

  return {
    kind: 'command',
    target: `command ${program}`,
    readsState: config.statusArgv !== undefined,

    async state() {
      if (config.statusArgv) return readStatus(config.statusArgv);
      return unknownState(
        lastConfirmed === undefined
          ? 'no status command configured'
          : `no status command configured; rolled back to ${lastConfirmed} (trusting exit code 0)`,
      );
    },

    async plan(request) {
      const to = chooseTarget(request, `command ${program}`);
      const from = request.state.current;
      const preview = (template: readonly string[], vars: TemplateValues['vars']): string =>
        `$ ${formatArgv(fillArgv(template, { ...base, vars, maskEnv: true, keepMissing: true }))}`;
      const actions = [
        preview(config.argv, { model: context.model, to, ...(from === undefined ? {} : { from }) }),
      ];
      if (config.statusArgv) {
        const status = preview(config.statusArgv, { model: context.model });
        actions.unshift(`${status}: skip the rollback if it prints ${to}`);
        actions.push(`${status} until it prints ${to}`);
      } else {
        actions.push('no status command: trusting exit code 0');
      }
      return universalPlan(config, from, to, actions);
    },

    async execute(plan: RollbackPlan, runContext: ExecuteContext) {
      if (config.statusArgv) {
        const now = await readStatus(config.statusArgv);
        if (now.current === plan.to) {
          return { mutated: false, output: `already on ${plan.to} per the status command: nothing run` };
        }
      }
      const values: TemplateValues = {
        ...base,
        vars: executionVars(context.model, plan, runContext),
      };
      // With a status command, a retry re-reads the layer first (above) and runs nothing if the last run landed.
      const result = await run(config.argv, values, config.statusArgv !== undefined);
      confirmed.add(plan.to);
      lastConfirmed = plan.to;
      const shown = formatArgv(fillArgv(config.argv, { ...values, maskEnv: true }));
      const parts = [`$ ${shown}`, result.stdout.trimEnd()];
      if (result.stderr.trim() !== '') parts.push(`[stderr]\n${result.stderr.trimEnd()}`);
      if (!config.statusArgv) parts.push('(no status command: trusting exit code 0)');
      return { mutated: true, output: parts.filter((part) => part !== '').join('\n') };
    },

    async onTarget(plan: RollbackPlan) {
      if (config.statusArgv) return (await readStatus(config.statusArgv)).current === plan.to;
      return confirmed.has(plan.to);
    },
  };
}
