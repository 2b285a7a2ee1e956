import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dismiss } from '../../../src/engine/decisions.js';
import { requestRollback } from '../../../src/engine/rollback-request.js';
import { approveDeployment } from '../../../src/engine/approve-deployment.js';
import { deploymentGate } from '../../../src/engine/gate.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { completeRetrospective, getRetrospective } from '../../../src/engine/retro.js';
import { RunbookSet } from '../../../src/engine/runbook-set.js';
import { closeItemActionId } from '../../../src/slack/blocks/retro.js';
import { createSlackApp, type SlackApp } from '../../../src/slack/app.js';
import { ACTIONS, INPUTS, VIEWS } from '../../../src/slack/ids.js';
import { firing } from '../../helpers/alerts.js';
import { makeRunbook, realTimeDeps, type TestDeps, snapshotGroups } from '../../helpers/engine.js';
import { eventually } from '../../helpers/bot-process.js';
import { json, serve } from '../../helpers/http.js';
import { createApp } from '../../../src/http/app.js';
import {
  buttonPress,
  interaction,
  sendSigned,
  slashCommand,
  SIGNING_SECRET,
  viewSubmission,
} from '../../helpers/slack.js';

const API = 'https://slack.test';
let deps: TestDeps;
let slack: SlackApp;
let server: Awaited<ReturnType<typeof serve>>;

/** Bolt answers before its listeners finish: wait for what they do. */
async function settle(check: () => boolean, what: string): Promise<void> {
  await eventually(async () => check() || undefined, 2_000, what);
}

/** Records the form fields of each Slack Web API call. */
const calls: { method: string; form: Record<string, string> }[] = [];
function slackApi(): void {
  nock(API)
    .persist()
    .post(/\/api\/.*/)
    .reply(function (uri, body) {
      const method = uri.replace('/api/', '');
      const form = Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : ''));
      calls.push({ method, form });
      if (method === 'views.open') return [200, { ok: true, view: { id: `V${calls.length}` } }];
      return [200, { ok: true }];
    });
  nock('https://hooks.slack.test')
    .persist()
    .post(/.*/)
    .reply(function (_uri, body) {
      calls.push({ method: 'response_url', form: body as Record<string, string> });
      return [200, 'ok'];
    });
}

beforeEach(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  calls.length = 0;
  slackApi();
  deps = realTimeDeps('fraud-scorer', 'rollback: { policy: approve, approvers: [U0ANA, U0BO] }');
  slack = createSlackApp({
    deps,
    botToken: 'xoxb-test',
    apiUrl: `${API}/api/`,
    transport: { mode: 'http', signingSecret: SIGNING_SECRET },
    groupsOf: async () => ({ groups: [], unchecked: [] }),
  });
  server = await serve(
    createApp({
      deps,
      alerts: { token: 't', allowUnauthenticated: false },
      apiToken: undefined,
      registry: deps.metrics.registry,
      groupsOf: snapshotGroups(deps),
      slack: slack.requestListener!,
    }),
  );
});

