/**
 * What settling an interrupted rollback does with what the serving layer shows (recovery.ts decides when):
 * count the outcome once, re-read the layer, follow a rollback that took effect, record and escalate one the layer
 * says failed, or escalate an unknown outcome.
 */
import { ServingError } from '../core/errors.js';
import type { Incident } from '../core/incident.js';
import { finishRollback, isLatestAttempt, type RollbackRecord } from '../core/rollback.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, type EngineDeps } from './context.js';
import { finishDrill } from './drill.js';
import { escalateAndRecord } from './escalation-record.js';
import { mutateIncident } from './mutate.js';
import {
  escalateFailureOrLeaveToStandIn,
  failureRecord,
  guardFailureEscalation,
} from './rollback-failure.js';
import { couldNotCheck } from './rollback-landing.js';
import { followSuccess, guardSuccess } from './rollback-success.js';
import { ChangeFailed } from './serving-port.js';
import type { RollbackServing } from './rollback-scope.js';

/**
 * What re-reading the serving layer says about an interrupted rollback: it landed, it failed (`failed`: the layer
 * says so, ChangeFailed), or why nobody can tell. `mayStillLand`: the layer was read (or failed to answer with an
 * error worth retrying) and does not show the target yet, which a change still landing explains: worth reading
 * again while the attempt's bound lasts.
 */
export type Finding =
  | { landed: true; said: string }
  | { landed: false; failed: ChangeFailed }
  | { landed: false; why: string; blind?: true; mayStillLand?: true };

/** How long the claim that an attempt's outcome was counted is kept: past any settlement's rounds. */
const COUNTED_CLAIM_MS = 7 * 24 * 3_600_000;

/**
 * Counts the attempt's outcome in rollbot_rollbacks_total once across rounds and replicas: a settlement comes
 * round again while its escalation is on its way (Slack down for minutes), re-reading the layer each time, and
 * counting each round would report one interrupted rollback as several. A later round that finds it landed
 * after all still counts that, once.
 */
export async function countOnce(
  deps: EngineDeps,
  incident: Incident,
  rollback: RollbackRecord,
  outcome: 'succeeded' | 'failed' | 'unknown',
): Promise<void> {
  const key = `rollback-counted:${incident.id}:${rollback.attempt}:${outcome}`;
  if (!(await deps.store.claimOnce(key, COUNTED_CLAIM_MS))) return;
  deps.metrics.rollbackFinished(
    incident.model,
    outcome,
    rollback.trigger,
    incident.drill,
    (deps.clock.now() - rollback.startedAt) / 1000,
  );
}

/** Reads the layer the rollback acted on: the drill target for a drill, and nothing for a dry-run drill. */
export async function reread(
  deps: EngineDeps,
  incident: Incident,
  rollback: RollbackRecord,
  where: RollbackServing | undefined,
): Promise<Finding> {
  const { plan, target } = rollback;
  if (!where)
    return { landed: false, why: `${deps.runbooks.fileOf(incident.model)} has no drill block any more` };
  if (!where.executes) return { landed: true, said: 'a dry run executes nothing, so nothing changed' };
  try {
    const adapter = deps.serving(where.serving, { model: incident.model });
    // A fresh adapter without a status check would say "not on target" whatever happened.
    if (adapter.readsState === false)
      return {
        landed: false,
        why: `${target} has no status check, so rollbot cannot tell whether the rollback landed`,
        blind: true,
      };
    if (await adapter.onTarget(plan))
      return {
        landed: true,
        said: `${target} shows traffic on ${plan.to}, so the interrupted rollback took effect`,
      };
    return { landed: false, why: `${target} does not show traffic on ${plan.to}`, mayStillLand: true };
  } catch (error) {
    // The layer's own word that the change failed is the outcome; any other error only says it could not tell.
    if (error instanceof ChangeFailed) return { landed: false, failed: error };
    const why = couldNotCheck(target, error);
    // As the rollback's own wait does (withRetry): a transient error is read again, any other one is final.
    return error instanceof ServingError && error.transient
      ? { landed: false, why, mayStillLand: true }
      : { landed: false, why };
  }
}

