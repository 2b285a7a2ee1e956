/**
 * The metrics port: where triage and confirmation read metrics. metrics-source/ implements it (Prometheus).
 */

/** One series of an instant query: its labels and value (NaN and ±Inf arrive as such). */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** One series of a range query. */
export interface Series {
  labels: Record<string, string>;
  points: { at: number; value: number }[];
}

/**
 * What the source said about an answer it did give: Prometheus' `warnings`, errors that did not stop the query
 * (a remote-read or federated store failed, a limit truncated the result). The result may be partial: triage
 * and confirmation keep them with the check and do not act on such an answer alone (core/partial.ts). Empty
 * when there were none; the source's own text, untrimmed and unescaped.
 */
export interface AnswerWarnings {
  warnings: string[];
}

/** An instant query's answer. */
export interface InstantAnswer extends AnswerWarnings {
  samples: Sample[];
}

/** A range query's answer. */
export interface RangeAnswer extends AnswerWarnings {
  series: Series[];
}

/**
 * Where triage and confirmation read metrics (metrics-source/prometheus). An empty result is no samples, not an
 * error. Errors are RollbotErrors: `UNAVAILABLE` when the source cannot answer (down, timeout, 5xx) and
 * `BAD_REQUEST` when it refuses the query (bad PromQL), each saying which query and what to check.
 */
export interface MetricsSource {
  /**
   * Instant query at `at` (epoch ms; default: now by the source's own clock). A scalar result is one sample
   * without labels.
   */
  query(promql: string, at?: number): Promise<InstantAnswer>;
  /** Range query over [start, end] (epoch ms) every `stepMs`. */
  range(promql: string, start: number, end: number, stepMs: number): Promise<RangeAnswer>;
  /**
   * "Now" (epoch ms) by the source's own clock, the one its samples are stamped with: where triage ends its range
   * queries, and how confirmation finds the ledger's moments in its data (engine/metrics-clock.ts). Absent on a
   * source that shares rollbot's clock (a simulation).
   */
  now?(): Promise<number>;
}
