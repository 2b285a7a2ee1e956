import { randomUUID } from 'node:crypto';
import { LogLevel, WebClient } from '@slack/web-api';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { createGroupResolver, type GroupResolver } from '../../../src/engine/group-membership.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { completeRetrospective } from '../../../src/engine/retro.js';
import { createApp } from '../../../src/http/app.js';
import { startBot } from '../../../src/main.js';
import { slackGroupDirectory } from '../../../src/slack/usergroups.js';
import { createRedisStore } from '../../../src/store/redis/store.js';
import { firing } from '../../helpers/alerts.js';
import { runbookDir } from '../../helpers/bot-process.js';
import { makeDeps, makeRunbook, runbookYaml, TestClock, type TestDeps } from '../../helpers/engine.js';
import { apiPost, json, serve } from '../../helpers/http.js';

const API = 'https://slack.test';
const DAY = 86_400_000;

/** fraud-scorer's approvers are one user group only, as in runbooks/fraud-scorer.yml. */
const RUNBOOK = makeRunbook('fraud-scorer', 'rollback: { policy: approve, approvers: [S0ONCALL1] }');

let deps: TestDeps;
let groupsOf: GroupResolver;
let server: Awaited<ReturnType<typeof serve>>;
/** Slack's answer to usergroups.users.list: the group's members, or an outage. */
let slack: { members: string[] } | 'down';

beforeEach(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  slack = { members: ['U0ANA'] };
  nock(API)
    .persist()
    .post('/api/usergroups.users.list')
    .reply(() => (slack === 'down' ? [503, 'unavailable'] : [200, { ok: true, users: slack.members }]));
  const clock = new TestClock();
  const store = createRedisStore({ redis: inject('redisUrl'), prefix: `test:${randomUUID()}:` });
  deps = makeDeps({ runbooks: [RUNBOOK], clock, store });
  // The one resolver of the bot, as src/compose.ts builds it: the Slack layer and the API share it.
  groupsOf = createGroupResolver({
    store,
    clock,
    logger: deps.logger,
    directory: slackGroupDirectory(
      new WebClient('xoxb-test', {
        slackApiUrl: `${API}/api/`,
        retryConfig: { retries: 0 },
        logLevel: LogLevel.ERROR,
      }),
    ),
  });
  server = await serve(
    createApp({
      deps,
      alerts: { token: 't', allowUnauthenticated: false },
      apiToken: 'api-t',
      registry: deps.metrics.registry,
      groupsOf,
    }),
  );
  await ingestAlerts(deps, [firing('fraud-scorer', clock.now())]);
});

