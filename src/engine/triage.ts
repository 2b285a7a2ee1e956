import {
  BRIEF_ERROR_CHARS,
  briefCheckError,
  NAMED_CHECKS,
  someChecks,
  someParts,
} from '../core/check-error.js';
import { shownValue, type CheckResult, type TriageFinding, type TriageRecord } from '../core/evaluation.js';
import { formatValue } from '../core/gates.js';
import type { Incident } from '../core/incident.js';
import { describeWarnings, isPartial } from '../core/partial.js';
import {
  decidesAgain,
  decisionBasis,
  decisionOn,
  type DecisionBasis,
  type TakenDecision,
} from '../core/triage-basis.js';
import type { Runbook } from '../runbooks/schema.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { measureTriageCheck } from './measure.js';
import { metricsNow } from './metrics-clock.js';
import { mutateIncident } from './mutate.js';
import type { Deadline } from './ports.js';
import { scheduleTriageAt, triageRunAt } from './triage-run.js';
import { decide, dropDecision, scheduleDecision } from './triage-decision.js';

/**
 * Asks the poller to triage an incident (durably: it happens even if this process dies first): now, or at the
 * end of the triage interval when it was triaged less than one ago, so that an alert storm re-measures once
 * per interval instead of waking the poller for every alert that joins.
 */
export async function scheduleTriage(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  incident: Pick<Incident, 'id' | 'triage'>,
  runbook: Pick<Runbook, 'triage'>,
): Promise<void> {
  await deps.store.schedule(nextTriageRun(incident, runbook, deps.clock.now()));
}

/** The triage run `scheduleTriage` schedules, for a write that schedules it itself (an alert joining). */
export function nextTriageRun(
  incident: Pick<Incident, 'id' | 'triage'>,
  runbook: Pick<Runbook, 'triage'>,
  now: number,
): Deadline {
  return triageRunAt(incident.id, triageDueAt(incident, runbook, now));
}

/** New alerts re-triage, but at most once per triage interval; the alerts in between fold into the next run. */
function triageDueAt(
  incident: Pick<Incident, 'triage'>,
  runbook: Pick<Runbook, 'triage'>,
  now: number,
): number {
  const previous = incident.triage;
  return previous ? Math.max(now, previous.at + runbook.triage.interval) : now;
}

/**
 * Triage (DESIGN §1): measure the model's checks, record what they show, and decide by the runbook's policy —
 * `auto` rolls back at once on a breach; `approve` and `two-person` ask for a decision; no breach or no data
 * leave the decision to a person (no data: unless `rollback.onNoData: rollback`), and so, always, does a
 * Prometheus that could not be asked, or a breach (or no data) that only answers Prometheus flagged as partial
 * show (core/partial.ts). A later run with the same finding leaves the decision asked for standing, unless
 * `auto` may now act on it alone (core/triage-basis.ts). The decision is stored with the triage and made after
 * it, at least once: a stand-in scheduled before the write makes it if this process dies first
 * (triage-decision.ts). Does nothing once the incident has left triage.
 */
export async function runTriage(deps: EngineDeps, incidentId: string): Promise<TriageRecord | undefined> {
  const before = await deps.store.getIncident(incidentId);
  const runbook = before && runbookOf(deps, before);
  if (!before || !runbook || before.phase !== 'triage') return undefined;
  // Scheduled before its time (by an older replica, say): put off to when it may run.
  const dueAt = triageDueAt(before, runbook, deps.clock.now());
  if (dueAt > deps.clock.now()) {
    await scheduleTriageAt(deps, incidentId, dueAt);
    return undefined;
  }
  const triage = await measureTriage(deps, runbook);
  const basis = decisionBasis(triage, runbook.rollback);
  // Before the write that may store a decision: a crash after it cannot leave the decision stored and not made.
  await scheduleDecision(deps, incidentId, triage.at);
  // Set by the write that stored this triage (a write that lost a race re-reads and sets it again).
  let decision: TakenDecision | undefined;
  const { incident, changed } = await mutateIncident(deps.store, incidentId, (current) => {
    decision = undefined;
    if (current.phase !== 'triage') return undefined;
    const standing = standingBasis(current, runbook);
    if (decidesAgain(standing, basis)) decision = decisionOn(basis, triage.at, standing);
    return { ...current, triage, ...(decision ? { decidedOn: decision } : {}) };
  });
  // The same basis again: the decision asked for last time (its buttons) still stands; don't ask twice.
  if (!decision) await dropDecision(deps, incidentId, triage.at);
  if (!changed) return undefined;
  await record(deps, incident, {
    type: 'triage.result',
    text: `triage: ${triage.summary}`,
    data: { finding: triage.finding },
  });
  await deps.notifier.notify({ type: 'triage.completed', incident, channel: runbook.channel, triage });
  if (decision) await decide(deps, runbook, incident, triage, decision);
  return triage;
}

/** What the decision standing on the incident rests on; for one stored before it was kept, its last triage's. */
function standingBasis(incident: Incident, runbook: Runbook): DecisionBasis | undefined {
  return incident.decidedOn ?? (incident.triage && decisionBasis(incident.triage, runbook.rollback));
}

