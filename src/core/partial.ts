/**
 * Answers the metrics source flagged as possibly partial: Prometheus' `warnings` on a successful answer (a
 * remote-read or federated store failed, a Thanos store was down, a limit truncated the result). The numbers
 * are real but may leave something out, so the verdict built on them may be wrong in either direction.
 *
 * The rule, in the spirit of the product's others (triage never rolls back blind; a Prometheus that cannot be
 * asked, or a confirmation without measurements, goes to a person): an answer that carried warnings is shown
 * with them, and can never by itself *pass* confirmation or justify an *automatic* rollback. It can still fail
 * a check or ask a person, because both end with a person looking at it. No knob: being told the data may be
 * incomplete is not a matter of taste.
 */
import type { CheckResult, TriageRecord } from './evaluation.js';
import type { Outcome } from './gates.js';
import { oneLine } from './text.js';

/** Warnings kept per check; more are counted in the last one. */
export const MAX_WARNINGS = 5;
/** UTF-16 units per kept warning: a Thanos partial-response error can list every store it asked. */
export const WARNING_CHARS = 300;

/** What a policy `auto` triage may act on without a person, or `partial` when only a partial answer shows it. */
export type AutomaticGround = 'breach' | 'no-data' | 'partial';

/**
 * The source's warnings as a check keeps them: each on one line without control characters (it is text from
 * outside, shown in terminals and Slack), distinct, cut to WARNING_CHARS, at most MAX_WARNINGS.
 */
export function keepWarnings(warnings: readonly string[]): string[] {
  const distinct = [...new Set(warnings.map(oneLine).filter((warning) => warning !== ''))];
  if (distinct.length <= MAX_WARNINGS) return distinct.map((warning) => clip(warning, WARNING_CHARS));
  const kept = distinct.slice(0, MAX_WARNINGS - 1).map((warning) => clip(warning, WARNING_CHARS));
  return [...kept, `(${distinct.length - kept.length} more warnings not kept)`];
}

/** Did this check's answer carry warnings? Records from before warnings were kept have none. */
export function isPartial(check: Pick<CheckResult, 'warnings'>): boolean {
  return (check.warnings?.length ?? 0) > 0;
}

/**
 * A confirmation measurement's outcome given whether its answer was partial: a pass becomes inconclusive (it
 * does not count towards the passes in a row, so a confirmation resting on partial answers ends INCONCLUSIVE at
 * the confirm target and a person decides); a fail stays a fail, since it escalates to a person anyway.
 */
export function confirmOutcome(
  outcome: Exclude<Outcome, 'error'>,
  partial: boolean,
): Exclude<Outcome, 'error'> {
  return partial && outcome === 'pass' ? 'inconclusive' : outcome;
}

/**
 * What a triage gives policy `auto` to roll back on by itself: `breach` when a check failed on a complete
 * answer, on measured values; `no-data` (only with `rollback.onNoData: rollback`, and never without checks) when no query failed and
 * every unclear check answered empty completely — an empty answer with a warning may be data that could not be
 * read, and rollbot never acts blind. A breach that only `noData: fail` makes of missing data is no data here,
 * and a value measured in a check's grey band is not "no data": a person decides it. `partial` when one of
 * those would hold but only on partial answers (a person decides, told why); undefined otherwise. The
 * triage's finding and verdicts stay as measured.
 */
export function automaticGround(
  triage: Pick<TriageRecord, 'finding' | 'checks'>,
  onNoData: 'ask' | 'rollback',
): AutomaticGround | undefined {
  const { finding, checks } = triage;
  if (finding === 'breach') {
    const measured = checks.filter((check) => check.verdict === 'FAIL' && !check.failedOnNoData);
    if (measured.some((check) => !isPartial(check))) return 'breach';
    if (measured.length > 0) return 'partial';
    // Every breach is missing data that `noData: fail` counts as failing: no data, whatever the verdict says.
    return noDataGround(checks, onNoData);
  }
  return finding === 'no-data' ? noDataGround(checks, onNoData) : undefined;
}

/** The ground a triage that showed only no data gives policy `auto` (see automaticGround). */
function noDataGround(
  checks: readonly CheckResult[],
  onNoData: 'ask' | 'rollback',
): AutomaticGround | undefined {
  // No checks: nothing was asked of Prometheus, so nothing answered empty. `onNoData` is about empty answers;
  // a runbook without checks is decided by a person, as its triage summary says.
  if (onNoData !== 'rollback' || checks.length === 0) return undefined;
  // A query that failed is not "no data": rollbot is blind then, and a blind automatic rollback is never right.
  if (checks.some((check) => check.verdict === 'ERROR')) return undefined;
  const unclear = checks.filter((check) => check.verdict !== 'PASS');
  // A value in the grey band was measured, not missing: the runbook's fail range asks a person about it.
  if (unclear.some((check) => check.inconclusiveValue !== undefined)) return undefined;
  return unclear.some(isPartial) ? 'partial' : 'no-data';
}

/** `"remote read failed: …" (+2 more)`: a check's warnings for people, on one line of at most `max` units. */
export function describeWarnings(warnings: readonly string[], max = 160): string {
  const [first = ''] = warnings;
  const more = warnings.length > 1 ? ` (+${warnings.length - 1} more)` : '';
  return `"${clip(oneLine(first), Math.max(1, max - more.length - 2))}"${more}`;
}

/** `text` cut to `max` UTF-16 units with `…`, never splitting a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
