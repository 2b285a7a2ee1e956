import { formatDuration } from '../core/duration.js';
import type { ConfirmationRecord } from '../core/evaluation.js';
import {
  confirmThreshold,
  confirmVerdict,
  describeBaselines,
  measuredAny,
  pollOutcome,
  type Verdict,
} from '../core/gates.js';
import { isLatestAttempt } from '../core/rollback.js';
import type { Runbook } from '../runbooks/schema.js';
import { escalateConfirmationOnce, pollLine } from './confirm-failure.js';
import { scheduleConfirmPoll } from './confirm-poll.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { measureOnce, thresholdOf } from './measure.js';
import { mutateIncident } from './mutate.js';
import { resolve } from './resolve.js';
import { takeBaselines } from './confirm-baselines.js';

/**
 * Starts confirmation once traffic is on the known-good version: takes each check's pre-deployment baseline
 * (its value when the rolled-back version first took traffic, from the ledger) and schedules the first poll after
 * `confirm.initialDelay`. Polls are durable deadlines, so confirmation continues after a restart. Its timeline
 * entry, naming the rollback `attempt` it confirms, is written last: the mark that it started (rollback-success.ts).
 * Nothing (no entry, no poll) for an attempt that is not the incident's latest (isLatestAttempt), checked again
 * once the baselines are taken: a later attempt's own start confirms that one, from its own baselines.
 */
export async function startConfirmation(
  deps: EngineDeps,
  incidentId: string,
  attempt: number,
): Promise<void> {
  const incident = await deps.store.getIncident(incidentId);
  const runbook = incident && runbookOf(deps, incident);
  if (!incident || !runbook || incident.phase !== 'confirm' || !isLatestAttempt(incident, attempt)) return;
  const unmeasurable = whyNotMeasurable(deps, runbook);
  if (unmeasurable) {
    await record(deps, incident, {
      type: 'confirm.manual',
      text: `${unmeasurable}: confirm by hand, then resolve (rollbot resolve ${incident.id} --reason …)`,
      data: { attempt },
    });
    return;
  }
  const { baselines, unknownWhy } = await takeBaselines(deps, runbook, incident);
  const now = deps.clock.now();
  const confirmation: ConfirmationRecord = { startedAt: now, baselines, outcomes: [] };
  const { changed } = await mutateIncident(deps.store, incidentId, (current) =>
    current.phase === 'confirm' && isLatestAttempt(current, attempt)
      ? { ...current, confirmation }
      : undefined,
  );
  // Superseded, or no longer confirming, while Prometheus answered: nothing of this start is left to do.
  if (!changed) return;
  const unitOf = new Map(runbook.confirm.checks.map((check) => [check.name, check.unit]));
  const known = describeBaselines(baselines, unitOf);
  await scheduleConfirmPoll(deps, incidentId, now + runbook.confirm.initialDelay);
  await record(deps, incident, {
    type: 'confirm.started',
    text: `confirming: ${runbook.confirm.consecutive} passes in a row every ${formatDuration(runbook.confirm.interval)}, within ${Math.round(runbook.confirm.tolerance * 100)}% of the pre-deployment baseline (${known.join(', ') || 'no checks'})${unknownWhy}`,
    data: { attempt },
  });
}

/**
 * Why rollbot cannot confirm this rollback itself, if it cannot. Without checks every poll would pass with
 * nothing measured and the incident would resolve as "confirmation passed": a false all-clear.
 */
function whyNotMeasurable(deps: EngineDeps, runbook: Runbook): string | undefined {
  if (!deps.metricsSource) return 'no metrics source (PROMETHEUS_URL is not set)';
  if (runbook.confirm.checks.length === 0)
    return `the runbook of ${runbook.model} has no checks to confirm with (triage.checks or confirm.checks)`;
  return undefined;
}

/**
 * One confirmation poll: measure every check against its confirmation threshold, add the combined outcome
 * (never a pass when no check measured anything: core/gates.ts `pollOutcome`), and act on the verdict — PASS
 * resolves the incident; FAIL, ERROR and INCONCLUSIVE escalate ("the rollback did not restore service") and
 * leave the incident open for a person (confirm-failure.ts: sent once it arrives, by this poll's deadline coming
 * round again should it not); no verdict yet schedules the next poll. A poll that finds the verdict given only
 * sees to its escalation.
 */
export async function pollConfirmation(deps: EngineDeps, incidentId: string): Promise<Verdict | undefined> {
  const incident = await deps.store.getIncident(incidentId);
  const runbook = incident && runbookOf(deps, incident);
  const progress = incident?.confirmation;
  if (!incident || !runbook || !progress || incident.phase !== 'confirm') return undefined;
  if (progress.verdict) {
    // This poll came round again: the escalation of its verdict had not arrived, or its replica died sending it.
    await escalateConfirmationOnce(deps, runbook, incident);
    return undefined;
  }
  const source = deps.metricsSource;
  if (!source) return undefined;
  const now = deps.clock.now();
  const { confirm } = runbook;
  // No query time: "now" by Prometheus' clock. By rollbot's, a host that runs fast would ask about Prometheus'
  // future, which holds at most the latest sample (up to 5 minutes old) and past that nothing: every poll no data.
  const checks = await Promise.all(
    confirm.checks.map((check) =>
      measureOnce(
        source,
        check,
        confirmThreshold(thresholdOf(check), progress.baselines[check.name] ?? undefined, confirm.tolerance),
      ),
    ),
  );
  const outcomes = [...progress.outcomes, pollOutcome(checks)];
  const rule = {
    consecutive: confirm.consecutive,
    failureLimit: confirm.failureLimit,
    errorLimit: confirm.errorLimit,
    maxDurationMs: incident.targets.confirm,
  };
  // Each confirmation attempt gets the whole confirm target, counted from its own start: after a further
  // rollback the stage clock (kept for metrics and the breach escalation) is long past it.
  const verdict = confirmVerdict(outcomes, rule, now - progress.startedAt);
  const { incident: polled, changed } = await mutateIncident(deps.store, incidentId, (current) =>
    current.confirmation && !current.confirmation.verdict
      ? {
          ...current,
          confirmation: {
            ...current.confirmation,
            outcomes,
            last: { at: now, checks },
            ...(verdict ? { verdict, endedAt: now } : {}),
          },
        }
      : undefined,
  );
  if (!changed) return undefined;
  const line = checks.map(pollLine).join(', ');
  const unmeasured = measuredAny(checks)
    ? ''
    : ': nothing measured (every check answered no data): not a pass';
  await record(deps, incident, {
    type: 'confirm.poll',
    text: `confirmation ${outcomes.length}: ${line}${unmeasured}`,
    data: { verdict: verdict ?? null },
  });
  if (verdict === 'PASS') {
    await resolve(deps, incidentId, {
      by: 'rollbot',
      reason: `confirmation passed ${confirm.consecutive} times in a row (${line})`,
    });
  } else if (verdict) {
    await escalateConfirmationOnce(deps, runbook, polled);
  } else {
    await scheduleConfirmPoll(deps, incidentId, now + confirm.interval);
  }
  return verdict;
}