afterEach(async () => {
  await server.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

/** The interaction payload of a form-encoded post, to send it again with a field broken. */
function payloadOf(post: { body: string }): Record<string, unknown> {
  return JSON.parse(new URLSearchParams(post.body).get('payload') ?? '{}') as Record<string, unknown>;
}

async function nothingStored() {
  expect(await deps.store.listIncidents({})).toEqual([]);
  expect(deps.fake.calls).toEqual([]);
}

describe('request verification', () => {
  it('answers a valid signed slash command with 200 and the help text', async () => {
    const response = await sendSigned(server.url, slashCommand('/rollbot', 'help'));
    expect(response.status).toBe(200);
    await settle(() => calls.some((call) => call.method === 'response_url'), 'the reply');
    expect(JSON.stringify(calls.find((call) => call.method === 'response_url')?.form)).toContain('/rollback');
  });

  it('refuses a bad signature with 401', async () => {
    const response = await sendSigned(server.url, slashCommand('/rollback', 'fraud-scorer errors'), {
      secret: 'wrong-secret',
    });
    expect(response.status).toBe(401);
    await nothingStored();
  });

  // 10 s past the window: the stamp is whole seconds and the request takes a while on a loaded machine, so
  // one second past it would sometimes arrive inside it.
  it.each([
    ['stale', -310],
    ['future', +310],
  ])('refuses a %s timestamp (%d s) with 401', async (_name, offset) => {
    const response = await sendSigned(server.url, slashCommand('/rollback', 'fraud-scorer errors'), {
      timestamp: Math.floor(Date.now() / 1000) + offset,
    });
    expect(response.status).toBe(401);
    expect((await json(response)).error.message).toMatch(
      /^request timestamp is 3[01]\d s from now; Slack requests must be within 300 s$/,
    );
    await nothingStored();
    expect(calls).toEqual([]);
  });

  it('accepts a timestamp just inside the window', async () => {
    const response = await sendSigned(server.url, slashCommand('/rollbot', 'help'), {
      timestamp: Math.floor(Date.now() / 1000) + 290,
    });
    expect(response.status).toBe(200);
  });

  it('refuses a wrong content type and a malformed payload with 4xx, and stores nothing', async () => {
    const wrongType = await sendSigned(server.url, slashCommand('/rollback', 'fraud-scorer x'), {
      contentType: 'text/plain',
    });
    expect(wrongType.status).toBeGreaterThanOrEqual(400);
    expect(wrongType.status).toBeLessThan(500);
    const malformed = await sendSigned(server.url, {
      body: 'payload=%7Bnot-json',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(malformed.status).toBeGreaterThanOrEqual(400);
    expect(malformed.status).toBeLessThan(500);
    await nothingStored();
  });

  it.each([
    ['JSON null', { body: 'null', contentType: 'application/json' }],
    ['payload=null', { body: 'payload=null', contentType: 'application/x-www-form-urlencoded' }],
    ['a JSON list', { body: '[1]', contentType: 'application/json' }],
  ])(
    'refuses a signed body that is not an object (%s) with 400 naming it, and 401 unsigned',
    async (_name, post) => {
      const response = await sendSigned(server.url, post);
      expect(response.status).toBe(400);
      expect((await json(response)).error).toMatchObject({
        code: 'BAD_REQUEST',
        message: 'the body is not a Slack payload: expected a JSON object, or a form whose payload is one',
      });
      expect((await sendSigned(server.url, post, { secret: 'wrong-secret' })).status).toBe(401);
      await nothingStored();
    },
  );

  it('refuses a signed interaction whose envelope Bolt cannot read with 400 and the reason, not 500', async () => {
    const press = payloadOf(buttonPress(ACTIONS.acknowledge, { incidentId: 'INC-404' }));
    const { user: _user, ...withoutUser } = press;
    const response = await sendSigned(server.url, interaction(withoutUser));
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^the Slack payload is malformed: /),
    });
    const fromProto = slashCommand('/rollbot', 'help', 'U0ANA', { team_id: '__proto__' });
    expect((await sendSigned(server.url, fromProto)).status).toBe(400);
    await nothingStored();
  });

  it('answers a modal submission without state with the modal error from its listener, not from Bolt after a timeout', async () => {
    const submit = payloadOf(viewSubmission(VIEWS.rollback, {}, { model: 'fraud-scorer' }));
    delete (submit.view as Record<string, unknown>).state;
    const response = await sendSigned(server.url, interaction(submit));
    // Bolt answers a request nobody acknowledged with an empty 404 (after unhandledRequestTimeoutMillis in
    // src/slack/app.ts): this answer is the listener's own ack.
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      response_action: 'errors',
      errors: { [INPUTS.reason.block]: 'Say why: the reason goes on the incident record.' },
    });
    await nothingStored();
  });

  it('refuses a request without a timestamp', async () => {
    const response = await fetch(`${server.url}/slack/events`, {
      method: 'POST',
      body: 'x=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(401);
  });
});

describe('the Roll back button', () => {
  async function incident() {
    await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
    return { incidentId: 'INC-1', model: 'fraud-scorer' };
  }

  it('opens a modal with the plan, and the submission rolls back once', async () => {
    const ids = await incident();
    expect((await sendSigned(server.url, buttonPress(ACTIONS.rollback, ids))).status).toBe(200);
    await settle(() => calls.some((call) => call.method === 'views.update'), 'the plan');
    const opened = calls.find((call) => call.method === 'views.open');
    expect(opened?.form.view).toContain('planning the rollback');
    const planned = JSON.parse(calls.find((call) => call.method === 'views.update')?.form.view ?? '{}');
    expect(planned.callback_id).toBe(VIEWS.rollback);
    expect(JSON.stringify(planned.blocks)).toContain('v42');
    expect(JSON.parse(planned.private_metadata)).toMatchObject({
      model: 'fraud-scorer',
      incidentId: 'INC-1',
      channel: 'C0TEST0001',
    });

    const values = {
      [INPUTS.reason.block]: { [INPUTS.reason.action]: { type: 'plain_text_input', value: 'p99 doubled' } },
    };
    const submit = viewSubmission(VIEWS.rollback, values, JSON.parse(planned.private_metadata), {
      viewId: 'V-SAME',
    });
    expect((await sendSigned(server.url, submit)).status).toBe(200);
    // The same submission again (a double click on Submit): one request.
    expect((await sendSigned(server.url, submit)).status).toBe(200);
    await settle(() => calls.some((call) => call.method === 'chat.postEphemeral'), 'the reply');
    expect(deps.fake.mutations).toBe(1);
    expect(
      calls.filter((call) => call.method === 'chat.postEphemeral').map((call) => call.form.text),
    ).toEqual(['Rolled back to v41 (INC-1); confirmation is running — progress in the incident thread.']);
    expect((await deps.store.getIncident('INC-1'))?.decision).toMatchObject({
      by: 'U0ANA',
      trigger: 'slack',
      reason: 'p99 doubled',
    });
  });

  it('does not roll back again when a second modal is submitted after the first rollback finished', async () => {
    const ids = await incident();
    await sendSigned(server.url, buttonPress(ACTIONS.rollback, ids));
    await settle(() => calls.some((call) => call.method === 'views.update'), 'the plan');
    // Ana and Bob opened the modal at the same alert: both show v42 → v41 and carry the same metadata.
    const meta = JSON.parse(
      JSON.parse(calls.find((call) => call.method === 'views.update')?.form.view ?? '{}').private_metadata,
    );
    const values = {
      [INPUTS.reason.block]: { [INPUTS.reason.action]: { type: 'plain_text_input', value: 'p99 doubled' } },
    };
    const replies = () => calls.filter((call) => call.method === 'chat.postEphemeral');
    await sendSigned(
      server.url,
      viewSubmission(VIEWS.rollback, values, meta, { user: 'U0ANA', viewId: 'V-ANA' }),
    );
    await settle(() => replies().length === 1, "Ana's reply");
    await sendSigned(
      server.url,
      viewSubmission(VIEWS.rollback, values, meta, { user: 'U0BO', viewId: 'V-BO' }),
    );
    await settle(() => replies().length === 2, "Bob's reply");
    expect(replies()[1]?.form).toMatchObject({ user: 'U0BO' });
    // Bob's modal was planned from v42: refused because v41 serves now, before the plan would meet v41 serving.
    expect(replies()[1]?.form.text).toContain(
      'fraud-scorer serves v41 now, not v42 as when this rollback was asked for (rolled back from v42 by U0ANA in INC-1 at ',
    );
    expect(replies()[1]?.form.text).toContain(
      'fix: to roll back from v41 now, start a new rollback and check its plan (in Slack: press Roll back again, or /rollback fraud-scorer)',
    );
    expect(deps.fake.mutations).toBe(1);
    expect((await deps.store.getIncident('INC-1'))?.rollback).toMatchObject({ attempt: 1, by: 'U0ANA' });
  });

  it('executes once when two people submit at the same moment, and tells the second who is rolling back', async () => {
    const ids = await incident();
    let release: () => void = () => {};
    deps.fake.duringExecute = () => new Promise<void>((resolve) => (release = resolve));
    const meta = { ...ids, channel: 'C0TEST0001' };
    const reason = (text: string) => ({
      [INPUTS.reason.block]: { [INPUTS.reason.action]: { type: 'plain_text_input', value: text } },
    });
    await sendSigned(server.url, viewSubmission(VIEWS.rollback, reason('errors'), meta, { user: 'U0ANA' }));
    await settle(() => deps.fake.calls.includes('execute'), 'the first execution');
    await sendSigned(
      server.url,
      viewSubmission(VIEWS.rollback, reason('errors too'), meta, { user: 'U0BO' }),
    );
    await settle(() => calls.some((call) => call.method === 'chat.postEphemeral'), 'the refusal');
    release();
    await settle(
      () => calls.filter((call) => call.method === 'chat.postEphemeral').length === 2,
      'both replies',
    );
    const replies = calls
      .filter((call) => call.method === 'chat.postEphemeral')
      .map((call) => [call.form.user, call.form.text]);
    expect(replies[0]?.[0]).toBe('U0BO');
    expect(replies[0]?.[1]).toMatch(/^⚠️ rollback of fraud-scorer by U0ANA via slack in progress since /);
    expect(deps.fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
  });

  it('refuses a submission without a reason inside the modal', async () => {
    const ids = await incident();
    const response = await sendSigned(
      server.url,
      viewSubmission(
        VIEWS.rollback,
        { [INPUTS.reason.block]: { [INPUTS.reason.action]: { value: ' ' } } },
        ids,
      ),
    );
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      response_action: 'errors',
      errors: { [INPUTS.reason.block]: 'Say why: the reason goes on the incident record.' },
    });
    expect(deps.fake.calls).toEqual([]);
  });

  it('denies someone the runbook does not allow, with an ephemeral message and a timeline entry', async () => {
    const ids = await incident();
    const values = { [INPUTS.reason.block]: { [INPUTS.reason.action]: { value: 'x' } } };
    await sendSigned(
      server.url,
      viewSubmission(VIEWS.rollback, values, { ...ids, channel: 'C0TEST0001' }, { user: 'U0MALLORY' }),
    );
    await settle(() => calls.some((call) => call.method === 'chat.postEphemeral'), 'the denial');
    expect(calls.find((call) => call.method === 'chat.postEphemeral')?.form.text).toContain(
      'U0MALLORY may not roll back fraud-scorer',
    );
    expect((await deps.store.list('INC-1')).map((entry) => entry.type)).toContain('permission.denied');
    expect(deps.fake.calls).toEqual([]);
  });
});

