/**
 * A confirmation's pre-deployment baselines: each check measured when the version rolled back from first took
 * traffic (the ledger says when), and, for people, why a baseline is unknown or cannot be used.
 */
import { someChecks, someParts } from '../core/check-error.js';
import type { CheckResult } from '../core/evaluation.js';
import { confirmThreshold, formatValue } from '../core/gates.js';
import type { Incident } from '../core/incident.js';
import type { Deployment } from '../core/ledger.js';
import { describeWarnings, isPartial } from '../core/partial.js';
import type { Check, Runbook } from '../runbooks/schema.js';
import { pollError } from './confirm-failure.js';
import type { EngineDeps } from './context.js';
import { measureOnce, thresholdOf } from './measure.js';
import { metricsNow } from './metrics-clock.js';
import type { MetricsSource } from './metrics-port.js';

/**
 * The value of each check just before the version being rolled back from took traffic; null when unknown.
 * A value from an answer Prometheus flagged as partial is unknown too: a baseline read too high would let
 * confirmation pass above the runbook's own thresholds, so those apply instead. `unknownWhy` says so for people,
 * and why for a check whose query failed (briefly, as a poll's line does), so that they know it was Prometheus.
 * The checks are asked for together: one after another, a Prometheus that never answers would hold the start up
 * one query timeout per check, past the lease of the deadline that runs it (the poller's 60 s) with a few checks.
 * Before them, Prometheus' clock: two query timeouts at most in all.
 */
export async function takeBaselines(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
): Promise<{ baselines: Record<string, number | null>; unknownWhy: string }> {
  const from = incident.rollback?.plan.from;
  const before =
    from === undefined ? undefined : firstTookTraffic(await deps.store.deployments(runbook.model), from);
  const source = deps.metricsSource;
  const { checks } = runbook.confirm;
  // The ledger's moment is by rollbot's clock; Prometheus' samples are stamped by its own (metrics-clock.ts).
  const at = before === undefined || !source ? undefined : before + (await clockOffset(deps, source));
  // measureOnce never rejects: a check whose query failed is its own unknown baseline, not the others'.
  const results = await Promise.all(
    checks.map((check) =>
      at === undefined || !source ? undefined : measureOnce(source, check, thresholdOf(check), at),
    ),
  );
  const baselines: Record<string, number | null> = {};
  checks.forEach((check, i) => {
    const result = results[i];
    baselines[check.name] = !result || isPartial(result) ? null : (result.value ?? null);
  });
  const unknownWhy =
    before === undefined && checks.length > 0
      ? noMoment(from)
      : `${whyUnknown(checks, results, from)}${whyUnusable(checks, baselines, runbook.confirm.tolerance)}`;
  return { baselines, unknownWhy };
}

/**
 * How far Prometheus' clock is ahead of rollbot's (negative: behind). Added to a moment the ledger recorded, it
 * gives the same moment by Prometheus' clock: with rollbot 10 minutes fast, the baseline would otherwise be read
 * 10 minutes into the bad version's traffic, and a rollback that only partly restored the model would pass.
 */
async function clockOffset(deps: EngineDeps, source: MetricsSource): Promise<number> {
  const ours = deps.clock.now();
  return (await metricsNow(deps, source, ours)) - ours;
}

/**
 * Why no check has a baseline when there is no moment to measure it at: the version rolled back from is not known,
 * or the ledger has no record of when it took traffic (a deployment CI did not record). Said, so that people
 * know the runbook's thresholds, not the model's usual values, decide "restored", and how to have baselines.
 */
function noMoment(from: string | undefined): string {
  const why =
    from === undefined
      ? 'the version rolled back from is not known'
      : `the deployment ledger has no record of when ${from} took traffic (CI records deployments with POST /api/deployments or rollbot deploy record)`;
  return `; no baseline for any check: ${why}: the triage thresholds apply`;
}

/**
 * `; no baseline from a partial answer … ; no baseline where the query failed, for errors, approvals (cannot
 * reach … (check PROMETHEUS_URL …)): their triage thresholds apply`, and the checks Prometheus had no data for,
 * or nothing when none of these left one unknown.
 */
