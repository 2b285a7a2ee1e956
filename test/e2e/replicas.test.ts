/**
 * Several replicas (issue 8 §2): three real bot processes on one Redis, behind no load balancer — the test
 * plays the load balancer and sends the same work to several of them at once.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MESSAGE_TICK_MS } from '../../src/engine/message-tick.js';
import { DEADLINE_LEASE_MS } from '../../src/engine/poller.js';
import { ACTIONS, INPUTS, VIEWS } from '../../src/slack/ids.js';
import { eventually, runbookDir, type BotProcess } from '../helpers/bot-process.js';
import { buttonPress, sendSigned, viewSubmission } from '../helpers/slack.js';
import { startSlackStandIn, type SlackStandIn } from '../helpers/slack-standin.js';
import {
  alertmanagerFixture,
  entries,
  incident,
  incidentsOf,
  metricSum,
  postAlert,
  settle,
} from './cluster/api.js';
import { BotFleet, botEnv } from './cluster/bots.js';
import { startFakeServing, type FakeServing, type ServedModel } from './cluster/fake-serving.js';
import { startHoldingPrometheus, type HoldingPrometheus } from './cluster/holding-prometheus.js';
import { drillAtSchedule, runbookFiles, uniqueModel } from './cluster/runbooks.js';
import {
  incidentPosts,
  threadReplies,
  waitForEphemeral,
  waitForIncidentPost,
  waitForThreadReply,
} from './cluster/slack-messages.js';

/** Takes the shared fixture's alert (labels model=fraud-scorer, namespace=ml-prod). */
const ALERTED = uniqueModel('scorer');
/** Rolled back from Slack by two people at once. */
const RACED = uniqueModel('ranker');
/** Its triage is caught mid-flight on the replica that is then killed. */
const TRIAGED = uniqueModel('pricing');
/** Has a drill scheduled a while after the replicas start. */
const DRILLED = uniqueModel('recsys');
/**
 * How far ahead the drill is scheduled: after the three bots have started (seconds each, more on a busy
 * machine), the first tests are done and the killed replica is back — while the takeover test waits out the
 * lease, so that the two waits overlap.
 */
const DRILL_DELAY_MS = 75_000;

const fleet = new BotFleet();
let slack: SlackStandIn;
let serving: FakeServing;
let raced: ServedModel;
let prometheus: HoldingPrometheus;
let replicaEnv: (name: string) => Record<string, string>;
const bots: BotProcess[] = [];
/** When the last replica (re)started: the drill must be planned by all three before it is due. */
let lastStartedAt: number;
let drillAt: number;

beforeAll(async () => {
  [slack, serving, prometheus] = await Promise.all([
    startSlackStandIn(),
    startFakeServing(),
    startHoldingPrometheus({ holdMatching: TRIAGED, value: 0.001 }),
  ]);
  raced = serving.serve(RACED, { active: 'v2', previous: 'v1' });
  const servingUrl = serving.url;
  drillAt = Math.ceil((Date.now() + DRILL_DELAY_MS) / 1000) * 1000;
  const triageCheck = `{ name: error rate, kind: error, query: 'max(model_error_ratio{model="${TRIAGED}"})', max: 0.02 }`;
  const runbooksDir = await runbookDir(
    runbookFiles(
      { model: ALERTED, servingUrl, match: { model: 'fraud-scorer', namespace: 'ml-prod' } },
      // The held rollback request must not time out while the test waits for the second person's refusal.
      { model: RACED, servingUrl, approvers: ['U0ANA', 'U0BO'], servingTimeout: '60s' },
      { model: TRIAGED, servingUrl, checks: [triageCheck] },
      { model: DRILLED, servingUrl, drill: drillAtSchedule(drillAt) },
    ),
  );
  const redisUrl = inject('redisUrl');
  // Each replica asks Prometheus under its own path prefix, so that the test can tell who is asking.
  replicaEnv = (name) =>
    botEnv({ redisUrl, runbooksDir, slackApiUrl: slack.apiUrl, prometheusUrl: prometheus.urlFor(name) });
  bots.push(...(await fleet.startEach(['replica0', 'replica1', 'replica2'].map(replicaEnv))));
  lastStartedAt = Date.now();
}, 90_000);

afterAll(async () => {
  await fleet.stopAll();
  await Promise.all([slack?.close(), serving?.close(), prometheus?.close()]);
});

const bot = (i: number): BotProcess => {
  const found = bots[i];
  if (!found) throw new Error(`no replica ${i}`);
  return found;
};
const urls = (): string[] => bots.map((replica) => replica.url);