describe('the Approve rollback button', () => {
  it("carries its message's incident: pressed after that incident was dismissed, it says so and rolls nothing back", async () => {
    deps.runbooks = new RunbookSet([
      makeRunbook('fraud-scorer', 'rollback: { policy: two-person, approvers: [U0ANA, U0BO, U0CAROL] }'),
    ]);
    await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
    const actor = (id: string) => ({ id, groups: [] });
    await requestRollback(deps, {
      model: 'fraud-scorer',
      reason: 'p99',
      actor: actor('U0ANA'),
      trigger: 'slack',
    });
    await dismiss(deps, 'INC-1', { actor: actor('U0BO'), reason: 'upstream outage', trigger: 'slack' });

    const press = buttonPress(ACTIONS.approve, { incidentId: 'INC-1', model: 'fraud-scorer' }, 'U0CAROL');
    expect((await sendSigned(server.url, press)).status).toBe(200);
    await settle(() => calls.some((call) => call.method === 'chat.postEphemeral'), 'the refusal');
    expect(calls.find((call) => call.method === 'chat.postEphemeral')?.form.text).toContain(
      'INC-1 was dismissed (not a rollback, by U0BO: upstream outage): nothing was rolled back',
    );
    expect(deps.fake.calls).toEqual([]);
    expect(await deps.store.openIncidentFor('fraud-scorer')).toBeUndefined();
  });
});

