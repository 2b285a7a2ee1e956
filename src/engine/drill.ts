import { formatDuration } from '../core/duration.js';
import { closeRetro, type DrillEnding, type Incident } from '../core/incident.js';
import { viewStages } from '../core/incident-stages.js';
import { stageResult } from '../core/stages.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, type EngineDeps } from './context.js';
import { cancelUndecidedEnd } from './drill-decision-wait.js';
import { mutateIncident } from './mutate.js';
import { resolveIfOpen } from './resolution.js';
import { openRetrospective, retroOpened } from './retro.js';
import { sendOnce } from './send-once.js';
import { standIn } from './stand-in.js';

/** A drill's result: each stage against its target, and what went wrong. */
export interface DrillResult {
  model: string;
  incidentId: string;
  at: number;
  outcome: 'passed' | 'failed';
  target: string;
  /**
   * `met`: completed within its target. `cutShort`: the drill's end stopped it before it completed (its rollback
   * failed, nobody decided before a real alert): neither met nor a missed target (core/stages.ts).
   */
  stages: { stage: string; elapsedMs: number; targetMs: number; met: boolean; cutShort?: true }[];
  /**
   * Stages that did not happen, and why (StageClock's `skipped`: a drill's detect, its synthetic alert starting
   * with it): not scored, neither met nor missed, and said on the scorecard. Absent when none was, and on drills
   * scored before it was kept.
   */
  skipped?: { stage: string; why: string }[];
  problems: string[];
  /**
   * The runbook's drill target, when this drill (run with `--dry-run`) only planned instead of rehearsing it: passed,
   * it is not the model's last success, which the deployment gate and the drill recency gauge read.
   */
  dryRunOf?: string;
}

const HISTORY = 10;
const lastKey = (model: string) => `drill:last-success:${model}`;
const historyKey = (model: string) => `drill:history:${model}`;

/**
 * Where a drill rolls back: the runbook's drill target, or a dry run against production that changes nothing.
 * Given the drill, also a drill run with `--dry-run` (labelled `drill_dry_run`, as rollback-scope.ts reads it):
 * its scorecard must not pass it off as a rehearsal of the drill target it never touched.
 */
export function drillTarget(runbook: Runbook, drill?: Pick<Incident, 'labels'>): string {
  if (!runbook.drill) return 'none';
  return runbook.drill.serving && !runbook.drill.dryRun && drill?.labels.drill_dry_run !== 'true'
    ? `${runbook.drill.serving.adapter} (drill target)`
    : 'dry run (plan only, nothing changes)';
}

/** Deadline kind of the stand-in that scores a drill its scorer did not (drill-scoring.ts); payload `{incidentId}`. */
export const DRILL_SCORE = 'drill-score';

/** How long whoever ends a drill has to score it, well beyond the moments it takes. */
const SCORING_GRACE_MS = 60_000;
const scoringStandIn = standIn(DRILL_SCORE, 'drill-score');

/** Has the stand-in of the drill's scoring come at `dueAt`. Scheduling it again moves it. */
export function scheduleScoring(
  deps: Pick<EngineDeps, 'store'>,
  drillId: string,
  dueAt: number,
): Promise<void> {
  return scoringStandIn.schedule(deps, drillId, {}, dueAt);
}

/**
 * Guards a step that a drill's scoring depends on (its rollback being stored, the drill being ended): scheduled
 * before it, the stand-in scores the drill a minute on should this process die at any point after.
 */
export function guardScoring(deps: Pick<EngineDeps, 'store' | 'clock'>, drillId: string): Promise<void> {
  return scheduleScoring(deps, drillId, deps.clock.now() + SCORING_GRACE_MS);
}

/**
 * Ends a drill when its rollback ended (or it cannot go on), and scores it: each stage against its target,
 * pass/fail, what went wrong. A passed drill is closed at once; a failed one stays resolved, waiting for its
 * retrospective. Undefined when there is nothing to finish: not a drill, or ended already — also by another
 * replica in the middle of this call. `onlyWhile`: ends it only while the drill is so (read again where the ending
 * is written), for an ending that a person's decision landing meanwhile must win over.
 */
