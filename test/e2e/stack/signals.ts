/**
 * The model servers' signals in PromQL, shared by Prometheus's alert rules (per version: which deployment is
 * bad) and the runbook's triage and confirmation gates (per model: is the service healthy). Rate windows are
 * 5 s over a 1 s scrape, so the gates see a change within seconds.
 */
import { stringify } from 'yaml';

const WINDOW = '5s';

export const THRESHOLDS = { errorRatio: 0.05, p99Seconds: 0.5, approvalRatio: 0.8 } as const;

/** `{a,b}` from the non-empty matchers; nothing when there are none. */
function select(...matchers: string[]): string {
  const given = matchers.filter((matcher) => matcher !== '');
  return given.length === 0 ? '' : `{${given.join(',')}}`;
}

/** Share of requests answered 5xx; `by` keeps those labels (`model, version`), empty sums everything. */
function errorRatio(model: string, by: string): string {
  const sum = by === '' ? 'sum' : `sum by (${by}) `;
  const rate = (code: string) => `${sum}(rate(model_requests_total${select(model, code)}[${WINDOW}]))`;
  return `${rate('code=~"5.."')} / ${rate('')}`;
}

function p99(model: string, by: string): string {
  const buckets = `rate(model_request_duration_seconds_bucket${select(model)}[${WINDOW}])`;
  return `histogram_quantile(0.99, sum by (${by === '' ? 'le' : `${by}, le`}) (${buckets}))`;
}

function approvalRatio(model: string): string {
  const rate = (decision: string) => `sum(rate(model_decisions_total${select(model, decision)}[${WINDOW}]))`;
  return `${rate('decision="approved"')} / ${rate('')}`;
}

/** The runbook's three triage signals for one model: error rate, business metric, latency. */
export function modelQueries(model: string): { errorRatio: string; approvalRatio: string; p99: string } {
  const matcher = `model="${model}"`;
  return {
    errorRatio: errorRatio(matcher, ''),
    approvalRatio: approvalRatio(matcher),
    p99: p99(matcher, ''),
  };
}

/**
 * Alert rules as an SRE would write them: per model and version, a short `for:` so a blip does not page, the
 * `model` label that routes the alert to its runbook and a `severity` rollbot maps to SEV-1.
 */
export function alertRules(): string {
  const by = 'model, version';
  const rule = (alert: string, expr: string, summary: string) => ({
    alert,
    expr,
    // Long enough that when the alert arrives, triage's earlier measurements (it needs 2 of its last 3, a second
    // apart) show the breach too, not only the latest one.
    for: '3s',
    labels: { severity: 'critical' },
    annotations: { summary },
  });
  return stringify({
    groups: [
      {
        name: 'model-serving',
        rules: [
          rule(
            'ModelErrorRateHigh',
            `${errorRatio('', by)} > ${THRESHOLDS.errorRatio}`,
            '{{ $labels.model }} {{ $labels.version }}: {{ $value | humanizePercentage }} of requests fail',
          ),
          rule(
            'ModelLatencyHigh',
            `${p99('', by)} > ${THRESHOLDS.p99Seconds}`,
            '{{ $labels.model }} {{ $labels.version }}: p99 latency {{ $value | humanizeDuration }}',
          ),
        ],
      },
    ],
  });
}