describe('the Approve deployment button', () => {
  it('approves the next deployment for an approver, and tells anyone else why not', async () => {
    const gate = await deploymentGate(deps, 'fraud-scorer', { requestApproval: true });
    expect(gate.status).toBe('approval required');
    const press = (user: string) => buttonPress(ACTIONS.approveDeployment, { model: 'fraud-scorer' }, user);

    expect((await sendSigned(server.url, press('U0INTERN'))).status).toBe(200);
    await settle(() => calls.some((call) => call.method === 'chat.postEphemeral'), 'the refusal');
    expect(calls.find((call) => call.method === 'chat.postEphemeral')?.form.text).toContain(
      'U0INTERN may not approve fraud-scorer',
    );
    expect((await deploymentGate(deps, 'fraud-scorer')).status).toBe('approval required');

    expect((await sendSigned(server.url, press('U0BO'))).status).toBe(200);
    await settle(
      () => deps.notifier.ofType('channel.message').some((m) => m.text.startsWith('✅')),
      'approval',
    );
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({
      status: 'open',
      approval: { approved: { by: 'U0BO', reason: 'approved in Slack' } },
    });
  });

  it('renews on a press on a deployment approved already, saying so only to the presser, announcing nothing again', async () => {
    await deploymentGate(deps, 'fraud-scorer', { requestApproval: true });
    const press = (user: string) => buttonPress(ACTIONS.approveDeployment, { model: 'fraud-scorer' }, user);
    const approvals = () => deps.notifier.ofType('channel.message').filter((m) => m.text.startsWith('✅'));
    expect((await sendSigned(server.url, press('U0BO'))).status).toBe(200);
    await settle(() => approvals().length === 1, 'the approval');

    expect((await sendSigned(server.url, press('U0ANA'))).status).toBe(200);
    await settle(() => calls.some((call) => call.method === 'chat.postEphemeral'), 'the reply');
    const reply = calls.find((call) => call.method === 'chat.postEphemeral')?.form;
    expect(reply).toMatchObject({ channel: 'C0TEST0001', user: 'U0ANA' });
    expect(reply?.text).toMatch(
      new RegExp(
        `^The next deployment of fraud-scorer was approved already: <@U0BO>'s approval \\(.*\\) is renewed, and lets it through until <!date\\^\\d+\\^\\{date_short_pretty\\} \\{time\\}\\|\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z>\\.$`,
      ),
    );
    expect(approvals()).toHaveLength(1);
    expect((await deploymentGate(deps, 'fraud-scorer')).approval?.approved).toMatchObject({
      by: 'U0BO',
      renewed: { by: 'U0ANA' },
    });
  });

  it('names an approval given through the API by a name, not a user ID, as text when a press renews it', async () => {
    // No approvers listed: anyone may approve, a script through the API under a name included.
    deps.runbooks = new RunbookSet([makeRunbook('fraud-scorer', 'rollback: { policy: approve }')]);
    await deploymentGate(deps, 'fraud-scorer', { requestApproval: true });
    await approveDeployment(deps, 'fraud-scorer', { actor: { id: 'cli:ana', groups: [] }, from: 'api' });

    const press = buttonPress(ACTIONS.approveDeployment, { model: 'fraud-scorer' }, 'U0BO');
    expect((await sendSigned(server.url, press)).status).toBe(200);
    await settle(() => calls.some((call) => call.method === 'chat.postEphemeral'), 'the reply');
    const text = calls.find((call) => call.method === 'chat.postEphemeral')?.form.text;
    expect(text).toContain(": cli:ana's approval (");
    expect(text).not.toContain('<@');
  });
});