export async function finishDrill(
  deps: EngineDeps,
  incidentId: string,
  how: { succeeded: boolean; problem?: string },
  options: { onlyWhile?: (current: Incident) => boolean } = {},
): Promise<DrillResult | undefined> {
  const current = await deps.store.getIncident(incidentId);
  const runbook = current && deps.runbooks.get(current.model);
  if (!current?.drill || !runbook || current.drillEnding) return undefined;
  if (current.phase === 'resolved' || current.phase === 'closed') return undefined;
  if (options.onlyWhile && !options.onlyWhile(current)) return undefined;
  await guardScoring(deps, incidentId);
  const ended =
    current.phase === 'dismissed'
      ? await endDismissed(deps, incidentId, how)
      : await resolveIfOpen(deps, incidentId, {
          by: 'rollbot',
          reason: how.succeeded ? 'drill rollback done' : 'drill ended with a failure',
          drill: how,
          ...(options.onlyWhile ? { onlyWhile: options.onlyWhile } : {}),
        });
  // Another path (a replica handling the same alert, the drill's own rollback) ended the drill since the read
  // above and scores it: not an error, or the real alert that interrupted the drill would be refused.
  if (!ended) return undefined;
  return scoreDrill(deps, ended);
}

/**
 * A drill dismissed as "not a rollback" without its ending (dismissed before dismissals ended drills, see
 * endedByPerson) has ended already: its ending is only noted, once.
 */
async function endDismissed(
  deps: EngineDeps,
  drillId: string,
  how: { succeeded: boolean; problem?: string },
): Promise<Incident | undefined> {
  const at = deps.clock.now();
  const { incident, changed } = await mutateIncident(deps.store, drillId, (latest) =>
    latest.phase === 'dismissed' && !latest.drillEnding
      ? { ...latest, drillEnding: { ...how, at } }
      : undefined,
  );
  return changed ? incident : undefined;
}

/**
 * How a drill a person ends is scored (rollbot ends its own with finishDrill). Dismissed as "not a rollback", or
 * resolved before its rollback succeeded, it failed: the rollback path was not rehearsed to the end, and what
 * went wrong says who ended it and why. Resolved once its rollback succeeded, it is scored on what it reached,
 * as rollbot would have scored it: succeeded, each stage against its target. Such a drill is open only for the
 * moments between its rollback's success and rollbot ending it (rollback.ts, announceDrillLanded), or, should
 * rollbot stop there, until the scoring's stand-in ends it: the person who resolves it first takes the
 * stand-in's place, and that stop goes unscored.
 */
export function endedByPerson(
  drill: Incident,
  how: { as: 'dismissed' | 'resolved'; by: string; reason: string },
): Omit<DrillEnding, 'at'> {
  if (how.as === 'dismissed')
    return { succeeded: false, problem: `dismissed as not a rollback by ${how.by}: ${how.reason}` };
  if (drill.rollback?.status === 'succeeded') return { succeeded: true };
  return { succeeded: false, problem: `resolved by ${how.by} before its rollback was done: ${how.reason}` };
}

/**
 * Scores a drill that has ended (see `drillEnding`), unless it was scored: by whoever ended it, or by the
 * scoring's stand-in should that one have died first. Each part is done once: the result kept in the model's
 * history, the drill closed (passed) or its retrospective opened (failed), and the scorecard posted, its timeline
 * entry, written last, being the mark that the drill was scored (see sendOnce). Undefined for a drill not ended.
 * A scoring that fails part way (the store, say) is logged and left to the stand-in, a minute on, which does
 * what is left: scoring never fails what ended the drill — a real alert's intake, a person's dismissal.
 */
export async function scoreDrill(deps: EngineDeps, drill: Incident): Promise<DrillResult | undefined> {
  const runbook = deps.runbooks.get(drill.model);
  const ending = drill.drillEnding;
  if (!runbook || !ending) return undefined;
  const result = resultOf(runbook, drill, ending);
  let scored: Awaited<ReturnType<typeof sendOnce>>;
  try {
    scored = await sendOnce(deps, drill.id, {
      lock: `drill-score:${drill.id}`,
      markTypes: ['drill.scorecard'],
      send: () => publish(deps, runbook, drill, result),
      lookAgainAt: (at) => scheduleScoring(deps, drill.id, at),
    });
  } catch (error) {
    deps.logger.error(
      { err: error, incident: drill.id },
      `cannot score the drill now; its stand-in tries again within ${formatDuration(SCORING_GRACE_MS)}`,
    );
    await guardScoring(deps, drill.id);
    return result;
  }
  if (scored !== 'busy') {
    await scoringStandIn.cancel(deps, drill.id);
    await cancelUndecidedEnd(deps, drill.id);
  }
  return result;
}