afterEach(async () => {
  await server.close();
  await deps.store.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

function post(path: string, body: unknown) {
  return apiPost(`${server.url}${path}`, body);
}

const dismissAs = (dismissedBy: string) =>
  post('/api/incidents/INC-1/dismiss', { dismissedBy, reason: 'upstream outage, not the model' });

/** What a refusal must leave as it was: the incident, its deadlines, and the gate's state. */
async function stored() {
  return {
    incident: await deps.store.getIncident('INC-1'),
    timeline: await deps.store.list('INC-1'),
    deadlines: await deps.store.pending(),
    approval: await deps.store.getValue('deploy-approval:fraud-scorer'),
    override: await deps.store.getValue('gate-override:fraud-scorer'),
  };
}

/** Only the recorded denials were added. */
async function expectOnlyDenials(before: Awaited<ReturnType<typeof stored>>, actors: string[]) {
  const after = await stored();
  expect({ ...after, timeline: after.timeline.slice(0, before.timeline.length) }).toEqual(before);
  expect(after.timeline.slice(before.timeline.length)).toEqual(
    actors.map((actor) => expect.objectContaining({ type: 'permission.denied', actor })),
  );
}

describe('the API checks group approvers with the bot’s group resolver', () => {
  it('lets a member of the approver group dismiss while Slack is up', async () => {
    const response = await dismissAs('U0ANA');
    expect(response.status).toBe(200);
    expect(await deps.store.getIncident('INC-1')).toMatchObject({
      phase: 'dismissed',
      decision: { kind: 'not-rollback', by: 'U0ANA', trigger: 'api' },
    });
    expect(await deps.store.pending()).toEqual([]);
  });

  it('lets a member approve the next deployment and override the gate while Slack is up', async () => {
    const approved = await post('/api/gate/fraud-scorer/approve', {
      approvedBy: 'U0ANA',
      reason: 'reviewed',
    });
    expect(approved.status).toBe(200);
    expect(await json(approved)).toMatchObject({ approval: { approved: { by: 'U0ANA' } } });
    // An open action item for the override to waive (one with nothing to waive is refused).
    await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'back to normal' });
    await completeRetrospective(deps, 'INC-1', {
      by: 'U0ANA',
      rootCause: 'a feature pipeline change',
      actionItemsText: '@ana | add an input-drift check | 2026-12-15',
    });
    const overridden = await post('/api/gate/fraud-scorer/override', {
      approvedBy: 'U0ANA',
      reason: 'hotfix cannot wait',
    });
    expect(overridden.status).toBe(200);
    // The override is recorded, and opens the gate despite the action item.
    expect(await json(overridden)).toMatchObject({ allowed: true, override: { by: 'U0ANA' } });
    expect(JSON.parse((await deps.store.getValue('gate-override:fraud-scorer')) ?? 'null')).toMatchObject({
      by: 'U0ANA',
    });
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
      type: 'gate.overridden',
      actor: 'U0ANA',
    });
  });

  it('refuses someone Slack says is not in the group, as before, changing nothing but the recorded denial', async () => {
    const before = await stored();
    const response = await dismissAs('U0BO');
    expect(response.status).toBe(403);
    expect((await json(response)).error).toEqual({
      code: 'FORBIDDEN',
      message: 'U0BO may not dismiss fraud-scorer: the runbook allows S0ONCALL1',
      hint: 'ask one of S0ONCALL1, or add yourself to rollback.approvers in runbooks/fraud-scorer.yml',
    });
    const approval = await post('/api/gate/fraud-scorer/approve', { approvedBy: 'U0BO' });
    expect(approval.status).toBe(403);
    await expectOnlyDenials(before, ['U0BO', 'U0BO']);
  });

  it('refuses a user-group ID named as the person acting: a group is not a member of itself', async () => {
    // Anyone holding API_TOKEN could otherwise copy the group ID from the runbook and pass every check.
    const before = await stored();
    const dismissed = await dismissAs('S0ONCALL1');
    expect(dismissed.status).toBe(403);
    expect((await json(dismissed)).error).toEqual({
      code: 'FORBIDDEN',
      message:
        'S0ONCALL1 may not dismiss fraud-scorer: the runbook allows S0ONCALL1; S0ONCALL1 is a user group, not a person',
      hint: 'name yourself by your Slack user ID (U…/W…): a member of S0ONCALL1 is let through as one; or ask one of S0ONCALL1, or add yourself to rollback.approvers in runbooks/fraud-scorer.yml',
    });
    const override = await post('/api/gate/fraud-scorer/override', {
      approvedBy: 'S0ONCALL1',
      reason: 'hotfix cannot wait',
    });
    expect(override.status).toBe(403);
    await expectOnlyDenials(before, ['S0ONCALL1', 'S0ONCALL1']);
  });

  it('lets the snapshot of the group decide while Slack is down', async () => {
    // The Slack layer read the group two days ago (someone pressed a button); Slack has been down since.
    await groupsOf('U0ANA', ['S0ONCALL1']);
    slack = 'down';
    deps.clock.advance(2 * DAY);

    const before = await stored();
    const outsider = await dismissAs('U0BO');
    expect(outsider.status).toBe(403);
    expect((await json(outsider)).error.message).toBe(
      'U0BO may not dismiss fraud-scorer: the runbook allows S0ONCALL1',
    );
    await expectOnlyDenials(before, ['U0BO']);

    const member = await dismissAs('U0ANA');
    expect(member.status).toBe(200);
    expect(await deps.store.getIncident('INC-1')).toMatchObject({
      phase: 'dismissed',
      decision: { by: 'U0ANA', trigger: 'api' },
    });
  });

  it('refuses while Slack is down and no snapshot is recent, saying membership could not be checked', async () => {
    await groupsOf('U0ANA', ['S0ONCALL1']);
    slack = 'down';
    deps.clock.advance(8 * DAY);

    const before = await stored();
    const response = await dismissAs('U0ANA');
    expect(response.status).toBe(403);
    expect((await json(response)).error).toEqual({
      code: 'FORBIDDEN',
      message: expect.stringMatching(
        /^U0ANA may not dismiss fraud-scorer: the runbook allows S0ONCALL1; membership of S0ONCALL1 could not be checked: Slack did not answer \(.*503\), and the last snapshot of its members is 8d old \(snapshots count for 7d\)$/,
      ),
      hint:
        'act as a user ID that rollback.approvers lists, or try again once Slack answers (group members are read from Slack, or from a snapshot of them under 7d old); ' +
        'or ask one of S0ONCALL1, or add yourself to rollback.approvers in runbooks/fraud-scorer.yml',
    });
    const override = await post('/api/gate/fraud-scorer/override', { approvedBy: 'U0ANA', reason: 'hotfix' });
    expect(override.status).toBe(403);
    expect((await json(override)).error.message).toMatch(/membership of S0ONCALL1 could not be checked/);
    await expectOnlyDenials(before, ['U0ANA', 'U0ANA']);
  });
});

