import type { ImpactEstimate } from '../core/evaluation.js';
import { reduceValues } from '../core/gates.js';
import type { Incident } from '../core/incident.js';
import type { Check, Runbook } from '../runbooks/schema.js';
import type { MetricsSource } from './metrics-port.js';
import { reduceSeries, warningsOf } from './measure.js';

/** At most this many points per range query: enough resolution, far below Prometheus' 11,000 limit. */
const MAX_POINTS = 300;

export const IMPACT_FORMULA =
  'excess failed requests = Σ over the incident window of max(0, error rate(t) − baseline) × request rate(t) × step';

/**
 * Estimates what an incident cost from its first `kind: error` check over the incident window (degradation
 * onset → resolution): the average error rate against the pre-deployment baseline, and — with
 * `impact.requestRate` in the runbook — the excess failed requests by the formula above. Best effort: a
 * failed query leaves the parts it would have filled out; an answer Prometheus flagged as partial is used, and
 * its warnings kept, so that wherever the numbers are shown they say they may leave something out.
 */
export async function estimateImpact(
  source: MetricsSource | undefined,
  runbook: Runbook,
  incident: Incident,
  resolvedAt: number,
): Promise<ImpactEstimate | undefined> {
  const check = runbook.triage.checks.find((candidate) => candidate.kind === 'error');
  const start = incident.stages.detect.startedAt ?? incident.openedAt;
  if (!source || !check || resolvedAt <= start) return undefined;
  const stepMs = Math.max(runbook.triage.interval, Math.ceil((resolvedAt - start) / MAX_POINTS));
  const baseline = baselineOf(incident, runbook, check);
  const estimate: ImpactEstimate = {
    windowMs: resolvedAt - start,
    check: check.name,
    formula: IMPACT_FORMULA,
  };
  if (baseline !== undefined) estimate.baseline = baseline;
  const warnings: string[] = [];
  try {
    const errorAnswer = await source.range(check.query, start, resolvedAt, stepMs);
    warnings.push(...errorAnswer.warnings);
    const errors = reduceSeries(errorAnswer.series, check.reduce);
    const average = reduceValues(
      errors.map((point) => point.value),
      'avg',
    );
    if (average !== undefined) estimate.averageDuringIncident = average;
    if (runbook.impact) {
      const rateAnswer = await source.range(runbook.impact.requestRate, start, resolvedAt, stepMs);
      warnings.push(...rateAnswer.warnings);
      const rates = new Map(reduceSeries(rateAnswer.series, 'sum').map((p) => [p.at, p.value]));
      let excess = 0;
      for (const point of errors) {
        const rate = rates.get(point.at);
        if (rate === undefined || !Number.isFinite(rate) || !Number.isFinite(point.value)) continue;
        excess += Math.max(0, point.value - (baseline ?? 0)) * rate * (stepMs / 1000);
      }
      estimate.excessFailedRequests = Math.round(excess);
    }
  } catch {
    // The estimate is a courtesy: an unreachable Prometheus must not hold up the resolution.
  }
  return { ...estimate, ...warningsOf(warnings) };
}

/**
 * The pre-deployment baseline confirmation measured for `check`. Confirmation measures its own checks, which a
 * runbook may name apart from triage's: one with the same query measures the same thing. Without it the excess
 * would be counted against 0, every failed request as excess. A baseline of ±Inf (x/0 before the deployment) is
 * none, as confirmation treats it (core/gates.ts confirmThreshold): against +Inf nothing would be excess, against
 * -Inf every request infinitely so.
 */
function baselineOf(incident: Incident, runbook: Runbook, check: Check): number | undefined {
  const baselines = incident.confirmation?.baselines ?? {};
  const name = Object.hasOwn(baselines, check.name)
    ? check.name
    : runbook.confirm.checks.find((candidate) => candidate.query === check.query)?.name;
  const baseline = name === undefined ? undefined : baselines[name];
  return typeof baseline === 'number' && Number.isFinite(baseline) ? baseline : undefined;
}