/** The drill's result: a function of the ended drill alone, so that a second scorer comes to the same one. */
function resultOf(runbook: Runbook, drill: Incident, ending: DrillEnding): DrillResult {
  const views = viewStages(drill, ending.at).filter((stage) => stage.stage !== 'retro');
  const skipped = views.flatMap((stage) =>
    stage.skipped === undefined ? [] : [{ stage: stage.stage, why: stage.skipped }],
  );
  const stages = views
    .filter((stage) => stage.state !== 'pending' && stage.skipped === undefined)
    .map((stage) => {
      const result = stageResult(stage);
      return {
        stage: stage.stage,
        elapsedMs: stage.elapsedMs,
        targetMs: stage.targetMs,
        met: result === 'met',
        ...(result === 'ended-by-resolution' ? { cutShort: true as const } : {}),
      };
    });
  // A stage cut short missed no target: why the drill ended (its problem) says what stopped it.
  const problems = [
    ...(ending.problem ? [ending.problem] : []),
    ...stages
      .filter((s) => !s.met && !s.cutShort)
      .map((s) => `${s.stage} took ${formatDuration(s.elapsedMs)} against ${formatDuration(s.targetMs)}`),
  ];
  const target = drillTarget(runbook, drill);
  const rehearsal = drillTarget(runbook);
  return {
    model: runbook.model,
    incidentId: drill.id,
    at: ending.at,
    outcome: ending.succeeded && problems.length === 0 ? 'passed' : 'failed',
    target,
    stages,
    ...(skipped.length ? { skipped } : {}),
    problems,
    ...(target === rehearsal ? {} : { dryRunOf: rehearsal }),
  };
}

/** Keeps, closes or opens the retrospective, and posts; then records the scorecard, the mark that it is done. */
async function publish(
  deps: EngineDeps,
  runbook: Runbook,
  drill: Incident,
  result: DrillResult,
): Promise<void> {
  const kept = await drillHistory(deps, result.model);
  if (!kept.some((earlier) => earlier.incidentId === result.incidentId)) await saveResult(deps, result);
  if (result.outcome === 'passed') {
    await mutateIncident(deps.store, drill.id, (latest) =>
      latest.phase === 'resolved' ? closeRetro(latest, result.at) : undefined,
    );
  } else {
    // Not "safely": should it fail, the scorecard (the mark) is not written and the scoring is done again.
    await openRetrospective(deps, drill.id);
    await retroOpened(deps, drill.id);
  }
  deps.metrics.drillFinished(runbook.model, result.outcome);
  const text = scorecard(result);
  await deps.notifier.notify({ type: 'incident.updated', incident: drill, channel: runbook.channel, text });
  await record(deps, drill, { type: 'drill.scorecard', text, data: { outcome: result.outcome } });
}

/** "DRILL PASSED for fraud-scorer: detect skipped (a drill starts at detection), triage 2m/10m ✓, rollback 30s/5m ✓ …" */
export function scorecard(result: DrillResult): string {
  const lines = [
    ...(result.skipped ?? []).map((s) => `${s.stage} skipped (${s.why})`),
    ...result.stages.map(
      (s) =>
        `${s.stage} ${formatDuration(s.elapsedMs)}/${formatDuration(s.targetMs)} ${s.cutShort ? 'not completed' : s.met ? '✓' : '✗'}`,
    ),
  ];
  const what = result.problems.length ? `; what went wrong: ${result.problems.join('; ')}` : '';
  const dry = result.dryRunOf
    ? `; a dry run: not the rehearsal of the drill target ${result.dryRunOf}, which the deployment gate waits for`
    : '';
  return `DRILL ${result.outcome.toUpperCase()} for ${result.model} (${result.incidentId}, ${result.target}): ${lines.join(', ')}${what}${dry}`;
}

async function saveResult(deps: EngineDeps, result: DrillResult): Promise<void> {
  const history = await drillHistory(deps, result.model);
  await deps.store.setValue(historyKey(result.model), JSON.stringify([result, ...history].slice(0, HISTORY)));
  // A plan only of a runbook with a drill target rehearsed nothing the gate asks for: it stays closed for want of one.
  if (result.outcome === 'passed' && !result.dryRunOf)
    await deps.store.setValue(lastKey(result.model), String(result.at));
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
