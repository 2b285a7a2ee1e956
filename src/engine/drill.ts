import { formatDuration } from '../core/duration.js';
import { closeRetro, viewStages } from '../core/incident.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, type EngineDeps } from './context.js';
import type { RunbookSet } from './runbook-set.js';
import { mutateIncident } from './mutate.js';
import { openRetroSafely, resolveIfOpen } from './resolve.js';

/** A drill's result: each stage against its target, and what went wrong. */
export interface DrillResult {
  model: string;
  incidentId: string;
  at: number;
  outcome: 'passed' | 'failed';
  target: string;
  stages: { stage: string; elapsedMs: number; targetMs: number; met: boolean }[];
  problems: string[];
}

const HISTORY = 10;
const lastKey = (model: string) => `drill:last-success:${model}`;
const historyKey = (model: string) => `drill:history:${model}`;

/** Where a drill rolls back: the runbook's drill target, or a dry run against production that changes nothing. */
export function drillTarget(runbook: Runbook): string {
  if (!runbook.drill) return 'none';
  return runbook.drill.serving
    ? `${runbook.drill.serving.adapter} (drill target)`
    : 'dry run (plan only, nothing changes)';
}

/**
 * Scores a drill when its rollback ended: each stage against its target, pass/fail, what went wrong. A passed
 * drill is closed at once; a failed one stays resolved, waiting for its retrospective. Undefined when there is
 * nothing to finish: not a drill, or ended already — also by another replica in the middle of this call.
 */
export async function finishDrill(
  deps: EngineDeps,
  incidentId: string,
  how: { succeeded: boolean; problem?: string },
): Promise<DrillResult | undefined> {
  const current = await deps.store.getIncident(incidentId);
  const runbook = current && deps.runbooks.get(current.model);
  if (!current?.drill || !runbook || current.phase === 'resolved' || current.phase === 'closed')
    return undefined;
  const resolved =
    current.phase === 'dismissed'
      ? current
      : await resolveIfOpen(deps, incidentId, {
          by: 'rollbot',
          reason: how.succeeded ? 'drill rollback done' : 'drill ended with a failure',
        });
  // Another path (a replica handling the same alert, the drill's own rollback) ended the drill since the read
  // above and scores it: not an error, or the real alert that interrupted the drill would be refused.
  if (!resolved) return undefined;
  const now = deps.clock.now();
  const stages = viewStages(resolved, now)
    .filter((stage) => stage.stage !== 'retro' && stage.state !== 'pending')
    .map((stage) => ({
      stage: stage.stage,
      elapsedMs: stage.elapsedMs,
      targetMs: stage.targetMs,
      met: !stage.breached,
    }));
  const problems = [
    ...(how.problem ? [how.problem] : []),
    ...stages
      .filter((s) => !s.met)
      .map((s) => `${s.stage} took ${formatDuration(s.elapsedMs)} against ${formatDuration(s.targetMs)}`),
  ];
  const result: DrillResult = {
    model: runbook.model,
    incidentId,
    at: now,
    outcome: how.succeeded && problems.length === 0 ? 'passed' : 'failed',
    target: drillTarget(runbook),
    stages,
    problems,
  };
  await saveResult(deps, result);
  if (result.outcome === 'passed') {
    await mutateIncident(deps.store, incidentId, (latest) =>
      latest.phase === 'resolved' ? closeRetro(latest, now) : undefined,
    );
  } else {
    await openRetroSafely(deps, incidentId);
  }
  deps.metrics.drillFinished(runbook.model, result.outcome);
  const text = scorecard(result);
  await record(deps, resolved, { type: 'drill.scorecard', text, data: { outcome: result.outcome } });
  await deps.notifier.notify({
    type: 'incident.updated',
    incident: resolved,
    channel: runbook.channel,
    text,
  });
  return result;
}

/** "DRILL PASSED for fraud-scorer: triage 2m/10m ✓, rollback 30s/5m ✓ …" */
export function scorecard(result: DrillResult): string {
  const lines = result.stages.map(
    (s) => `${s.stage} ${formatDuration(s.elapsedMs)}/${formatDuration(s.targetMs)} ${s.met ? '✓' : '✗'}`,
  );
  const what = result.problems.length ? `; what went wrong: ${result.problems.join('; ')}` : '';
  return `DRILL ${result.outcome.toUpperCase()} for ${result.model} (${result.incidentId}, ${result.target}): ${lines.join(', ')}${what}`;
}

async function saveResult(deps: EngineDeps, result: DrillResult): Promise<void> {
  const history = await drillHistory(deps, result.model);
  await deps.store.setValue(historyKey(result.model), JSON.stringify([result, ...history].slice(0, HISTORY)));
  if (result.outcome === 'passed') await deps.store.setValue(lastKey(result.model), String(result.at));
}

/** The model's last drills, newest first. */
export async function drillHistory(deps: Pick<EngineDeps, 'store'>, model: string): Promise<DrillResult[]> {
  const raw = await deps.store.getValue(historyKey(model));
  return raw ? (JSON.parse(raw) as DrillResult[]) : [];
}

/** When the model last passed a drill (epoch ms). */
export async function lastDrillSuccess(
  deps: Pick<EngineDeps, 'store'>,
  model: string,
): Promise<number | undefined> {
  const raw = await deps.store.getValue(lastKey(model));
  return raw === undefined ? undefined : Number(raw);
}

/** Every model's last drill success (epoch ms), for the `rollbot_drill_last_success_timestamp_seconds` gauge. */
export async function drillSuccesses(
  deps: Pick<EngineDeps, 'store'>,
  runbooks: RunbookSet,
): Promise<Record<string, number>> {
  const entries = await Promise.all(
    runbooks.all.map(
      async (runbook) => [runbook.model, await lastDrillSuccess(deps, runbook.model)] as const,
    ),
  );
  return Object.fromEntries(
    entries.filter((entry): entry is readonly [string, number] => entry[1] !== undefined),
  );
}

/** No successful drill in this long is overdue: the rehearsal the quarterly schedule exists for did not happen. */
export const DRILL_OVERDUE_MS = 100 * 86_400_000;
const sinceKey = (model: string) => `drill:planned-since:${model}`;

/** Remembers when drills were first planned for a model: the clock an overdue drill is measured from. */
export async function notePlanned(deps: Pick<EngineDeps, 'store' | 'clock'>, model: string): Promise<void> {
  if ((await deps.store.getValue(sinceKey(model))) === undefined)
    await deps.store.setValue(sinceKey(model), String(deps.clock.now()));
}

/** Why the model's drill is overdue (no success in 100 days since drills were planned), or undefined. */
export async function drillOverdue(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  runbook: Runbook,
): Promise<string | undefined> {
  if (!runbook.drill) return undefined;
  const lastSuccess = await lastDrillSuccess(deps, runbook.model);
  const since = Number((await deps.store.getValue(sinceKey(runbook.model))) ?? NaN);
  const reference = lastSuccess ?? (Number.isFinite(since) ? since : undefined);
  if (reference === undefined || deps.clock.now() - reference < DRILL_OVERDUE_MS) return undefined;
  return lastSuccess === undefined
    ? `no successful rollback drill since drills were planned ${formatDuration(deps.clock.now() - reference)} ago`
    : `last successful rollback drill ${formatDuration(deps.clock.now() - reference)} ago (due every quarter)`;
}