describe('slash commands', () => {
  it('answers an unknown model with the known ones, and bad syntax with the usage', async () => {
    await sendSigned(server.url, slashCommand('/rollback', 'fraud-scorr'));
    await sendSigned(server.url, slashCommand('/incident', 'close INC-1'));
    await settle(() => calls.filter((call) => call.method === 'response_url').length === 2, 'two replies');
    const texts = calls
      .filter((call) => call.method === 'response_url')
      .map((call) => JSON.stringify(call.form));
    expect(texts.some((text) => text.includes('did you mean') && text.includes('fraud-scorer'))).toBe(true);
    expect(texts.some((text) => text.includes('unknown subcommand'))).toBe(true);
    await nothingStored();
  });

  it('acknowledges and lists incidents', async () => {
    await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
    await sendSigned(server.url, slashCommand('/incident', 'ack inc-1', 'U0BO'));
    await settle(() => calls.some((call) => call.method === 'response_url'), 'the ack reply');
    expect((await deps.store.getIncident('INC-1'))?.acknowledged?.by).toBe('U0BO');
    await sendSigned(server.url, slashCommand('/incident', 'list'));
    await settle(() => calls.filter((call) => call.method === 'response_url').length === 2, 'the list');
    expect(JSON.stringify(calls.at(-1)?.form)).toContain('INC-1');
  });
});

