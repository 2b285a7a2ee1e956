/**
 * The runbook end to end on real components (issue 8 §1): a degraded model version behind haproxy, Prometheus
 * alert rules, Alertmanager's webhook, rollbot as its own process on Redis, a Slack Web API stand-in, and a
 * rollback that really moves haproxy's traffic. Scenario A rolls back by policy `auto`; scenario B by a person
 * pressing the Slack button and submitting the modal (policy `approve`). Durations are printed, never asserted.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { IncidentDetail } from '../../src/engine/views.js';
import { ACTIONS, INPUTS, VIEWS } from '../../src/slack/ids.js';
import { eventually } from '../helpers/bot-process.js';
import { buttonPress, sendSigned, viewSubmission } from '../helpers/slack.js';
import type { SlackCall } from '../helpers/slack-standin.js';
import { serverStates } from './stack/haproxy-runtime.js';
import { summarize } from './stack/load-generator.js';
import { printStageTable, stageRows, type StageRow } from './stack/stage-report.js';
import { CHANNEL, MODEL, startStack, type Stack } from './stack/stack.js';

// v2 starts failing three requests in ten and answering in 700 ms (healthy: none, ~5 ms).
const DEGRADED = { errorRate: 0.3, latencyMs: 700 };
const APPROVER = 'U0ANA';
const SCENARIO_TIMEOUT_MS = 200_000;
const STACK_TIMEOUT_MS = 120_000;

const stages: StageRow[] = [];
afterAll(() => printStageTable(stages));

describe('real stack, policy auto: alert → automatic rollback in haproxy → confirmed → retrospective', () => {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack({ policy: 'auto', approvers: [] });
  }, STACK_TIMEOUT_MS);
  afterAll(async () => stack?.stop(), 60_000);

  it(
    'rolls v2 back to v1 without a person and resolves on real PromQL',
    async () => {
      const s = requireStack(stack);
      onTestFailed(() => console.log(s.diagnostics()));
      await s.deployV2();
      const degradedAt = Date.now();
      await s.v2.degrade(DEGRADED);

      const opened = await eventually(
        () => s.latestIncident(),
        90_000,
        'an incident from the Prometheus alert',
      );
      const incident = await waitForResolution(s, opened.id);

      expect(incident.rollback).toMatchObject({
        status: 'succeeded',
        trigger: 'auto',
        by: 'rollbot',
        plan: { from: 'v2', to: 'v1', regime: 'traffic-flip' },
      });
      expect(timelineTypes(incident)).not.toContain('decision.requested');
      await expectFullRunbook(s, incident);
      stages.push(...stageRows('A: auto', incident, degradedAt));
    },
    SCENARIO_TIMEOUT_MS,
  );
});

describe('real stack, policy approve: signed Slack button → modal → submission → rollback', () => {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack({ policy: 'approve', approvers: [APPROVER] });
  }, STACK_TIMEOUT_MS);
  afterAll(async () => stack?.stop(), 60_000);

  it(
    'asks a person, who rolls back from the modal; traffic moves only then',
    async () => {
      const s = requireStack(stack);
      onTestFailed(() => console.log(s.diagnostics()));
      await s.deployV2();
      const degradedAt = Date.now();
      await s.v2.degrade(DEGRADED);

      const opened = await eventually(
        () => s.latestIncident(),
        90_000,
        'an incident from the Prometheus alert',
      );
      const asked = await eventually(
        async () => {
          const incident = await s.incident(opened.id);
          return timelineTypes(incident).includes('decision.requested') ? incident : undefined;
        },
        60_000,
        'triage to ask for a decision',
      );
      expect(asked.triage?.finding).toBe('breach');
      // Policy approve: nothing moved on its own.
      expect(asked.rollback).toBeUndefined();
      expect(await servingVersions(s)).toEqual(['v2']);
      const request = await eventually(
        async () =>
          s.slack.calls.find((call) => isThreadReply(call) && mentions(call, ACTIONS.decisionRollback)),
        30_000,
        'the decision request in the incident thread',
      );
      expect(request.form.channel).toBe(CHANNEL);

      const press = await sendSigned(
        s.bot.url,
        buttonPress(ACTIONS.decisionRollback, { incidentId: opened.id, model: MODEL }, APPROVER),
      );
      expect(press.status).toBe(200);
      const opening = await eventually(
        async () => s.slack.calls.find((call) => call.method === 'views.open'),
        30_000,
        'views.open for the rollback modal',
      );
      const viewId = String((opening.answer.view as { id: string }).id);
      const planned = await eventually(
        async () =>
          s.slack.calls.find((call) => call.method === 'views.update' && call.form.view_id === viewId),
        30_000,
        'the rollback modal with the plan (views.update)',
      );
      const modal = jsonField(planned, 'view') as { callback_id?: string; private_metadata?: string };
      expect(modal.callback_id).toBe(VIEWS.rollback);

      const reason = 'v2 fails 30% of requests since the deploy; back to v1';
      const submit = await sendSigned(
        s.bot.url,
        viewSubmission(
          VIEWS.rollback,
          { [INPUTS.reason.block]: { [INPUTS.reason.action]: { type: 'plain_text_input', value: reason } } },
          JSON.parse(modal.private_metadata ?? '{}') as Record<string, string>,
          { user: APPROVER, viewId },
        ),
      );
      expect(submit.status).toBe(200);

      const incident = await waitForResolution(s, opened.id);
      expect(incident.rollback).toMatchObject({
        status: 'succeeded',
        trigger: 'slack',
        by: APPROVER,
        plan: { from: 'v2', to: 'v1', regime: 'traffic-flip' },
      });
      expect(incident.rollback?.reason).toContain(reason);
      const reply = s.slack.calls.find(
        (call) =>
          call.method === 'chat.postEphemeral' && (call.form.text ?? '').includes('Rolled back to v1'),
      );
      expect(reply?.form.user).toBe(APPROVER);
      await expectFullRunbook(s, incident);
      stages.push(...stageRows('B: approve', incident, degradedAt));
    },
    SCENARIO_TIMEOUT_MS,
  );
});

function requireStack(stack: Stack | undefined): Stack {
  if (!stack) throw new Error('the stack did not start (see beforeAll)');
  return stack;
}

/**
 * Waits until the incident is resolved; stops waiting at once when the rollback failed or confirmation ended
 * in anything but PASS, with what the bot recorded.
 */