async function measureTriage(deps: EngineDeps, runbook: Runbook): Promise<TriageRecord> {
  const at = deps.clock.now();
  const { checks: specs, interval, samples, failing, trend } = runbook.triage;
  if (!deps.metricsSource) {
    return {
      at,
      finding: 'unavailable',
      checks: [],
      summary: 'no metrics source (PROMETHEUS_URL is not set): a person decides',
    };
  }
  if (specs.length === 0) {
    return {
      at,
      finding: 'no-data',
      checks: [],
      summary: 'the runbook has no triage checks: a person decides',
    };
  }
  const source = deps.metricsSource;
  // The record keeps rollbot's time (stage clocks, decisions); the queries read up to Prometheus' newest data.
  const now = await metricsNow(deps, source, at);
  const window = { now, intervalMs: interval, samples, failing, trendMs: trend };
  const checks = await Promise.all(specs.map((check) => measureTriageCheck(source, check, window)));
  const finding = findingOf(checks);
  return { at, finding, checks, summary: `${summarize(finding, checks, failing)}${partialNote(checks)}` };
}

/** `. Partial answers (Prometheus warnings): error rate "…"`, so that no finding hides that it rests on one. */
function partialNote(checks: readonly CheckResult[]): string {
  const partial = checks.filter(isPartial);
  if (partial.length === 0) return '';
  const each = partial.map((check) => `${check.name} ${describeWarnings(check.warnings ?? [])}`);
  return `. Partial answers (Prometheus warnings): ${someParts(each, 'partial answers')}`;
}

function findingOf(checks: readonly CheckResult[]): TriageFinding {
  if (checks.some((check) => check.verdict === 'FAIL')) return 'breach';
  if (checks.every((check) => check.verdict === 'ERROR')) return 'unavailable';
  if (checks.every((check) => check.verdict === 'PASS')) return 'ok';
  return 'no-data';
}

/** A failed check's error, brief: the summary names the check, so the query is left out. */
function briefError(check: CheckResult): string | undefined {
  return briefCheckError(check, BRIEF_ERROR_CHARS);
}

/** "error rate 0.079 > 0.02 for 3 of 3 measurements (rising ▁▂▅▇)" for each breach; otherwise why not. */
function summarize(finding: TriageFinding, checks: readonly CheckResult[], failing: number): string {
  if (finding === 'unavailable') {
    // Each failure once, with the checks it left unmeasured: a Prometheus that is down fails them all alike,
    // while one refused query beside it must not be hidden behind the first check's error.
    const byError = new Map<string, string[]>();
    for (const check of checks) {
      const error = briefError(check) ?? 'unknown error';
      byError.set(error, [...(byError.get(error) ?? []), check.name]);
    }
    const each = [...byError].map(([error, names]) => `${someChecks(names)}: ${error}`);
    return `Prometheus could not be asked (${someParts(each, 'failures')}): a person decides`;
  }
  if (finding === 'ok') {
    // A check may pass with some measurements outside its range (fewer than M of N): say so, failing first, or
    // "no threshold breached (error rate 5%)" would contradict itself.
    const failed = (c: CheckResult) => c.outcomes.filter((outcome) => outcome === 'fail').length;
    const ordered = [...checks].sort((a, b) => Number(failed(b) > 0) - Number(failed(a) > 0));
    const values = ordered.map((c) => {
      const fails = failed(c);
      const latest = formatValue(c.value, c.unit);
      if (fails === 0) return `${c.name} ${latest}`;
      const breached = formatValue(c.failedValue ?? c.value, c.unit);
      const now = latest === breached ? '' : `, latest ${latest}`;
      return `${c.name} ${breached} outside ${c.threshold} for ${fails} of ${c.outcomes.length}${now}`;
    });
    const shown = values.slice(0, NAMED_CHECKS).join(', ');
    const more = values.length > NAMED_CHECKS ? `, and ${values.length - NAMED_CHECKS} more checks` : '';
    const head = ordered.some((c) => failed(c) > 0)
      ? `no check breached for ${failing} of ${checks[0]?.outcomes.length ?? failing} measurements`
      : 'no threshold breached';
    return `${head} (${shown}${more}): a person decides`;
  }
  if (finding === 'no-data') {
    const unclear = checks
      .filter((check) => check.verdict !== 'PASS')
      .map((check) => `${check.name}: ${briefError(check) ?? shownValue(check)}`);
    return `no clear signal (${someParts(unclear, 'checks unclear')}): a person decides`;
  }
  const breaches = checks
    .filter((check) => check.verdict === 'FAIL')
    .map((check) => {
      const fails = check.outcomes.filter((outcome) => outcome === 'fail').length;
      const trend = check.trend?.sparkline ? ` (${check.trend.direction} ${check.trend.sparkline})` : '';
      const measurements = `for ${fails} of ${check.outcomes.length} measurements (${failing} needed`;
      // Only missing data failed (noData: fail): "no data outside ≤ 2%" would name a breach nobody measured.
      if (check.failedValue === undefined && check.failedOnNoData) {
        return `${check.name} no data, which noData: fail counts as failing, ${measurements})${trend}`;
      }
      // The value that breached, not merely the latest one: "1% outside ≤ 2%" would contradict itself.
      const breached = formatValue(check.failedValue ?? check.value, check.unit);
      const latest = formatValue(check.value, check.unit);
      const now = latest === breached ? '' : `, latest ${latest}`;
      return `${check.name} ${breached} outside ${check.threshold} ${measurements}${now})${trend}`;
    });
  return someParts(breaches, 'checks breached');
}
