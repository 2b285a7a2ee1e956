import { BUSINESS_HOURS_PAGE, pageAtBusinessHours } from './business-hours-page.js';
import { pollConfirmation } from './confirm.js';
import { CONFIRM_POLL } from './confirm-poll.js';
import type { EngineDeps } from './context.js';
import { logRecovered, retryFailedDeadline, type Claim } from './deadline-failure.js';
import { DIGEST_SEND, sendDigest } from './digest.js';
import { DRILL_SCORE } from './drill.js';
import { finishDrillOpening } from './drill-opening.js';
import { DRILL_REMIND, DRILL_RUN, remindDrill, runScheduledDrill } from './drill-schedule.js';
import { finishDrillScoring } from './drill-scoring.js';
import { DRILL_UNDECIDED } from './drill-decision-wait.js';
import { endUndecidedDrill } from './drill-undecided.js';
import { FREEZE_END, announceFreezeEnd } from './freeze.js';
import {
  REQUEST_POST,
  REQUEST_REMIND,
  postUnlessPosted,
  remindUnlessDecided,
} from './rollback-request-post.js';
import { STAGE_TARGET, escalateIfBreached, isTargetedStage } from './escalation.js';
import { finishAlertOpening } from './intake-announce.js';
import { INCIDENT_OPENING, openingOf, type Opening } from './opening.js';
import type { Deadline } from './ports.js';
import {
  ROLLBACK_RECOVER,
  ROLLBACK_SETTLE,
  finishSettlement,
  recoverInterruptedRollback,
  recoverOrCheckLater,
} from './recovery.js';
import { ROLLBACK_FAILED, escalateFailedRollback } from './rollback-failure.js';
import { finishManualOpening } from './rollback-incident.js';
import { ROLLBACK_SUCCESS, followSuccess } from './rollback-success.js';
import { RETRO_OPEN, RETRO_REMINDER, handleRetroReminder } from './retro.js';
import { followResolution } from './resolution-follow.js';
import { runTriage } from './triage.js';
import { TRIAGE_DECISION, finishDecision } from './triage-decision.js';
import { TRIAGE_RUN } from './triage-run.js';
import { WATCH_CHECK, checkWatch } from './watch.js';

/** How long a claimed deadline stays hidden from other replicas while this one handles it. */
export const DEADLINE_LEASE_MS = 60_000;
const BATCH = 50;

export type DeadlineHandler = (deps: EngineDeps, deadline: Deadline) => Promise<void>;

const incidentOf = (deadline: Deadline): string => String(deadline.payload.incidentId);

/** What the stand-in of each kind of opening does when its opener did not finish it (opening.ts). */
const OPENING_STAND_INS: Record<Opening, (deps: EngineDeps, incidentId: string) => Promise<void>> = {
  alert: finishAlertOpening,
  drill: finishDrillOpening,
  manual: finishManualOpening,
};

/** What to do when each kind of deadline comes due. Every handler is safe to run twice. */
export const DEADLINE_HANDLERS: Record<string, DeadlineHandler> = {
  [STAGE_TARGET]: async (deps, deadline) => {
    const stage = deadline.payload.stage;
    // Left by an older build (a retrospective's target): acted on, it would page for what reminders chase.
    if (!isTargetedStage(stage)) {
      deps.logger.warn(
        { deadline },
        'no build schedules a target deadline for this stage any more; dropping it',
      );
      return;
    }
    // A rollback still "executing" when its target comes due may belong to a bot that died: settle it first.
    if (stage === 'rollback') await recoverOrCheckLater(deps, incidentOf(deadline));
    await escalateIfBreached(deps, incidentOf(deadline), stage);
  },
  [INCIDENT_OPENING]: async (deps, deadline) => {
    await OPENING_STAND_INS[openingOf(deadline)](deps, incidentOf(deadline));
  },
  [TRIAGE_RUN]: async (deps, deadline) => {
    await runTriage(deps, incidentOf(deadline));
  },
  [TRIAGE_DECISION]: async (deps, deadline) => {
    await finishDecision(deps, incidentOf(deadline), Number(deadline.payload.triageAt));
  },
  [CONFIRM_POLL]: async (deps, deadline) => {
    await pollConfirmation(deps, incidentOf(deadline));
  },
  [DRILL_RUN]: runScheduledDrill,
  [DRILL_SCORE]: async (deps, deadline) => {
    await finishDrillScoring(deps, incidentOf(deadline));
  },
  [DRILL_UNDECIDED]: async (deps, deadline) => {
    await endUndecidedDrill(deps, incidentOf(deadline));
  },
  [RETRO_OPEN]: async (deps, deadline) => {
    await followResolution(deps, incidentOf(deadline));
  },
  [RETRO_REMINDER]: async (deps, deadline) => {
    await handleRetroReminder(deps, { incidentId: incidentOf(deadline), key: String(deadline.payload.key) });
  },
  [DRILL_REMIND]: remindDrill,
  [ROLLBACK_RECOVER]: async (deps, deadline) => {
    await recoverOrCheckLater(deps, incidentOf(deadline));
  },
  [ROLLBACK_SETTLE]: async (deps, deadline) => {
    await finishSettlement(deps, incidentOf(deadline), Number(deadline.payload.attempt));
  },
  [ROLLBACK_FAILED]: async (deps, deadline) => {
    // Still "executing" with nobody at it: its replica died before writing the failure; settled as unknown instead.
    await recoverInterruptedRollback(deps, incidentOf(deadline));
    await escalateFailedRollback(deps, incidentOf(deadline), Number(deadline.payload.attempt));
  },
  [ROLLBACK_SUCCESS]: async (deps, deadline) => {
    await followSuccess(deps, incidentOf(deadline), Number(deadline.payload.attempt));
  },
  [WATCH_CHECK]: checkWatch,
  [FREEZE_END]: announceFreezeEnd,
  [REQUEST_POST]: postUnlessPosted,
  [REQUEST_REMIND]: remindUnlessDecided,
  [DIGEST_SEND]: async (deps, deadline) => {
    await sendDigest(deps, deadline);
  },
  [BUSINESS_HOURS_PAGE]: pageAtBusinessHours,
};