async function waitForResolution(stack: Stack, id: string): Promise<IncidentDetail> {
  return eventually(
    async () => {
      const incident = await stack.incident(id);
      const verdict = incident.confirmation?.verdict;
      if (incident.rollback?.status === 'failed' || (verdict !== undefined && verdict !== 'PASS')) {
        const said = incident.timeline.map((entry) => `${entry.type}: ${entry.text}`).join('\n');
        throw new Error(
          `${id} will not resolve (rollback ${incident.rollback?.status}, ${verdict}):\n${said}`,
        );
      }
      return incident.phase === 'resolved' ? incident : undefined;
    },
    150_000,
    `${id} to be resolved`,
  );
}

/** What both scenarios must show once resolved: every stage happened for real, in order. */
async function expectFullRunbook(stack: Stack, incident: IncidentDetail): Promise<void> {
  // Detect: the alert came from Prometheus's rules through Alertmanager.
  expect(incident.alerts.some((alert) => alert.source === 'alertmanager')).toBe(true);
  expect(incident.alerts.map((alert) => alert.name)).toEqual(
    expect.arrayContaining([expect.stringMatching(/^Model(ErrorRate|Latency)High$/)]),
  );
  // ...and links back to the rule's graph in Prometheus (Alertmanager's generatorURL).
  expect(incident.sourceUrl).toMatch(/^https?:\/\/[^/]+\/graph\?g0\.expr=/);
  // Triage: real PromQL over the model servers' metrics found the breach; the business metric was fine.
  expect(incident.triage?.finding).toBe('breach');
  const verdicts = Object.fromEntries(
    (incident.triage?.checks ?? []).map((check) => [check.name, check.verdict]),
  );
  expect(verdicts).toMatchObject({ 'error rate': 'FAIL', 'p99 latency': 'FAIL', 'approval rate': 'PASS' });
  // Rollback: haproxy itself routes to v1 only, and v2 is in maintenance.
  expect(await servingVersions(stack)).toEqual(['v1']);
  const v2 = (await serverStates(stack.haproxy.socketPath, stack.haproxy.backend)).find(
    (s) => s.name === 'v2',
  );
  expect(v2?.serving).toBe(false);
  // The command adapter really ran the switch (it was not "already on v1"): its output is on the timeline.
  const executed = incident.timeline.find((entry) => entry.type === 'rollback.executed');
  expect(executed?.text).toBe('change made');
  expect(String(executed?.data?.output)).toContain(`${MODEL}: traffic on v1; in maintenance: v2`);
  // ...and the clients see it: every request sent after the rollback finished was answered by v1, successfully.
  const since = incident.rollback?.endedAt ?? Number.POSITIVE_INFINITY;
  const after = await eventually(
    async () => {
      const summary = summarize(stack.load.responses, since);
      return summary.total >= 40 ? summary : undefined;
    },
    30_000,
    'load after the rollback',
  );
  expect(after.byVersion).toEqual({ v1: after.total });
  expect(after.failed).toBe(0);
  // ...and so do haproxy's own counters, scraped by Prometheus.
  await eventually(
    async () => {
      const v1Rate = await stack.query(haproxyResponses('v1'));
      const v2Rate = await stack.query(haproxyResponses('v2'));
      return v1Rate !== undefined && v1Rate > 0 && v2Rate === 0 ? true : undefined;
    },
    30_000,
    "haproxy's counters to show traffic on v1 only",
  );
  // Confirm: real queries passed, which resolved the incident.
  expect(incident.confirmation?.verdict).toBe('PASS');
  expect(incident.phase).toBe('resolved');
  // Slack: the incident message, then the retrospective opened in its thread.
  const message = stack.slack.calls.find(
    (call) => call.method === 'chat.postMessage' && call.form.channel === CHANNEL && !call.form.thread_ts,
  );
  expect(message && mentions(message, incident.id), 'incident message naming the incident').toBe(true);
  expect(message?.form.blocks).toContain('|alert source>');
  const retro = await eventually(
    async () =>
      stack.slack.calls.find(
        (call) =>
          isThreadReply(call) &&
          call.form.thread_ts === message?.answer.ts &&
          mentions(call, 'Blameless retrospective'),
      ),
    30_000,
    'the retrospective in the incident thread',
  );
  expect(retro.form.channel).toBe(CHANNEL);
  // The retrospective opens just after resolution: read the incident again now that its message is out.
  const latest = await stack.incident(incident.id);
  expect(latest.retrospective?.incidentId).toBe(incident.id);
  // The timeline, the compliance record, holds every step in order.
  const types = timelineTypes(latest);
  const steps = [
    'incident.opened',
    'triage.result',
    'rollback.started',
    'rollback.executed',
    'rollback.succeeded',
    'confirm.started',
    'confirm.poll',
    'incident.resolved',
    'retro.opened',
  ];
  const positions = steps.map((step) => types.indexOf(step));
  expect(positions, `timeline: ${types.join(', ')}`).not.toContain(-1);
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
}

async function servingVersions(stack: Stack): Promise<string[]> {
  const servers = await serverStates(stack.haproxy.socketPath, stack.haproxy.backend);
  return servers.filter((server) => server.serving).map((server) => server.name);
}

function haproxyResponses(server: string): string {
  return `sum(rate(haproxy_server_http_responses_total{proxy="${MODEL}",server="${server}"}[5s]))`;
}

const timelineTypes = (incident: IncidentDetail): string[] => incident.timeline.map((entry) => entry.type);
const isThreadReply = (call: SlackCall): boolean =>
  call.method === 'chat.postMessage' && !!call.form.thread_ts;
const mentions = (call: SlackCall, text: string): boolean =>
  `${call.form.text ?? ''} ${JSON.stringify(jsonField(call, 'blocks'))}`.includes(text);

/** A structured field of a Web API call: a JSON string in form-encoded calls, already an object in JSON ones. */
function jsonField(call: SlackCall, name: string): unknown {
  const value: unknown = call.form[name];
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : (value ?? null);
}