function whyUnknown(
  checks: readonly Check[],
  results: readonly (CheckResult | undefined)[],
  from: string | undefined,
): string {
  const partial: string[] = [];
  // Measured, and nothing there: a series that began after the bad version took traffic (a new metric, say).
  const empty: string[] = [];
  // The checks each failure left without a baseline, by failure: a Prometheus that is down fails them all alike.
  const failed = new Map<string, string[]>();
  checks.forEach((check, i) => {
    const result = results[i];
    if (result && isPartial(result)) partial.push(`${check.name} ${describeWarnings(result.warnings ?? [])}`);
    const error = result && pollError(result);
    if (error !== undefined) failed.set(error, [...(failed.get(error) ?? []), check.name]);
    else if (result && !isPartial(result) && result.value === undefined) empty.push(check.name);
  });
  const why: string[] = [];
  if (partial.length) {
    why.push(
      `no baseline from a partial answer (Prometheus warnings) for ${someParts(partial, 'partial answers')}: its triage thresholds apply`,
    );
  }
  if (failed.size) {
    const each = [...failed].map(([error, names]) => `${someChecks(names)} (${error})`);
    why.push(
      `no baseline where the query failed, for ${someParts(each, 'failures')}: their triage thresholds apply`,
    );
  }
  if (empty.length) {
    why.push(
      `no baseline where Prometheus had no data before ${from ?? 'the bad version'} took traffic, for ${someChecks(empty)}: their triage thresholds apply`,
    );
  }
  return why.map((clause) => `; ${clause}`).join('');
}

/**
 * `; a baseline of 0 leaves no room for a tolerance, for errors: its triage thresholds apply`: the measured
 * baselines confirmation cannot use (core/gates.ts `confirmThreshold`), said, because the entry shows them: "within
 * 10% of … (errors 0)" would read as "errors must be back at 0" while the runbook's own range decides. Each value
 * is named as it is (0, +Inf, -Inf): a p99 of +Inf (past the histogram's last bucket) is not "no latency".
 */
function whyUnusable(
  checks: readonly Check[],
  baselines: Record<string, number | null>,
  tolerance: number,
): string {
  // By the value shown: "0", "+Inf", "-Inf", in the order first met.
  const noRoom = new Map<string, string[]>();
  const outside: string[] = [];
  for (const check of checks) {
    const baseline = baselines[check.name];
    if (baseline === null || baseline === undefined) continue;
    const triage = thresholdOf(check);
    if (confirmThreshold(triage, baseline, tolerance) !== triage) continue;
    if (baseline === 0 || !Number.isFinite(baseline)) {
      const shown = formatValue(baseline);
      noRoom.set(shown, [...(noRoom.get(shown) ?? []), check.name]);
    } else outside.push(check.name);
  }
  const why: string[] = [];
  for (const [shown, names] of noRoom) {
    why.push(
      `a baseline of ${shown} leaves no room for a tolerance, for ${someChecks(names)}: ${names.length > 1 ? 'their' : 'its'} triage thresholds apply`,
    );
  }
  if (outside.length) {
    why.push(
      `a baseline so far outside the check's range that no value is both within tolerance and within it, for ${someChecks(outside)}: ${outside.length > 1 ? 'their' : 'its'} triage thresholds apply`,
    );
  }
  return why.map((clause) => `; ${clause}`).join('');
}

/**
 * When `version` first took traffic in its latest rollout: the oldest of its newest run of recorded deployments
 * (a canary's 10 % step, not its 100 % one). Measured any later, the "baseline" would already include the bad
 * version's share of the traffic, and confirmation would pass while it is still degraded.
 */
function firstTookTraffic(deployments: readonly Deployment[], version: string): number | undefined {
  const recorded = deployments.filter((d) => d.strategy !== 'observed'); // newest first
  const newest = recorded.findIndex((d) => d.version === version);
  if (newest === -1) return undefined;
  let at: number | undefined;
  for (const deployment of recorded.slice(newest)) {
    if (deployment.version !== version) break;
    at = deployment.at;
  }
  return at;
}
