/**
 * Faults (issue 8 §3): the serving layer answers 5xx, or does not answer at all. rollbot retries within the
 * rollback target, then gives up and escalates with the error — and never reports a rollback that did not
 * happen as a success.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runbookDir, type BotProcess } from '../../helpers/bot-process.js';
import { startSlackStandIn, type SlackStandIn } from '../../helpers/slack-standin.js';
import { entries, incident, metricSum, postAlert, requestRollback } from '../cluster/api.js';
import { BotFleet, botEnv } from '../cluster/bots.js';
import { startFakeServing, type FakeServing, type ServedModel } from '../cluster/fake-serving.js';
import { runbookFiles, uniqueModel } from '../cluster/runbooks.js';
import { waitForThreadReply } from '../cluster/slack-messages.js';

const FAILING = uniqueModel('scorer-5xx');
const HANGING = uniqueModel('scorer-hang');
/** Short, so that the retries run out within seconds; each retry must fit in it. */
const ROLLBACK_TARGET_MS = 10_000;

const fleet = new BotFleet();
let slack: SlackStandIn;
let serving: FakeServing;
let failing: ServedModel;
let hanging: ServedModel;
let bot: BotProcess;

beforeAll(async () => {
  [slack, serving] = await Promise.all([startSlackStandIn(), startFakeServing()]);
  failing = serving.serve(FAILING, { active: 'v2', previous: 'v1' });
  failing.behaviour = { kind: 'fail', status: 503 };
  hanging = serving.serve(HANGING, { active: 'v2', previous: 'v1' });
  hanging.behaviour = { kind: 'hang', switchFirst: false };
  const targets = { rollback: `${ROLLBACK_TARGET_MS / 1000}s` };
  // A short ETA, so that the rollback target (not twice the ETA, when later) is when retries stop.
  const eta = '2s';
  const dir = await runbookDir(
    runbookFiles(
      { model: FAILING, servingUrl: serving.url, targets, eta },
      { model: HANGING, servingUrl: serving.url, targets, eta, servingTimeout: '2s' },
    ),
  );
  bot = await fleet.start(
    botEnv({ redisUrl: inject('redisUrl'), runbooksDir: dir, slackApiUrl: slack.apiUrl }),
  );
}, 60_000);

afterAll(async () => {
  await fleet.stopAll();
  await Promise.all([slack?.close(), serving?.close()]);
});

/** Opens an incident for `model` and asks for its rollback over the API; returns both. */
async function rollBackAfterAlert(model: string) {
  const opened = await postAlert(bot.url, { model, severity: 'critical', summary: `${model} 5xx at 12%` });
  const incidentId = opened.body.results?.[0]?.incidentId ?? '';
  const answer = await requestRollback(bot.url, { model, reason: 'errors after v2', requestedBy: 'oncall' });
  return { incidentId, answer };
}

/** What both faults must leave behind: a failed rollback, retried within its target, traffic untouched. */
async function expectFailedNotFaked(served: ServedModel, incidentId: string, model: string, error: RegExp) {
  const calls = served.rollbackCalls;
  expect(calls.length).toBeGreaterThan(1);
  // Every retry is the same decision: one idempotency key, so a layer that honours it changes things once.
  expect(new Set(calls.map((call) => call.idempotencyKey))).toEqual(new Set([`${incidentId}:rollback:1`]));
  expect((calls.at(-1)?.at ?? 0) - (calls[0]?.at ?? 0)).toBeLessThan(ROLLBACK_TARGET_MS);
  expect(served.active).toBe('v2');

  const detail = await incident(bot.url, incidentId);
  expect(detail.open).toBe(true);
  expect(detail.phase).not.toMatch(/^(confirm|resolved|closed)$/);
  expect(detail.rollback).toMatchObject({ status: 'failed', error: expect.stringMatching(error) });
  expect(entries(detail, 'rollback.retry')).toHaveLength(calls.length - 1);
  // The failure itself; its escalation is entered beside it once it reached Slack (checked below).
  const failures = entries(detail, 'rollback.failed').filter((entry) =>
    entry.text.startsWith('rollback failed: '),
  );
  expect(failures).toEqual([expect.objectContaining({ text: expect.stringMatching(error) })]);
  expect(entries(detail, 'rollback.succeeded')).toEqual([]);
  expect(await metricSum([bot.url], 'rollbot_rollbacks_total', { model, outcome: 'failed' })).toBe(1);
  expect(await metricSum([bot.url], 'rollbot_rollbacks_total', { model, outcome: 'succeeded' })).toBe(0);

  const escalation = await waitForThreadReply(slack, incidentId, /FAILED/);
  expect(escalation.form.text).toContain('<!subteam^S0PLATFORM>');
  expect(escalation.form.text).toMatch(error);
  expect(escalation.form.text).toContain('Traffic may still be on v2; decide now.');
}

describe('a serving layer that fails the rollback', () => {
  it('answers 5xx: retried within the rollback target, then escalated with the error, not reported done', async () => {
    const { incidentId, answer } = await rollBackAfterAlert(FAILING);

    expect(answer.status).toBe(502);
    expect(answer.body.outcome).toBe('failed');
    const error =
      /rollback request POST http:\/\/127\.0\.0\.1:\d+\/models\/.+\/rollback: HTTP 503: upstream 503/;
    expect(answer.body.error?.message).toMatch(error);
    await expectFailedNotFaked(failing, incidentId, FAILING, error);
  });

  it('hangs: each attempt times out, retried within the rollback target, then escalated with the timeout', async () => {
    const { incidentId, answer } = await rollBackAfterAlert(HANGING);

    expect(answer.status).toBe(502);
    expect(answer.body.outcome).toBe('failed');
    const error =
      /rollback request POST http:\/\/127\.0\.0\.1:\d+\/models\/.+\/rollback: no answer within 2000ms/;
    expect(answer.body.error?.message).toMatch(error);
    await expectFailedNotFaked(hanging, incidentId, HANGING, error);
  });
});