/**
 * How long past its due time a deadline of a kind this build has no handler for is kept for a replica that has
 * one. During a rolling upgrade an older replica claims the kinds a newer build added (a stand-in it schedules
 * when a replica dies): dropped, the work they guard would be lost. A day covers any upgrade; past it, the kind
 * is one no build handles any more (removed), and it is dropped rather than claimed again every lease for good.
 */
const UNKNOWN_KIND_KEPT_MS = 24 * 3_600_000;

/**
 * Runs one deadline handed out under `claim` and completes it. One whose handler fails is tried again later, the
 * later the more often it has failed in a row (deadline-failure.ts); one of a kind this build does not know stays
 * claimed and comes back after the lease, for a while (UNKNOWN_KIND_KEPT_MS). True when it was handled.
 */
async function handle(
  deps: EngineDeps,
  deadline: Deadline,
  handlers: Record<string, DeadlineHandler>,
  claim: Claim,
): Promise<boolean> {
  const handler = handlers[deadline.kind];
  // Its failure count is the poller's: a handler that schedules its next run from it starts a fresh one.
  const { failures: _failures, ...handed } = deadline;
  try {
    if (handler) await handler(deps, handed);
    else if (deps.clock.now() - deadline.dueAt < UNKNOWN_KIND_KEPT_MS) {
      deps.logger.warn({ deadline }, 'no handler for this kind of deadline; leaving it for a newer replica');
      return false;
    } else deps.logger.error({ deadline }, 'no handler for this kind of deadline for a day; dropping it');
    await deps.store.complete(deadline, claim.until);
    logRecovered(deps, deadline);
    return true;
  } catch (error) {
    await retryFailedDeadline(deps, deadline, claim, error);
    return false;
  }
}

/**
 * One pass over the due deadlines: claim them (atomically, so each goes to one replica) and handle them all,
 * concurrently. Resolves when every handler has finished, with how many succeeded.
 */
export async function pollDeadlines(deps: EngineDeps, handlers = DEADLINE_HANDLERS): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.store.claimDue(now, DEADLINE_LEASE_MS, BATCH);
  const claim = { at: now, until: now + DEADLINE_LEASE_MS };
  const results = await Promise.all(due.map((deadline) => handle(deps, deadline, handlers, claim)));
  return results.filter(Boolean).length;
}

/**
 * Claims due deadlines every `intervalMs` and runs their handlers in the background, so that a long one (an
 * automatic rollback takes minutes) never holds up another model's escalation. A deadline already running
 * here is not started twice. `stop()` stops claiming and waits for the handlers in flight, those of a claim still
 * on its way to the store included.
 */
export function startDeadlinePoller(deps: EngineDeps, intervalMs = 1_000): { stop(): Promise<void> } {
  const running = new Map<string, Promise<boolean>>();
  /** The tick under way: its claim hands out deadlines that stop() must wait for, not leave to start after it. */
  let ticking: Promise<void> | undefined;
  const tick = async () => {
    const now = deps.clock.now();
    const due = await deps.store.claimDue(now, DEADLINE_LEASE_MS, BATCH);
    for (const deadline of due) {
      // Claimed again while it runs here (scheduled again, or its lease passed): the run in flight leaves it
      // for after this claim's lease, when it is handled again, rather than completing it away.
      if (running.has(deadline.id)) continue;
      running.set(
        deadline.id,
        handle(deps, deadline, DEADLINE_HANDLERS, { at: now, until: now + DEADLINE_LEASE_MS }).finally(() =>
          running.delete(deadline.id),
        ),
      );
    }
  };
  const timer = setInterval(() => {
    if (ticking) return;
    ticking = tick()
      .catch((error: unknown) =>
        deps.logger.error({ err: error }, 'deadline poll failed (store unreachable?)'),
      )
      .finally(() => (ticking = undefined));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await ticking;
      await Promise.all(running.values());
    },
  };
}
