/**
 * The watch period after a deployment reaches 100 %: the version it replaced is the rollback target, and
 * rollbot checks now and then that the serving layer could still flip back to it. When the layer shows that
 * version torn down (the plan back to it became a redeploy, or is impossible), the channel is warned once:
 * a rollback now would be slow.
 */
import { isRollbotError, ServingError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import type { Deployment } from '../core/ledger.js';
import { oneLine } from '../core/text.js';
import { isFullDeployment, watchPeriod, type WatchPeriod } from '../core/watch.js';
import type { Runbook } from '../runbooks/schema.js';
import { deliverInTime } from './arrival.js';
import type { EngineDeps } from './context.js';
import type { Deadline } from './ports.js';
import { sendUnlessMarked } from './send-once.js';
import type { ServingState } from './serving-port.js';

export const WATCH_CHECK = 'watch-check';
/** How often the serving layer is read during a watch: often enough to warn before the next bad night. */
export const WATCH_CHECK_INTERVAL_MS = 15 * 60_000;

/** The model's watch period now, if any. */
export async function currentWatch(deps: EngineDeps, runbook: Runbook): Promise<WatchPeriod | undefined> {
  return watchPeriod(await deps.store.deployments(runbook.model), deps.clock.now(), runbook.watch);
}

/** A deployment that took all the traffic starts (or restarts) its model's watch checks. */
export async function startWatch(deps: EngineDeps, runbook: Runbook, deployment: Deployment): Promise<void> {
  if (!isFullDeployment(deployment)) return;
  await scheduleCheck(deps, runbook.model, deployment.version, deps.clock.now() + WATCH_CHECK_INTERVAL_MS);
}

async function scheduleCheck(deps: EngineDeps, model: string, version: string, dueAt: number): Promise<void> {
  await deps.store.schedule({ id: `watch:${model}`, kind: WATCH_CHECK, dueAt, payload: { model, version } });
}

/**
 * One check of a watch: ends quietly when the watch is over (time up, rolled back, newer deployment); warns
 * once when the rollback target is torn down; otherwise checks again later. Serving errors are logged and
 * checked again: a flaky read must not raise a false alarm.
 */
export async function checkWatch(deps: EngineDeps, deadline: Deadline): Promise<void> {
  const model = String(deadline.payload.model);
  const runbook = deps.runbooks.get(model);
  if (!runbook) return;
  const watch = await currentWatch(deps, runbook);
  if (!watch || watch.version !== String(deadline.payload.version) || !watch.previousVersion) return;
  const problem = await rollbackTargetProblem(deps, runbook, watch.previousVersion);
  if (problem === undefined || problem === 'unknown') {
    await scheduleCheck(deps, model, watch.version, nextCheck(deps, watch));
    return;
  }
  const text = tornDownWarning(runbook, watch, watch.previousVersion, problem, deps.clock.now());
  await warnOnce(deps, runbook, watch, text);
}

/**
 * Warns the channel once per watch, its mark written once the warning has reached Slack (deliverInTime), not
 * before it is sent: a replica that dies with it still queued leaves the check to come round on another, which
 * sends it. One Slack gave up on is sent again at the next check; one still on its way fails the check, which
 * comes round after its lease and finds it marked should it have arrived meanwhile (sendUnlessMarked).
 */
async function warnOnce(deps: EngineDeps, runbook: Runbook, watch: WatchPeriod, text: string): Promise<void> {
  const { model } = runbook;
  const warned = `watch-warned:${model}:${watch.version}:${watch.since}`;
  const markWarned = () => deps.store.setValue(warned, '1', runbook.watch);
  const checkAgainAt = (at: number) => scheduleCheck(deps, model, watch.version, at);
  await sendUnlessMarked(deps, {
    lock: warned,
    wasSent: async () => (await deps.store.getValue(warned)) !== undefined,
    send: async () => {
      deps.logger.warn({ model, version: watch.version, target: watch.previousVersion }, text);
      const event = { type: 'channel.message' as const, channel: runbook.channel, text, delivery: warned };
      const what = `the warning that ${model}'s rollback target is torn down`;
      if ((await deliverInTime(deps, event, what, markWarned)).arrived) await markWarned();
      else await checkAgainAt(nextCheck(deps, watch));
    },
    lookAgainAt: checkAgainAt,
  });
}

function nextCheck(deps: EngineDeps, watch: WatchPeriod): number {
  return Math.min(deps.clock.now() + WATCH_CHECK_INTERVAL_MS, watch.until);
}

/**
 * Why a rollback to `target` would no longer be a quick flip: the plan's reason, undefined when it still is,
 * or 'unknown' when the layer could not be read.
 */
async function rollbackTargetProblem(
  deps: EngineDeps,
  runbook: Runbook,
  target: string,
): Promise<string | undefined | 'unknown'> {
  const adapter = deps.serving(runbook.serving, { model: runbook.model });
  let state: ServingState;
  try {
    state = await adapter.state();
  } catch (error) {
    // Whatever stops the read (an outage, missing RBAC, a renamed object) says nothing about the target.
    return couldNotRead(deps, runbook, error);
  }
  try {
    const plan = await adapter.plan({
      to: target,
      state,
      ledger: await deps.store.deployments(runbook.model),
    });
    if (plan.regime === 'traffic-flip') return undefined;
    return `${adapter.target} would redeploy ${target} (ETA ${formatDuration(plan.etaMs)}): ${plan.actions.join('; ')}`;
  } catch (error) {
    // A refusal (the version is gone) is the finding; a layer that does not answer, or not to rollbot, is not.
    if (!isRefusal(error)) return couldNotRead(deps, runbook, error);
    return `${adapter.target} cannot go back to ${target}: ${error.message}`;
  }
}

/** The layer refused the plan back (the version is gone): not an outage, a retryable error or missing permissions. */
function isRefusal(error: unknown): error is Error {
  if (!isRollbotError(error) || error.code === 'UNAVAILABLE') return false;
  if (!(error instanceof ServingError)) return true;
  return !error.transient && error.status !== 401 && error.status !== 403;
}

function couldNotRead(deps: EngineDeps, runbook: Runbook, error: unknown): 'unknown' {
  deps.logger.warn({ model: runbook.model, err: error }, 'watch check could not read the serving layer');
  return 'unknown';
}

/**
 * The warning, one line of rollbot's: the versions (named by CI or the layer) and the problem (the layer's
 * plan or refusal) go through `oneLine`, as a plain channel message keeps line breaks that would show in Slack.
 */
function tornDownWarning(
  runbook: Runbook,
  watch: WatchPeriod,
  rollbackTarget: string,
  problem: string,
  now: number,
): string {
  const version = oneLine(watch.version);
  const target = oneLine(rollbackTarget);
  return (
    `⚠️ ${runbook.model} is in its watch period for ${formatDuration(watch.until - now)} more ` +
    `(${version} took all traffic), but its rollback target ${target} is torn down: ${oneLine(problem)}. ` +
    `A rollback now would be a slow redeploy, not a flip. Keep ${target} ready until ` +
    `${new Date(watch.until).toISOString()} (runbook watch: ${formatDuration(runbook.watch)}).`
  );
}
