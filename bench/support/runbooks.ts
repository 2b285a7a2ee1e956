import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `bench-model-07`: the benchmark's model names, in the runbook format's alphabet. */
export function modelName(index: number): string {
  return `bench-model-${String(index).padStart(3, '0')}`;
}

/**
 * Each model gets a channel of its own (`C0BENCH007`), so that per-channel pacing can be checked per model.
 * The bare baselines use the same mapping to post where rollbot would.
 */
export function channelFor(model: string): string {
  const digits = /(\d+)$/.exec(model)?.[1] ?? '0';
  return `C0BENCH${digits.padStart(3, '0')}`;
}

/** The approver named in every benchmark runbook (and the user who presses buttons in the benchmarks). */
export const BENCH_USER = 'U0BENCH01';

/**
 * A runbook that can never execute anything: policy `approve` (a person must decide) and a `command` adapter
 * that would run `/bin/true`. Without PROMETHEUS_URL triage reports "no metrics source", so the engine runs
 * intake, triage, deadlines and the Slack queue — the paths a storm exercises — and stops before any rollback.
 */
export function benchRunbook(model: string): string {
  return [
    `model: ${model}`,
    `owner: '@bench-ml'`,
    `channel: ${channelFor(model)}`,
    'tier: 2',
    'serving: { adapter: command, argv: [/bin/true] }',
    `rollback: { policy: approve, approvers: [${BENCH_USER}] }`,
    'escalation: { mention: [S0BENCHOC] }',
    '',
  ].join('\n');
}

/** Writes `count` runbooks into a fresh temporary folder. */
export async function writeRunbooks(count: number): Promise<{ dir: string; models: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'rollbot-bench-runbooks-'));
  const models = Array.from({ length: count }, (_, index) => modelName(index));
  await Promise.all(models.map((model) => writeFile(join(dir, `${model}.yml`), benchRunbook(model))));
  return { dir, models };
}
