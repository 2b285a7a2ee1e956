import type { TriageRecord } from '../core/evaluation.js';
import { errorText, isRollbotError } from '../core/errors.js';
import type { Incident } from '../core/incident.js';
import { actsAlone, type DecisionBasis, type TakenDecision } from '../core/triage-basis.js';
import type { Runbook } from '../runbooks/schema.js';
import { StillOnItsWay } from './arrival.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { requestTriageDecision } from './decision-request.js';
import type { TimelineEntry } from './ports.js';
import { rollback } from './rollback.js';
import { sendOnce } from './send-once.js';
import { standIn } from './stand-in.js';

/**
 * Deadline kind that makes a triage's decision by policy when the triage that took it died before making it
 * (or took over a minute); payload `{incidentId, triageAt}`.
 */
export const TRIAGE_DECISION = 'triage-decision';

/**
 * How long the triage that took a decision has to make it itself: asking takes moments. An automatic rollback
 * holds the decision's lock while it starts; a stand-in that finds the lock held looks again once it lapses.
 */
const DECISION_GRACE_MS = 60_000;

/**
 * One stand-in per triage run: a run that takes no decision drops its own, never the one of a run that took
 * one and died.
 */
const standInOf = (triageAt: number) =>
  standIn<{ triageAt: number }>(TRIAGE_DECISION, `decision:${triageAt}`);

/**
 * Makes the decision that the triage measured at `triageAt` may take durable: scheduled before the write that
 * stores the decision, so that a crash at any point after cannot leave it stored and not made. Whatever comes
 * due for a triage that took no decision does nothing.
 */
export function scheduleDecision(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  incidentId: string,
  triageAt: number,
): Promise<void> {
  return scheduleStandIn(deps, incidentId, triageAt, deps.clock.now() + DECISION_GRACE_MS);
}

/** The triage measured at `triageAt` took no decision (the same basis as the one standing; a person decided). */
export function dropDecision(deps: Pick<EngineDeps, 'store'>, incidentId: string, triageAt: number) {
  return standInOf(triageAt).cancel(deps, incidentId);
}

/**
 * Makes the decision this process's triage has just stored; then its stand-in is not needed. Were this triage so
 * slow that the stand-in is making the decision already, the stand-in stays and finishes it. So it does when
 * the request for a person is still on its way to Slack: the triage is done, and the stand-in, due within the
 * minute, records the request once it arrives (or asks again, should this replica die with it queued).
 */
export async function decide(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  triage: TriageRecord,
  decision: TakenDecision,
): Promise<void> {
  try {
    if ((await decideOnce(deps, runbook, incident, triage, decision)) === 'busy') return;
  } catch (error) {
    if (!(error instanceof StillOnItsWay)) throw error;
    deps.logger.warn({ incident: incident.id, triageAt: decision.triageAt }, error.message);
    return;
  }
  await dropDecision(deps, incident.id, decision.triageAt);
}

/**
 * Handles a decision's stand-in: makes the decision the triage measured at `triageAt` stored, unless it was made,
 * a later triage took another, or the incident has left triage (decided by policy or by a person, or over).
 */
export async function finishDecision(deps: EngineDeps, incidentId: string, triageAt: number): Promise<void> {
  const incident = await deps.store.getIncident(incidentId);
  const runbook = incident && runbookOf(deps, incident);
  if (!incident?.triage || !runbook || incident.phase !== 'triage') return;
  const decision = incident.decidedOn;
  if (decision?.triageAt !== triageAt) return;
  // The latest triage may be a later run's, on the same basis: one on another would have taken a decision of its own.
  await decideOnce(deps, runbook, incident, incident.triage, { ...decision, triageAt });
}

/** Has the stand-in of the triage measured at `triageAt` come at `dueAt`. */
function scheduleStandIn(
  deps: Pick<EngineDeps, 'store'>,
  incidentId: string,
  triageAt: number,
  dueAt: number,
) {
  return standInOf(triageAt).schedule(deps, incidentId, { triageAt }, dueAt);
}

