import { describe, expect, it } from 'vitest';
import { errorText } from '../../../src/core/errors.js';
import type { CheckResult } from '../../../src/core/evaluation.js';
import { pollLine } from '../../../src/engine/confirm-failure.js';
import { measureOnce, measureTriageCheck, thresholdOf } from '../../../src/engine/measure.js';
import type { MetricsSource } from '../../../src/engine/metrics-port.js';
import {
  answerError,
  HINT_AUTH,
  HINT_PROMQL,
  HINT_REACH,
  transportError,
} from '../../../src/metrics-source/errors.js';
import { checkLine } from '../../../src/slack/blocks/incident-message.js';
import { makeRunbook } from '../../helpers/engine.js';

/** A query as runbooks write them: far longer than the ~120 characters an error quotes of it. */
const QUERY =
  'sum by (model) (rate(http_requests_total{job="fraud-scorer",namespace="ml-prod",code=~"5.."}[5m]))\n' +
  '  / sum by (model) (rate(http_requests_total{job="fraud-scorer",namespace="ml-prod"}[5m]))';
const CHECK = makeRunbook(
  'fraud-scorer',
  `triage:\n  checks:\n    - { name: error rate, kind: error, query: '${QUERY.replace(/\n/g, ' ')}', max: 0.02 }`,
).triage.checks[0]!;

/** A Prometheus source every query of which fails with `error`, as the real one fails. */
function failing(error: Error): MetricsSource {
  return {
    query: () => Promise.reject(error),
    range: () => Promise.reject(error),
  };
}

const unreachable = () =>
  transportError(
    QUERY,
    new Error('fetch failed', { cause: new Error('connect ECONNREFUSED 10.0.0.9:9090') }),
    {
      host: 'prometheus.monitoring:9090',
      timeoutMs: 10_000,
      timedOut: false,
    },
  );
const refused = () => answerError(QUERY, 401, undefined, 'Unauthorized');
const badPromql = () =>
  answerError(
    QUERY,
    400,
    {
      errorType: 'bad_data',
      error: 'invalid parameter "query": 1:94: parse error: unexpected "/" in aggregation',
    },
    '',
  );
const WINDOW = { now: 1_800_000_000_000, intervalMs: 30_000, samples: 3, failing: 3, trendMs: 900_000 };

describe("a failed check's error where its line is capped", () => {
  it('shows in the Slack check row what went wrong and what to do, not the start of the query', async () => {
    const result = await measureTriageCheck(failing(unreachable()), CHECK, WINDOW);
    // The check's name already says which query: the socket error and the whole hint fit, as on a poll's line.
    expect(checkLine(result)).toBe(
      '⚠️ *error rate* error: cannot reach prometheus.monitoring:9090: fetch failed: connect ECONNREFUSED ' +
        `10.0.0.9:9090 (${HINT_REACH}) (≤ 0.02) ERROR`,
    );
  });

  it('leads the hint with what to do, so that a cut hint still says it', async () => {
    const result = await measureTriageCheck(failing(refused()), CHECK, WINDOW);
    expect(checkLine(result)).toContain(
      'error: credentials refused (HTTP 401: Unauthorized) (check PROMETHEUS_AUTHORIZATION',
    );
    expect(HINT_AUTH).toMatch(/^check PROMETHEUS_AUTHORIZATION/);
  });

  it("gives the whole of a short hint and the rest to Prometheus' own long reason", async () => {
    const result = await measureTriageCheck(failing(badPromql()), CHECK, WINDOW);
    const row = checkLine(result);
    // Where the parse error is: the part people need to fix the PromQL.
    expect(row).toBe(
      '⚠️ *error rate* error: Prometheus refused it (HTTP 400 bad_data: invalid parameter "query": 1:94: parse ' +
        'error: unexpected "/" in aggregation) (fix the PromQL of this check in the runbook) (≤ 0.02) ERROR',
    );
    const long = await measureTriageCheck(
      failing(answerError(QUERY, 400, { errorType: 'bad_data', error: `1:94: ${'z'.repeat(300)}` }, '')),
      CHECK,
      WINDOW,
    );
    const cut = checkLine(long);
    expect(cut).toMatch(/z… \(fix the PromQL of this check in the runbook\) \(≤ 0.02\) ERROR$/);
    expect(cut.slice('⚠️ *error rate* error: '.length, -' (≤ 0.02) ERROR'.length)).toHaveLength(200);
  });

  it("shows the whole hint and what went wrong on a confirmation poll's line", async () => {
    const result = await measureOnce(failing(unreachable()), CHECK, thresholdOf(CHECK), WINDOW.now);
    expect(pollLine(result)).toBe(
      'error rate no data (≤ 0.02) ERROR (cannot reach prometheus.monitoring:9090: fetch failed: connect ECONNREFUSED ' +
        `10.0.0.9:9090 (${HINT_REACH}))`,
    );
    const bad = await measureOnce(failing(badPromql()), CHECK, thresholdOf(CHECK), WINDOW.now);
    expect(pollLine(bad)).toContain(`(${HINT_PROMQL}))`);
  });

  it('keeps the whole text, query first, for the timeline and the report', async () => {
    const error = unreachable();
    const result = await measureOnce(failing(error), CHECK, thresholdOf(CHECK), WINDOW.now);
    expect(result.error).toBe(errorText(error));
    expect(result.error).toMatch(
      /^Prometheus query "sum by \(model\) .*…": cannot reach .* \(check PROMETHEUS_URL/,
    );
  });

  it('cuts a record from before the parts were kept as before: its text from the start', () => {
    const old: CheckResult = {
      name: 'error rate',
      kind: 'error',
      threshold: '≤ 0.02',
      outcomes: ['error'],
      verdict: 'ERROR',
      error: `x${'y'.repeat(300)}`,
    };
    expect(checkLine(old)).toBe(`⚠️ *error rate* error: x${'y'.repeat(198)}… (≤ 0.02) ERROR`);
    expect(pollLine(old)).toBe(`error rate no data (≤ 0.02) ERROR (x${'y'.repeat(198)}…)`);
  });
});
