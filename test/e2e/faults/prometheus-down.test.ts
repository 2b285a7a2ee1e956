/**
 * Faults (issue 8 §3): Prometheus is down when an incident is triaged. The runbook says `auto`, and the metric
 * really is over its threshold — but rollbot cannot see that, so a person is asked and nothing is rolled back.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, runbookDir, type BotProcess } from '../../helpers/bot-process.js';
import {
  startExporter,
  startPrometheus,
  type Exporter,
  type PrometheusProcess,
} from '../../helpers/prometheus-server.js';
import { startSlackStandIn, type SlackStandIn } from '../../helpers/slack-standin.js';
import { entries, incident, metricSum, postAlert } from '../cluster/api.js';
import { BotFleet, botEnv } from '../cluster/bots.js';
import { startFakeServing, type FakeServing, type ServedModel } from '../cluster/fake-serving.js';
import { runbookFiles, uniqueModel } from '../cluster/runbooks.js';
import { waitForThreadReply } from '../cluster/slack-messages.js';

const MODEL = uniqueModel('fraud');
const SERIES = `model_error_ratio{model="${MODEL}"}`;
const QUERY = `max(${SERIES})`;

const fleet = new BotFleet();
let slack: SlackStandIn;
let serving: FakeServing;
let served: ServedModel;
let exporter: Exporter;
let prometheus: PrometheusProcess;
let bot: BotProcess;

beforeAll(async () => {
  [slack, serving, exporter] = await Promise.all([startSlackStandIn(), startFakeServing(), startExporter()]);
  exporter.set(SERIES, 0.09);
  served = serving.serve(MODEL, { active: 'v2', previous: 'v1' });
  prometheus = await startPrometheus({ targets: [exporter.address] });
  const dir = await runbookDir(
    runbookFiles({
      model: MODEL,
      servingUrl: serving.url,
      policy: 'auto',
      checks: [`{ name: error rate, kind: error, query: '${QUERY}', max: 0.02 }`],
    }),
  );
  bot = await fleet.start(
    botEnv({
      redisUrl: inject('redisUrl'),
      runbooksDir: dir,
      slackApiUrl: slack.apiUrl,
      prometheusUrl: prometheus.url,
    }),
  );
}, 60_000);

afterAll(async () => {
  await fleet.stopAll();
  await prometheus?.stop();
  await Promise.all([slack?.close(), serving?.close(), exporter?.close()]);
});

/** The value Prometheus reports for the runbook's check, once it has scraped it. */
async function checkValue(url: string): Promise<number | undefined> {
  const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(QUERY)}`);
  const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
  const value = body.data.result[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}

describe('Prometheus down during triage', () => {
  it('asks a person in Slack and rolls nothing back, although the policy is auto', async () => {
    // With Prometheus up, the check would fail: the error rate is over its 0.02 threshold.
    expect(await eventually(() => checkValue(prometheus.url), 20_000, 'the first scrape')).toBe(0.09);
    await prometheus.stop();

    const opened = await postAlert(bot.url, { model: MODEL, severity: 'critical', summary: 'errors at 9%' });
    expect(opened.status).toBe(202);
    const incidentId = opened.body.results?.[0]?.incidentId ?? '';

    const asked = await waitForThreadReply(slack, incidentId, /^Decision needed/);
    expect(asked.form.text).toMatch(
      new RegExp(
        `^Decision needed on ${incidentId} ${MODEL}: Prometheus could not be asked \\(.*ECONNREFUSED.*\\): a person decides$`,
      ),
    );
    const buttons = JSON.stringify(JSON.parse(asked.form.blocks ?? '[]'));
    expect(buttons).toContain('Roll back');
    expect(buttons).toContain('Not a rollback');

    // Triage decides in one step (roll back, or ask): once a person was asked, no automatic rollback follows.
    const detail = await incident(bot.url, incidentId);
    expect(detail.phase).toBe('triage');
    expect(detail.decision).toBeUndefined();
    expect(detail.triage?.finding).toBe('unavailable');
    expect(entries(detail, 'decision.requested')).toHaveLength(1);
    expect(entries(detail, 'rollback.started')).toEqual([]);
    expect(served.rollbackCalls).toEqual([]);
    expect(served.active).toBe('v2');
    expect(await metricSum([bot.url], 'rollbot_rollbacks_total', { model: MODEL })).toBe(0);
  });
});