/**
 * Makes the decision unless it was made (see sendOnce): at least once, and once unless its maker dies between
 * asking and recording that it asked. A decision that asks a person is marked by the 'decision.requested' entry
 * naming its triage (written once the request has reached Slack: decision-request.ts); one that rolled back, by
 * the incident having left triage, which a stand-in checks first. Taking the incident out of triage is one
 * compare-and-set, under the model's rollback lock: of two automatic rollbacks, the second is refused before
 * anything changes (core/rollback.ts).
 */
function decideOnce(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  triage: TriageRecord,
  decision: TakenDecision,
) {
  return sendOnce(deps, incident.id, {
    lock: `decision:${incident.id}`,
    markTypes: ['decision.requested'],
    isMark: (entry) => isRequestOf(entry, decision.triageAt),
    send: () => decideByPolicy(deps, runbook, incident, triage, decision),
    lookAgainAt: (at) => scheduleStandIn(deps, incident.id, decision.triageAt, at),
  });
}

function isRequestOf(entry: TimelineEntry, triageAt: number): boolean {
  return entry.type === 'decision.requested' && entry.data?.triageAt === triageAt;
}

async function decideByPolicy(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  triage: TriageRecord,
  decision: TakenDecision,
): Promise<void> {
  const { ground, replaced, triageAt } = decision;
  if (actsAlone(decision)) {
    // The same finding as the decision people were asked for: their buttons are not needed any more.
    if (replaced?.finding === decision.finding) await supersedeRequest(deps, runbook, incident, replaced);
    try {
      await rollback(deps, {
        model: runbook.model,
        reason: `auto: ${triage.summary}`,
        by: 'rollbot',
        trigger: 'auto',
      });
    } catch (error) {
      const why = isRollbotError(error) ? errorText(error) : String(error);
      // A person decided while triage ran (a rollback under way or done, "not a rollback"): that stands.
      const latest = await deps.store.getIncident(incident.id);
      if (latest && latest.phase !== 'triage') {
        await record(deps, latest, {
          type: 'rollback.skipped',
          text: `automatic rollback not started: ${why}`,
        });
        return;
      }
      // Refused before anything changed (no known-good version, a rollback already running): a person decides.
      await requestTriageDecision(deps, runbook, incident, `automatic rollback refused: ${why}`, triageAt);
    }
    return;
  }
  await requestTriageDecision(deps, runbook, incident, askText(runbook, triage, ground), triageAt);
}

/** What a person asked to decide is told: the finding, and why the policy leaves it to them. */
function askText(runbook: Runbook, triage: TriageRecord, ground: DecisionBasis['ground']): string {
  const { policy, onNoData } = runbook.rollback;
  const breached = triage.finding === 'breach' ? `threshold breached — ${triage.summary}` : triage.summary;
  if (ground === 'partial')
    return `${breached}. Policy auto does not roll back on partial answers alone: a person decides`;
  if (triage.finding !== 'breach') return triage.summary;
  // Policy auto asks about a breach only when every failing check failed on missing data (core/partial.ts).
  if (policy === 'auto') return `${breached}. ${AUTO_ON_NO_DATA[onNoData]}: a person decides`;
  const who = policy === 'two-person' ? 'a requester and a different approver' : 'one approver';
  return `${breached}. Policy ${policy}: ${who} must decide`;
}

/**
 * Why policy auto asks about a breach it has no ground for: every failing check failed on missing data
 * (`noData: fail`), and either the runbook does not roll back on no data, or a query failed or a value sat in
 * a grey band beside it (core/partial.ts).
 */
const AUTO_ON_NO_DATA = {
  ask: 'Policy auto does not roll back on a breach that only missing data shows (noData: fail) without rollback.onNoData: rollback',
  rollback:
    'Policy auto does not roll back on a breach that only missing data shows (noData: fail) while a query failed or another check is unclear',
} as const;

/** Says in the thread that policy auto acts on what a person was asked to decide, and why it may now. */
async function supersedeRequest(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  replaced: DecisionBasis,
): Promise<void> {
  const why =
    replaced.ground === 'partial'
      ? 'Prometheus answers are complete now: policy auto rolls back'
      : 'policy auto rolls back now';
  const text = `${why}; the decision asked for earlier is no longer needed`;
  await record(deps, incident, { type: 'decision.superseded', text });
  await deps.notifier.notify({ type: 'incident.updated', incident, channel: runbook.channel, text });
}