describe('three replicas on one Redis', () => {
  it('opens one incident for the same Alertmanager notification delivered to all three at once', async () => {
    const notification = JSON.parse(await alertmanagerFixture('firing')) as unknown;
    const responses = await Promise.all(
      bots.map((replica) => postAlert(replica.url, notification, '/alerts/alertmanager')),
    );

    expect(responses.map((response) => response.status)).toEqual([202, 202, 202]);
    const results = responses.flatMap((response) => response.body.results ?? []);
    expect(results.map((result) => result.outcome).sort()).toEqual(['duplicate', 'duplicate', 'opened']);
    const ids = [...new Set(results.map((result) => result.incidentId))];
    expect(ids).toHaveLength(1);
    const id = ids[0] ?? '';

    expect((await incidentsOf(bot(2).url, ALERTED)).map((listed) => listed.id)).toEqual([id]);
    const detail = await incident(bot(1).url, id);
    expect(detail.alerts).toHaveLength(1);
    expect(entries(detail, 'incident.opened')).toHaveLength(1);
    expect(entries(detail, 'alert.attached')).toEqual([]);
    // Only the replica that opened it has anything to post, and its triage reply queues behind the incident
    // message: once the reply is there, the count of incident messages is final.
    await waitForThreadReply(slack, id, /Triage/);
    expect(incidentPosts(slack, id)).toHaveLength(1);
    expect(await metricSum(urls(), 'rollbot_incidents_total', { model: ALERTED })).toBe(1);
  });

  it('executes one rollback when two people submit it on two replicas at once, and tells the second who', async () => {
    const opened = await postAlert(bot(2).url, {
      model: RACED,
      severity: 'critical',
      summary: `${RACED} 5xx at 9% after v2`,
    });
    const incidentId = opened.body.results?.[0]?.incidentId ?? '';
    await waitForIncidentPost(slack, incidentId);
    // The serving layer keeps the first rollback request open until the test has seen the second refused.
    raced.behaviour = { kind: 'hold' };

    const value = { incidentId, model: RACED };
    const pressed = await Promise.all([
      sendSigned(bot(0).url, buttonPress(ACTIONS.rollback, value, 'U0ANA')),
      sendSigned(bot(1).url, buttonPress(ACTIONS.rollback, value, 'U0BO')),
    ]);
    expect(pressed.map((response) => response.status)).toEqual([200, 200]);
    const modals = await eventually(
      async () => {
        const views = slack.calls
          .filter((call) => call.method === 'views.update')
          .map(
            (call) =>
              JSON.parse(call.form.view ?? '{}') as { callback_id?: string; private_metadata?: string },
          )
          .filter(
            (view) => view.callback_id === VIEWS.rollback && (view.private_metadata ?? '').includes(RACED),
          );
        return views.length === 2 ? views : undefined;
      },
      30_000,
      'both rollback modals with the plan',
    );

    const values = {
      [INPUTS.reason.block]: { [INPUTS.reason.action]: { type: 'plain_text_input', value: '5xx after v2' } },
    };
    const submitted = await Promise.all(
      (['U0ANA', 'U0BO'] as const).map((user, i) =>
        sendSigned(
          bot(i).url,
          viewSubmission(VIEWS.rollback, values, JSON.parse(modals[i]?.private_metadata ?? '{}'), { user }),
        ),
      ),
    );
    expect(submitted.map((response) => response.status)).toEqual([200, 200]);

    const refusal = await waitForEphemeral(slack, /in progress since/);
    raced.release();
    const success = await waitForEphemeral(slack, /^Rolled back to v1/);
    const winner = success.form.user ?? '';
    expect([winner, refusal.form.user].sort()).toEqual(['U0ANA', 'U0BO']);
    expect(refusal.form.text).toContain(`rollback of ${RACED} by ${winner} via slack in progress since`);

    expect(raced.rollbackCalls).toHaveLength(1);
    expect(raced.rollbackCalls[0]).toMatchObject({ to: 'v1', incident: incidentId });
    expect(raced.active).toBe('v1');
    const detail = await incident(bot(2).url, incidentId);
    expect(detail.decision).toMatchObject({ kind: 'rollback', by: winner, trigger: 'slack' });
    expect(entries(detail, 'rollback.started')).toHaveLength(1);
    expect(entries(detail, 'rollback.succeeded')).toHaveLength(1);
    expect(await metricSum(urls(), 'rollbot_rollbacks_total', { model: RACED })).toBe(1);
  });

  it('hands a deadline claimed by a replica that is SIGKILLed mid-handler to another, which runs it once', async () => {
    const opened = await postAlert(bot(0).url, {
      model: TRIAGED,
      severity: 'warning',
      summary: `${TRIAGED} error rate creeping up`,
    });
    const incidentId = opened.body.results?.[0]?.incidentId ?? '';
    // Triage is a durable deadline, due at once. The replica that claims it asks Prometheus, which holds
    // the query: that replica is now in the middle of the handler, with the deadline leased to it.
    const first = await eventually(async () => prometheus.held[0], 15_000, 'a replica to start triage');
    const holder = Number(first.asker.replace('replica', ''));
    await bot(holder).kill('SIGKILL');
    prometheus.stopHolding();
    // As an orchestrator would, start a new replica in its place (it asks Prometheus under a new name).
    bots[holder] = await fleet.start(replicaEnv(`replica${holder}-restarted`));
    lastStartedAt = Date.now();

    // The lease (DEADLINE_LEASE_MS) has to run out before another replica may take the deadline over.
    const decided = await eventually(
      async () => {
        const detail = await incident(bot(0).url, incidentId);
        return entries(detail, 'decision.requested').length > 0 ? detail : undefined;
      },
      DEADLINE_LEASE_MS + 40_000,
      'triage by another replica',
    );
    expect(decided.triage?.finding).toBe('ok');
    // Three more poll ticks on every replica: a second run of the deadline would be on the timeline by then.
    await settle(3_000);

    const final = await incident(bot(1).url, incidentId);
    expect(entries(final, 'triage.result')).toHaveLength(1);
    expect(entries(final, 'decision.requested')).toHaveLength(1);
    expect(prometheus.held.map((query) => query.asker)).toEqual([first.asker]);
    const retried = prometheus.answered.filter((query) => query.query.includes(TRIAGED));
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.map((query) => query.asker)).not.toContain(first.asker);
    // Nobody took the deadline while the dead replica's lease still ran (the claim came just before the query).
    expect((retried[0]?.at ?? 0) - first.at).toBeGreaterThanOrEqual(DEADLINE_LEASE_MS - 1_000);
  });

  it('starts one drill when a scheduled occurrence comes due on all three', async () => {
    // Each replica plans the next occurrence when it starts: all three must have started before it is due.
    expect(lastStartedAt).toBeLessThan(drillAt);
    const drill = await eventually(
      async () => (await incidentsOf(bot(0).url, DRILLED))[0],
      drillAt - Date.now() + 30_000,
      'the scheduled drill',
    );
    expect(drill.drill).toBe(true);
    await waitForThreadReply(slack, drill.id, /DRILL: decide as you would for real/);
    // Three more poll ticks on every replica: a second start of this occurrence would be visible by then.
    await settle(3_000);

    expect((await incidentsOf(bot(1).url, DRILLED)).map((listed) => listed.id)).toEqual([drill.id]);
    const detail = await incident(bot(2).url, drill.id);
    expect(entries(detail, 'drill.started')).toEqual([expect.objectContaining({ actor: 'schedule' })]);
    expect(incidentPosts(slack, drill.id)).toHaveLength(1);
    const skipped = slack.calls.filter((call) =>
      (call.form.text ?? '').includes(`drill of ${DRILLED} skipped`),
    );
    expect(skipped).toEqual([]);
    expect(await metricSum(urls(), 'rollbot_incidents_total', { model: DRILLED, drill: 'true' })).toBe(1);
  });

  it('redraws a waiting incident’s message about once a minute, from one replica at a time', async () => {
    // The first test's incident still waits for a decision (policy approve): its triage clock is running.
    const [waiting] = await incidentsOf(bot(0).url, ALERTED);
    if (!waiting) throw new Error(`${ALERTED} has no incident`);
    const ts = (await waitForIncidentPost(slack, waiting.id)).answer.ts;
    const detail = await incident(bot(1).url, waiting.id);
    // Updates for events come right after them; later ones are redraws.
    const quietSince = Math.max(...detail.timeline.map((entry) => entry.at)) + 5_000;
    const redraws = () =>
      slack.calls.filter(
        (call) => call.method === 'chat.update' && call.form.ts === ts && call.at > quietSince,
      );
    await eventually(
      async () => (redraws().length > 0 ? true : undefined),
      MESSAGE_TICK_MS + 15_000,
      'a redraw',
    );
    // One more tick period: three replicas without the claim would have redrawn three times by now.
    await settle(MESSAGE_TICK_MS / 2);
    const times = redraws().map((call) => call.at);
    times.slice(1).forEach((at, i) => expect(at - (times[i] ?? 0)).toBeGreaterThan(MESSAGE_TICK_MS - 15_000));
    expect(incidentPosts(slack, waiting.id)).toHaveLength(1);
    expect(threadReplies(slack, ts).filter((call) => call.at > quietSince)).toEqual([]);
  });
});