describe('who may resolve and close retrospectives', () => {
  /** The reply the user got, from a slash command (response_url) or a button (an ephemeral message). */
  async function lastReply(): Promise<string> {
    await settle(
      () => calls.some((call) => ['response_url', 'chat.postEphemeral'].includes(call.method)),
      'the reply',
    );
    return JSON.stringify(calls.filter((call) => call.method !== 'views.open').at(-1)?.form);
  }
  async function denials(incidentId: string) {
    return (await deps.store.list(incidentId)).filter((entry) => entry.type === 'permission.denied');
  }

  it('refuses /incident resolve from someone the runbook does not list, and records it', async () => {
    await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
    await sendSigned(server.url, slashCommand('/incident', 'resolve INC-1 looks fine', 'U0MALLORY'));
    expect(await lastReply()).toContain('U0MALLORY may not resolve fraud-scorer');
    expect((await deps.store.getIncident('INC-1'))?.phase).toBe('triage');
    expect(await denials('INC-1')).toHaveLength(1);
    calls.length = 0;
    await sendSigned(server.url, slashCommand('/incident', 'resolve INC-1 upstream fixed', 'U0BO'));
    expect(await lastReply()).toContain('INC-1 resolved');
    expect((await deps.store.getIncident('INC-1'))?.phase).toBe('resolved');
  });

  it('dismisses by /incident dismiss only for someone the runbook lists, recording a refusal', async () => {
    await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
    await sendSigned(server.url, slashCommand('/incident', 'dismiss INC-1 upstream blip', 'U0MALLORY'));
    expect(await lastReply()).toContain('U0MALLORY may not dismiss fraud-scorer');
    expect((await deps.store.getIncident('INC-1'))?.phase).toBe('triage');
    expect(await denials('INC-1')).toHaveLength(1);
    calls.length = 0;
    await sendSigned(server.url, slashCommand('/incident', 'dismiss inc-1 upstream blip', 'U0BO'));
    expect(await lastReply()).toContain('INC-1 dismissed: not a rollback');
    expect((await deps.store.getIncident('INC-1'))?.decision).toMatchObject({
      kind: 'not-rollback',
      by: 'U0BO',
      reason: 'upstream blip',
      trigger: 'slack',
    });
  });

  it('lets only the runbook approvers complete a retrospective or close its action items', async () => {
    await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
    await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'back to normal' });
    const ids = { incidentId: 'INC-1', model: 'fraud-scorer' };
    await sendSigned(server.url, buttonPress(ACTIONS.completeRetro, ids, 'U0MALLORY'));
    // The form opens before anything is read (a trigger lives 3 s), and says so instead of asking anything.
    await settle(() => calls.some((call) => call.method === 'views.update'), 'the form');
    const refused = calls.find((call) => call.method === 'views.update')?.form.view ?? '';
    expect(refused).toContain('U0MALLORY may not complete the retrospective of fraud-scorer');
    expect(JSON.parse(refused)).not.toHaveProperty('callback_id');
    calls.length = 0;
    const submit = viewSubmission(
      VIEWS.retro,
      {
        [INPUTS.rootCause.block]: { [INPUTS.rootCause.action]: { type: 'plain_text_input', value: 'none' } },
      },
      { ...ids, channel: 'C0TEST0001' },
      { user: 'U0MALLORY' },
    );
    await sendSigned(server.url, submit);
    expect(await lastReply()).toContain('may not complete the retrospective');
    expect((await getRetrospective(deps, 'INC-1'))?.completedAt).toBeUndefined();

    const retro = await completeRetrospective(deps, 'INC-1', {
      by: 'U0ANA',
      rootCause: 'a feature pipeline change shifted inputs',
      actionItemsText: '@ana | add an input-drift check to triage | 2026-12-15',
    });
    const item = { ...ids, itemId: retro.actionItems[0]?.id ?? '' };
    calls.length = 0;
    await sendSigned(server.url, buttonPress(closeItemActionId(item.itemId), item, 'U0MALLORY'));
    expect(await lastReply()).toContain('U0MALLORY may not close action items of fraud-scorer');
    expect((await getRetrospective(deps, 'INC-1'))?.actionItems[0]?.status).toBe('open');
    expect(await denials('INC-1')).toHaveLength(3);
    calls.length = 0;
    await sendSigned(server.url, buttonPress(closeItemActionId(item.itemId), item, 'U0BO'));
    expect(await lastReply()).toContain('Closed action item');
    expect((await getRetrospective(deps, 'INC-1'))?.actionItems[0]?.status).toBe('closed');
  });
});

describe('Events API retries', () => {
  it('handles a retried event once', async () => {
    let seen = 0;
    slack.app.event('app_mention', async () => {
      seen++;
    });
    const event = {
      type: 'event_callback',
      team_id: 'T0TEAM',
      api_app_id: 'A0APP',
      event_id: 'Ev0001',
      event_time: 1,
      event: {
        type: 'app_mention',
        user: 'U0ANA',
        text: 'hi',
        ts: '1.1',
        channel: 'C0TEST0001',
        event_ts: '1.1',
      },
    };
    const post = { body: JSON.stringify(event), contentType: 'application/json' };
    await sendSigned(server.url, post);
    await sendSigned(server.url, post, {
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
    });
    await settle(() => seen > 0, 'the event');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toBe(1);
  });
});