describe('the bot as src/main.ts composes it', () => {
  it("gives the API the Slack layer's resolver: a group approver dismisses over the API while Slack is up", async () => {
    const dir = await runbookDir({
      'fraud-scorer.yml': runbookYaml(
        'fraud-scorer',
        'rollback: { policy: approve, approvers: [S0ONCALL1] }',
      ),
    });
    const bot = await startBot({
      RUNBOOKS_DIR: dir,
      PORT: '0',
      LOG_LEVEL: 'silent',
      API_TOKEN: 'api-t',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'signing-secret-for-tests',
      SLACK_API_URL: `${API}/api/`,
    });
    try {
      // Every other Slack call (the incident message) is answered ok.
      nock(API)
        .persist()
        .post(/\/api\/(?!usergroups).*/)
        .reply(200, { ok: true, ts: '1.1', channel: 'C0TEST0001' });
      await ingestAlerts(bot.deps, [firing('fraud-scorer', bot.deps.clock.now())]);
      const response = await fetch(`${bot.url}/api/incidents/INC-1/dismiss`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer api-t' },
        body: JSON.stringify({ dismissedBy: 'U0ANA', reason: 'upstream outage, not the model' }),
      });
      expect(response.status).toBe(200);
      expect((await bot.deps.store.getIncident('INC-1'))?.decision).toMatchObject({
        by: 'U0ANA',
        trigger: 'api',
      });
      expect(JSON.parse((await bot.deps.store.getValue('usergroup:S0ONCALL1')) ?? 'null')).toMatchObject({
        members: ['U0ANA'],
      });
    } finally {
      await bot.stop();
    }
  });

  it('keeps a snapshot of every approver group from the start, before anyone acts through it', async () => {
    const dir = await runbookDir({
      'fraud-scorer.yml': runbookYaml('fraud-scorer', 'rollback: { approvers: [S0ONCALL1, U0LEAD] }'),
    });
    const bot = await startBot({
      RUNBOOKS_DIR: dir,
      PORT: '0',
      LOG_LEVEL: 'silent',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'signing-secret-for-tests',
      SLACK_API_URL: `${API}/api/`,
    });
    try {
      // Nobody acts: the snapshot is the bot's own doing (a 15 s wait only detects a hang).
      await vi.waitFor(
        async () =>
          expect(JSON.parse((await bot.deps.store.getValue('usergroup:S0ONCALL1')) ?? 'null')).toMatchObject({
            members: ['U0ANA'],
          }),
        { timeout: 15_000, interval: 20 },
      );
      slack = 'down';
      expect(await bot.deps.groupsOf('U0ANA', ['S0ONCALL1'])).toEqual({
        groups: ['S0ONCALL1'],
        unchecked: [],
      });
    } finally {
      await bot.stop();
    }
  });
});