/** The interrupted rollback took effect: confirm it as after any rollback, or score the drill. */
export async function tookEffect(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  said: string,
): Promise<void> {
  const at = deps.clock.now();
  const attempt = incident.rollback?.attempt ?? 1;
  // As after any real rollback's success: what follows it must not die with this process (rollback-success.ts).
  if (!incident.drill) await guardSuccess(deps, incident.id, attempt);
  // Only the attempt re-read: one a person started since (a retry) is not this one's to call a success.
  const { incident: done, changed } = await mutateIncident(deps.store, incident.id, (latest) =>
    isLatestAttempt(latest, attempt) && latest.rollback.status === 'unknown'
      ? finishRollback(latest, 'succeeded', at)
      : undefined,
  );
  if (!changed) return;
  // Here, once: only the replica whose write ended the attempt (the compare-and-set above) observes it, as the
  // rollback's own path does when it lands in process; its duration is the incident's record of the stage, from the
  // decision to the re-read that found traffic on the target, the time the bot was down included.
  const { startedAt, endedAt } = done.stages.rollback;
  if (startedAt !== undefined && endedAt !== undefined)
    deps.metrics.stageCompleted('rollback', done.drill, (endedAt - startedAt) / 1000);
  if (!incident.drill) {
    await followSuccess(deps, incident.id, attempt, said);
    return;
  }
  // A drill's versions are its drill target's: the production ledger (followSuccess marks it) never learns them.
  const text = `${said}; scoring the drill`;
  await record(deps, done, { type: 'rollback.succeeded', text });
  await deps.notifier.notify({ type: 'incident.updated', incident: done, channel: runbook.channel, text });
  // The rollback landed, but a bot that stops mid-rollback is what a drill is there to find: it fails the drill.
  await finishDrill(deps, incident.id, {
    succeeded: true,
    problem: `rollbot stopped during the rollback: ${said}`,
  });
}

/**
 * The layer says the interrupted rollback's change failed: the attempt is recorded failed with the layer's error,
 * counted and escalated as a failure the rollback's own path sees (rollback.ts, rollback-failure.ts): the same
 * entry, outcome and escalation, not "outcome unknown". The failure is written with its entry in one step, and only
 * over the attempt left unknown (a compare-and-set: one replica, once); its escalation's stand-in is scheduled
 * first, so a replica that dies after the write still has it sent. A drill pages nobody: its scorecard says it.
 */
export async function failedAfterRestart(
  deps: EngineDeps,
  incident: Incident,
  rollback: RollbackRecord,
  error: ChangeFailed,
): Promise<void> {
  const { attempt } = rollback;
  const at = deps.clock.now();
  const { message, entry } = failureRecord(error, attempt);
  if (!incident.drill) await guardFailureEscalation(deps, incident.id, attempt);
  const { changed } = await mutateIncident(
    deps.store,
    incident.id,
    (latest) =>
      isLatestAttempt(latest, attempt) && latest.rollback.status === 'unknown'
        ? finishRollback(latest, 'failed', at, message)
        : undefined,
    { timeline: [{ incidentId: incident.id, at, actor: 'rollbot', ...entry }] },
  );
  if (!changed) return;
  await countOnce(deps, incident, rollback, 'failed');
  if (incident.drill) {
    await finishDrill(deps, incident.id, {
      succeeded: false,
      problem: `rollbot stopped during the rollback, which failed: ${message}`,
    });
    return;
  }
  await escalateFailureOrLeaveToStandIn(deps, incident.id, attempt);
}

/**
 * Production, outcome unknown: a person must look before anyone runs the rollback again. The one wording of it,
 * whoever found it unknown: a settlement after a restart, or the rollback's own wait that could not read the layer
 * after the change was made (`after`: "the change was made").
 */
export async function escalateUnknown(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  finding: { why: string; blind?: true; after?: string },
): Promise<void> {
  // After a restart (recovery.ts), or after the change was made, by the rollback's own wait (rollback-unknown.ts).
  const after = finding.after ?? 'a restart';
  const to = incident.rollback?.plan.to ?? 'the known-good version';
  const target = incident.rollback?.target ?? 'the serving layer';
  const text = finding.blind
    ? `rollback of ${incident.model} to ${to}: outcome unknown after a restart: ${finding.why}; check ${target} by hand before running it again (a rollback that toggles, like helm rollback, undoes one that landed). If it landed, resolve once the metrics are back (rollbot resolve ${incident.id} --reason …); to let rollbot check next time, add a status check to the serving block of the runbook (statusArgv for command, status for http).`
    : `rollback of ${incident.model} to ${to}: outcome unknown after ${after}; ${finding.why}. Check it, then run the rollback again (rollbot rollback ${incident.model} --reason …) or decide otherwise.`;
  // Delivered, then recorded: the entry is the mark that the settlement is done (settleOnce), so it is written
  // only once the escalation reached Slack and the pager (or they gave up on it), never while it only waits in
  // this replica's queue; one still on its way after arrivalWaitMs is recorded once it arrives (sendOnce), or
  // left to the settlement's stand-in, which sends it again if it was given up on or this replica died.
  await escalateAndRecord(
    deps,
    incident,
    {
      type: 'escalation',
      incident,
      channel: runbook.channel,
      stage: 'rollback',
      // Not the rollback stage's missed target, which a restart after its 5 minutes sends at the same moment.
      about: 'outcome-unknown',
      mention: runbook.escalation.mention,
      text,
    },
    `the outcome-unknown escalation of ${incident.id}`,
    {
      type: 'rollback.unknown',
      data: { attempt: incident.rollback?.attempt, escalated: true },
      // The text asks people to check by hand already: only what is left to do besides is added.
      text: (reach, { arrived, byHand }) =>
        arrived ? `${text}${byHand ? ` (but ${byHand})` : ''}` : `${text} (${reach})`,
    },
  );
}
