/**
 * "Now" by the metrics source's clock, where triage's range queries end and by which confirmation moves the
 * ledger's moments (confirm-baselines.ts). A range query needs an end, and by rollbot's clock a host that runs fast
 * asks about Prometheus' future (past its 5-minute lookback: no data, and a person is asked when policy auto
 * should have rolled back), while one that runs slow judges minutes-old steps (a breach that began since reads as
 * healthy). Prometheus stamps its samples with its own clock, so its "now" is where its newest data is.
 * Confirmation polls need none of this: an instant query without a time is at it.
 */
import type { EngineDeps } from './context.js';
import type { MetricsSource } from './metrics-port.js';

/** A difference people should hear of: other things rely on rollbot's clock (Slack's 5-minute signature window). */
const SKEW_WORTH_SAYING_MS = 60_000;

/**
 * The source's "now" (one query per triage run, before its checks; one per confirmation start); `ours` (rollbot's
 * clock, read by the caller) for a source without a clock of its own, or one that could not say: then the queries
 * are sent as they always were, and their own errors say what is wrong with Prometheus.
 */
export async function metricsNow(
  deps: Pick<EngineDeps, 'logger'>,
  source: MetricsSource,
  ours: number,
): Promise<number> {
  if (!source.now) return ours;
  let theirs: number;
  try {
    theirs = await source.now();
  } catch (error) {
    deps.logger.warn(
      { err: error },
      "cannot read Prometheus' clock: rollbot's stands in for it, as if the two agreed",
    );
    return ours;
  }
  if (!Number.isFinite(theirs)) return ours;
  const aheadMs = ours - theirs;
  if (Math.abs(aheadMs) >= SKEW_WORTH_SAYING_MS) {
    deps.logger.warn(
      { aheadMs },
      `rollbot's clock is ${Math.round(Math.abs(aheadMs) / 1000)} s ${aheadMs > 0 ? 'ahead of' : 'behind'} Prometheus': triage and confirmation read Prometheus' data by its clock; run NTP on both hosts`,
    );
  }
  return theirs;
}
