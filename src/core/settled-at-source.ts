/**
 * An incident that healed itself: every alert it holds resolved at its source and triage found every check
 * passing. Its missed triage target is still a decision for a person ("not a rollback", or resolve), but not one
 * worth waking the on-call for at 2am — paging tools stop paging once the alert resolves. The one rule that the
 * pager (paging/policy.ts) and the escalation's words (engine/escalation.ts) both follow, so that they never
 * disagree.
 */
import type { Incident } from './incident.js';
import { isPartial } from './partial.js';
import type { Stage } from './stages.js';

/**
 * True when every alert the incident holds was resolved at the source (none dropped past MAX_ALERT_REFS, whose
 * resolution is unknown) and its latest triage found every check passing (`ok`) on complete answers: a pass on
 * an answer Prometheus flagged as partial may hide the failing series (core/partial.ts). False before triage.
 */
export function settledAtSource(incident: Pick<Incident, 'alerts' | 'droppedAlerts' | 'triage'>): boolean {
  const { alerts, droppedAlerts, triage } = incident;
  if (droppedAlerts > 0 || alerts.length === 0) return false;
  if (alerts.some((ref) => ref.resolvedAt === undefined)) return false;
  if (triage?.finding !== 'ok' || triage.checks.length === 0) return false;
  return triage.checks.every((check) => check.verdict === 'PASS' && !isPartial(check));
}

/**
 * Whether an escalation of `stage` (`about` what, when not its missed target) goes to Slack only, paging nobody:
 * the missed triage target of an incident settled at the source. Every other escalation pages as it did.
 */
export function escalationStaysQuiet(
  incident: Pick<Incident, 'alerts' | 'droppedAlerts' | 'triage'>,
  stage: Stage,
  about?: string,
): boolean {
  return stage === 'triage' && about === undefined && settledAtSource(incident);
}
