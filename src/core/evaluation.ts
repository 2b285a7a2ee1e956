import { formatValue, type Outcome, type ValueUnit, type Verdict } from './gates.js';

/** One check as measured: what people see in the incident message and the retrospective. */
export interface CheckResult {
  name: string;
  kind: 'error' | 'business' | 'latency';
  /** The latest value (reduced over series); undefined: no data. */
  value?: number;
  /** The newest measured value that failed, when one did: the latest `value` may already be back in range. */
  failedValue?: number;
  /**
   * The newest measured value between the pass range and the fail range (the grey band), when one was: an
   * INCONCLUSIVE that was measured, which a person decides, unlike one with no data (core/partial.ts).
   */
  inconclusiveValue?: number;
  /**
   * FAIL only because the check's `noData: fail` counts missing measurements as failures: fewer than M of its
   * measured values failed. A breach people see, but no data to policy `auto` (core/partial.ts).
   */
  failedOnNoData?: true;
  /** The range it had to stay in, for people: `≤ 2%`. */
  threshold: string;
  /** The check's unit, for showing `value`. */
  unit?: ValueUnit;
  /** One outcome per measurement, oldest first. */
  outcomes: Outcome[];
  verdict: Verdict;
  trend?: { sparkline: string; direction: 'rising' | 'falling' | 'flat'; windowMs: number };
  /** Why the query failed, when it did, whole: `Prometheus query "…": what went wrong (what to do)`. */
  error?: string;
  /**
   * `error` in parts, for lines that are capped and name the check (core/check-error.ts): what went wrong without
   * the query it names, and what to do. Absent when the error had no parts, or in a record from before they were kept.
   */
  errorParts?: { problem: string; hint?: string };
  /**
   * What the metrics source warned about its answer (core/partial.ts: it may be partial), as kept by
   * `keepWarnings`. Absent: none, or a record from before warnings were kept.
   */
  warnings?: string[];
}

/**
 * A measured check's value for people: its latest, and on a FAIL whose newest value is back in range the value that
 * failed first (`7.9%, latest 1%`): "1% (≤ 2%) FAIL" would contradict itself. Likewise an INCONCLUSIVE's value in
 * the grey band (`5%, latest no data`): "no data" alone would hide that a value was measured, which is why a
 * person is asked even under `onNoData: rollback` (core/partial.ts). The one rule for every check row.
 */
export function shownValue(
  check: Pick<CheckResult, 'value' | 'failedValue' | 'inconclusiveValue' | 'verdict' | 'unit'>,
): string {
  const latest = formatValue(check.value, check.unit);
  const decisive =
    check.verdict === 'FAIL'
      ? check.failedValue
      : check.verdict === 'INCONCLUSIVE'
        ? check.inconclusiveValue
        : undefined;
  if (decisive === undefined) return latest;
  const shown = formatValue(decisive, check.unit);
  return shown === latest ? latest : `${shown}, latest ${latest}`;
}

/**
 * What triage found. `breach`: a check failed; `ok`: none did; `no-data`: the checks could not tell (empty
 * results, no checks, the grey band); `unavailable`: the metrics source could not be asked.
 */
export type TriageFinding = 'breach' | 'ok' | 'no-data' | 'unavailable';

export interface TriageRecord {
  at: number;
  finding: TriageFinding;
  checks: CheckResult[];
  /** One line: "error rate 0.079 > 0.02 for 3 of 3 measurements". */
  summary: string;
}

/** The confirmation loop's progress, kept on the incident so that it survives a restart. */
export interface ConfirmationRecord {
  startedAt: number;
  /** Pre-deployment value per check name (undefined: unknown, the triage threshold applies). */
  baselines: Record<string, number | null>;
  /** Combined outcome of every poll, oldest first. */
  outcomes: Outcome[];
  last?: { at: number; checks: CheckResult[] };
  verdict?: Verdict;
  endedAt?: number;
}

/** An estimate of what the incident cost, with the formula that produced it. */
export interface ImpactEstimate {
  windowMs: number;
  /** The check the estimate is about (the first `kind: error` check). */
  check: string;
  averageDuringIncident?: number;
  baseline?: number;
  /** Σ max(0, error rate − baseline) × request rate × step over the window, when a request-rate query is set. */
  excessFailedRequests?: number;
  formula: string;
  /**
   * What the metrics source warned about the answers the estimate was made from (core/partial.ts): its numbers
   * may leave something out. Absent: none.
   */
  warnings?: string[];
}
