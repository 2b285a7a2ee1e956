import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { completeRetrospective } from '../../../src/engine/retro.js';
import { firing } from '../../helpers/alerts.js';
import { useServedApp } from '../../helpers/api.js';
import { makeDeps, makeRunbook } from '../../helpers/engine.js';
import { apiFetch, apiPost, json, serveApp } from '../../helpers/http.js';
import { permanent } from '../../helpers/fake-serving.js';

const app = useServedApp();

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return apiPost(`${app.server.url}${path}`, body, headers);
}

describe('POST /api/rollbacks', () => {
  it('rolls back through the engine and answers with the outcome and steps', async () => {
    const response = await post('/api/rollbacks', {
      model: 'fraud-scorer',
      reason: 'p99 doubled',
      requestedBy: 'ci:deploy-42',
    });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({
      outcome: 'succeeded',
      incidentId: 'INC-1',
      plan: { from: 'v42', to: 'v41' },
    });
    expect(body.steps.map((step: { kind: string }) => step.kind)).toEqual([
      'state',
      'plan',
      'executing',
      'executed',
      'on-target',
    ]);
    expect((await app.deps.store.getIncident('INC-1'))?.decision).toMatchObject({
      by: 'ci:deploy-42',
      trigger: 'api',
    });
  });

  it('streams each step as NDJSON when asked', async () => {
    const response = await post(
      '/api/rollbacks',
      { model: 'fraud-scorer', reason: 'x', toVersion: 'v40' },
      { accept: 'application/x-ndjson' },
    );
    expect(response.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.slice(0, -1).map((line) => line.step.kind)).toEqual([
      'state',
      'plan',
      'executing',
      'executed',
      'on-target',
    ]);
    expect(lines.at(-1).result).toMatchObject({ outcome: 'succeeded', plan: { to: 'v40' } });
  });

  it('ends the stream with the error when the rollback is refused after its first step', async () => {
    const response = await post(
      '/api/rollbacks',
      { model: 'fraud-scorer', reason: 'x', fromVersion: 'v40' },
      { accept: 'application/x-ndjson' },
    );
    expect(response.status).toBe(200);
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => Object.keys(line)[0])).toEqual(['step', 'error']);
    expect(lines.at(-1).error).toEqual({
      code: 'CONFLICT',
      message:
        'fraud-scorer serves v42 now, not v40 as when this rollback was asked for; rollbot did not roll back again',
      hint: 'to roll back further (v42 → v41), start a new rollback and check its plan, or name the version: /rollback fraud-scorer to v41 in Slack, rollbot rollback fraud-scorer --to v41, or toVersion in the API',
    });
    expect(app.deps.fake.mutations).toBe(0);
  });

  it('plans without changing anything on a dry run', async () => {
    const body = await json(post('/api/rollbacks', { model: 'fraud-scorer', reason: 'x', dryRun: true }));
    expect(body).toMatchObject({ outcome: 'dry-run' });
    expect(app.deps.fake.mutations).toBe(0);
    expect(await app.deps.store.listIncidents({})).toEqual([]);
  });

  it('answers 502 with the reason when the rollback failed', async () => {
    app.deps.fake.executeErrors.push(permanent());
    const response = await post('/api/rollbacks', { model: 'fraud-scorer', reason: 'x' });
    expect(response.status).toBe(502);
    expect(await json(response)).toMatchObject({
      outcome: 'failed',
      error: { message: 'HTTP 403: forbidden' },
    });
  });

  it('answers 409 to a retried request whose fromVersion no longer serves, instead of rolling back further', async () => {
    const request = { model: 'fraud-scorer', reason: 'p99 doubled', fromVersion: 'v42' };
    expect((await post('/api/rollbacks', request)).status).toBe(200);
    const retried = await post('/api/rollbacks', request);
    expect(retried.status).toBe(409);
    expect((await json(retried)).error).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(
        /^fraud-scorer serves v41 now, not v42 as when this rollback was asked for/,
      ),
    });
    expect(app.deps.fake.mutations).toBe(1);
  });

  it('answers 409 while another rollback holds the lock', async () => {
    await app.deps.store.acquire('rollback:fraud-scorer', 'U1 via slack', 600_000, app.deps.clock.now());
    const response = await post('/api/rollbacks', { model: 'fraud-scorer', reason: 'x' });
    expect(response.status).toBe(409);
    expect((await json(response)).error.message).toMatch(
      /^rollback of fraud-scorer by U1 via slack in progress since/,
    );
  });

  it.each([
    [{ model: 'fraud-scorer' }, 'reason'],
    [
      { model: 'fraud-scorer', reason: 'x', toVerison: 'v1' },
      'toVerison: unknown field (did you mean "toVersion"?)',
    ],
    [{ model: 'fraud-scorer', reason: 'x', dryRun: 'yes' }, 'dryRun'],
  ])('refuses %j with 400 naming %s, and changes nothing', async (body, named) => {
    const response = await post('/api/rollbacks', body);
    expect(response.status).toBe(400);
    expect((await json(response)).error.message).toContain(named);
    expect(app.deps.fake.calls).toEqual([]);
    expect(await app.deps.store.listIncidents({})).toEqual([]);
  });

  it('refuses a body over 1 MiB with 413 and a fix for an API body, not for an alert webhook', async () => {
    const response = await post('/api/deployments', {
      model: 'fraud-scorer',
      version: 'v43',
      spec: { padding: 'x'.repeat(1024 * 1024) },
    });
    expect(response.status).toBe(413);
    const { error } = await json(response);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.hint).not.toMatch(/alert/i);
    expect(error.hint).toContain('spec');
    expect(await app.deps.store.deployments('fraud-scorer')).toEqual([]);
  });

  it('says which field is missing and what it takes, in words, not a parser dump', async () => {
    const response = await post('/api/rollbacks', { model: 'fraud-scorer', dryRun: 'yes' });
    expect((await json(response)).error.message).toBe(
      'invalid rollback request: reason: missing: expected a string; dryRun: expected true or false, got "yes"',
    );
  });

  it('refuses a blank toVersion or fromVersion with 400 instead of rolling back to or from a version named " "', async () => {
    for (const field of ['toVersion', 'fromVersion']) {
      const body = { model: 'fraud-scorer', reason: 'p99', [field]: ' ' };
      const response = await post('/api/rollbacks', body);
      expect(response.status).toBe(400);
      expect((await json(response)).error.message).toBe(
        `invalid rollback request: ${field}: is blank: give the version as the serving layer names it`,
      );
    }
    expect(app.deps.fake.calls).toEqual([]);
    expect(await app.deps.store.listIncidentHeads({ limit: 10 })).toEqual([]);
  });

  it('answers 404 for an unknown model', async () => {
    const response = await post('/api/rollbacks', { model: 'nope', reason: 'x' });
    expect(response.status).toBe(404);
    expect((await json(response)).error.hint).toContain('known models: churn-predictor, fraud-scorer');
  });

  it('requires the API token, and is off without one', async () => {
    expect(
      (
        await post(
          '/api/rollbacks',
          { model: 'fraud-scorer', reason: 'x' },
          { authorization: 'Bearer wrong' },
        )
      ).status,
    ).toBe(401);
    await app.server.close();
    app.server = await serveApp(app.deps, { apiToken: undefined });
    const response = await post('/api/rollbacks', { model: 'fraud-scorer', reason: 'x' });
    expect(response.status).toBe(403);
    expect((await json(response)).error.message).toBe(
      'the write API is disabled because API_TOKEN is not set',
    );
    expect(app.deps.fake.calls).toEqual([]);
  });

  it('plans a dry run for anyone when the bot has no API_TOKEN, as it answers reads, and changes nothing', async () => {
    await app.server.close();
    app.server = await serveApp(app.deps, { apiToken: undefined });
    const response = await fetch(`${app.server.url}/api/rollbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fraud-scorer', reason: 'what would it do', dryRun: true }),
    });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ outcome: 'dry-run', plan: { from: 'v42', to: 'v41' } });
    expect(app.deps.fake.calls).toEqual(['state', 'plan']);
    expect(await app.deps.store.listIncidentHeads({})).toEqual([]);
  });

  it('still refuses a dry run without the bearer token once the bot has an API_TOKEN', async () => {
    const response = await fetch(`${app.server.url}/api/rollbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fraud-scorer', reason: 'x', dryRun: true }),
    });
    expect(response.status).toBe(401);
    expect(app.deps.fake.calls).toEqual([]);
  });
});

describe('deployments and the gate', () => {
  it('names the allowed fields for an unknown one that is no near miss, and records nothing', async () => {
    const response = await post('/api/deployments', {
      model: 'fraud-scorer',
      version: 'v43',
      prevVersion: 'v42',
    });
    expect(response.status).toBe(400);
    const { error } = await json(response);
    expect(error.message).toBe(
      'invalid deployment: prevVersion: unknown field (allowed fields: model, version, previousVersion, strategy, ' +
        'recordedBy, spec, traffic)',
    );
    expect(await app.deps.store.deployments('fraud-scorer')).toEqual([]);
  });

  it('records a deployment and answers the gate with it', async () => {
    const response = await post('/api/deployments', {
      model: 'fraud-scorer',
      version: 'v43',
      previousVersion: 'v42',
      strategy: 'canary',
    });
    expect(response.status).toBe(201);
    expect(await json(response)).toMatchObject({
      deployment: {
        model: 'fraud-scorer',
        version: 'v43',
        previousVersion: 'v42',
        strategy: 'canary',
        by: 'api',
      },
      // The test runbook is tier 1: every deployment waits for an approval.
      gate: {
        allowed: false,
        status: 'approval required',
        reasons: [],
        approval: { reasons: ['tier-1 model: every deployment needs an approval'], approvers: [] },
      },
    });
    expect((await app.deps.store.deployments('fraud-scorer'))[0]?.version).toBe('v43');
  });

  it('refuses a bad deployment with 400 and records nothing', async () => {
    const response = await post('/api/deployments', {
      model: 'fraud-scorer',
      version: 'v43',
      strategy: 'yolo',
    });
    expect(response.status).toBe(400);
    expect((await json(response)).error.message).toContain('strategy');
    expect(await app.deps.store.deployments('fraud-scorer')).toEqual([]);
  });

  it('refuses a blank version or previousVersion (an unset CI variable) with 400, recording nothing', async () => {
    // `{"version": "$VERSION "}` with VERSION unset recorded " " as the model's latest version: a rollback target.
    for (const [field, body] of [
      ['version', { model: 'fraud-scorer', version: '  ' }],
      ['previousVersion', { model: 'fraud-scorer', version: 'v43', previousVersion: ' ' }],
    ] as const) {
      const response = await post('/api/deployments', body);
      expect(response.status).toBe(400);
      expect((await json(response)).error).toMatchObject({
        code: 'BAD_REQUEST',
        message: `invalid deployment: ${field}: is blank: give the version as the serving layer names it`,
      });
    }
    expect(await app.deps.store.deployments('fraud-scorer')).toEqual([]);
  });

  it('records a version without the spaces around it, as the serving layer names it', async () => {
    const response = await post('/api/deployments', { model: 'fraud-scorer', version: ' v43\n' });
    expect(response.status).toBe(201);
    expect((await app.deps.store.deployments('fraud-scorer')).map((d) => d.version)).toEqual(['v43']);
  });

  it('refuses a deployment that names itself as its previous version, recording nothing', async () => {
    const response = await post('/api/deployments', {
      model: 'fraud-scorer',
      version: 'v42',
      previousVersion: 'v42',
    });
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({
      message: 'previousVersion is v42, the version being deployed: it must be the version v42 replaced',
      hint: expect.stringContaining('omit previousVersion'),
    });
    expect(await app.deps.store.deployments('fraud-scorer')).toEqual([]);
  });

  it('closes the gate during an open incident', async () => {
    app.deps.fake.stuck = true;
    await post('/api/rollbacks', { model: 'fraud-scorer', reason: 'x' });
    const gate = await json(apiFetch(`${app.server.url}/api/gate/fraud-scorer`));
    expect(gate).toMatchObject({ model: 'fraud-scorer', allowed: false });
    expect(gate.reasons[0]).toMatch(/^open incident INC-1 \(rollback\)/);
    expect((await apiFetch(`${app.server.url}/api/gate/nope`)).status).toBe(404);
  });
});

describe('POST /api/incidents/:id/resolve', () => {
  it('resolves an incident by hand and starts the retrospective clock', async () => {
    await post('/api/rollbacks', { model: 'fraud-scorer', reason: 'x' });
    const response = await post('/api/incidents/INC-1/resolve', {
      reason: 'dashboards back to normal',
      resolvedBy: 'U0ONCALL',
    });
    expect(response.status).toBe(200);
    const incident = await json(response);
    expect(incident).toMatchObject({ id: 'INC-1', phase: 'resolved', open: false });
    expect(incident.stages.find((stage: { stage: string }) => stage.stage === 'retro').state).toBe('running');
    const timeline = (await json(apiFetch(`${app.server.url}/api/incidents/INC-1`))).timeline;
    const resolved = timeline.find((entry: { type: string }) => entry.type === 'incident.resolved');
    expect(resolved).toMatchObject({ actor: 'U0ONCALL' });
    expect(resolved.text).toMatch(/^resolved by U0ONCALL after .*: dashboards back to normal$/);
    // The retrospective opens at once, due in 48 hours.
    expect(timeline.at(-1)).toMatchObject({ type: 'retro.opened' });
    expect(timeline.at(-1).text).toMatch(/due .* \(in 2d\)$/);
  });

  it('answers 404 for an unknown incident, 409 for one already resolved, 400 without a reason', async () => {
    expect((await post('/api/incidents/INC-9/resolve', { reason: 'x' })).status).toBe(404);
    await post('/api/rollbacks', { model: 'fraud-scorer', reason: 'x' });
    expect((await post('/api/incidents/INC-1/resolve', {})).status).toBe(400);
    expect((await post('/api/incidents/INC-1/resolve', { reason: 'ok' })).status).toBe(200);
    const again = await post('/api/incidents/INC-1/resolve', { reason: 'ok' });
    expect(again.status).toBe(409);
    expect((await json(again)).error.message).toBe('incident INC-1 is resolved; it cannot become resolved');
  });
});

describe('POST /api/incidents/:id/dismiss', () => {
  /** A bot whose fraud-scorer runbook lets only U0ONCALL decide, with an alert's incident INC-1 in triage. */
  async function triaging() {
    await app.server.close();
    // Tier 2: no approval is needed for each deployment, so only an open incident closes the gate.
    const runbook = {
      ...makeRunbook('fraud-scorer', 'rollback: { approvers: [U0ONCALL] }'),
      tier: 2 as const,
    };
    app.deps = makeDeps({ runbooks: [runbook] });
    app.server = await serveApp(app.deps);
    await ingestAlerts(app.deps, [firing('fraud-scorer', app.deps.clock.now())]);
  }
  const dismissal = (id: string, body: unknown, headers: Record<string, string> = {}) =>
    post(`/api/incidents/${id}/dismiss`, body, headers);
  /** What a refused dismissal must leave as it was: the incident, its timeline and its deadlines. */
  const stored = async () => ({
    incident: await app.deps.store.getIncident('INC-1'),
    timeline: await app.deps.store.list('INC-1'),
    deadlines: await app.deps.store.pending(),
  });
  const gate = () => json(apiFetch(`${app.server.url}/api/gate/fraud-scorer`));

  it('decides "not a rollback" as the named approver: triage ends, its deadlines go, the gate opens', async () => {
    await triaging();
    expect(await gate()).toMatchObject({
      allowed: false,
      reasons: [expect.stringMatching(/^open incident INC-1/)],
    });
    // The triage target (escalates, pages) and the triage run wait on the incident.
    expect((await app.deps.store.pending()).map((deadline) => deadline.id)).toEqual(
      expect.arrayContaining([expect.stringContaining('INC-1')]),
    );
    app.deps.clock.advance(3 * 60_000);

    const response = await dismissal('INC-1', {
      dismissedBy: 'U0ONCALL',
      reason: 'upstream outage, not the model',
    });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      id: 'INC-1',
      phase: 'dismissed',
      open: false,
      decision: {
        kind: 'not-rollback',
        by: 'U0ONCALL',
        reason: 'upstream outage, not the model',
        trigger: 'api',
      },
    });
    // Nothing left to escalate or page for: the triage target and the triage run are cancelled.
    expect(await app.deps.store.pending()).toEqual([]);
    const timeline = await app.deps.store.list('INC-1');
    expect(timeline.at(-1)).toMatchObject({
      type: 'decision.not-rollback',
      actor: 'U0ONCALL',
      text: 'not a rollback — decided by U0ONCALL: upstream outage, not the model',
    });
    expect(await gate()).toMatchObject({ allowed: true, status: 'open', reasons: [] });
  });

  it('refuses a missing or empty reason and a missing dismissedBy with 400 naming the field, changing nothing', async () => {
    await triaging();
    const before = await stored();
    for (const [body, field] of [
      [{ dismissedBy: 'U0ONCALL' }, 'reason'],
      [{ dismissedBy: 'U0ONCALL', reason: '  ' }, 'reason'],
      [{ reason: 'upstream outage' }, 'dismissedBy'],
      [{ dismissedBy: '', reason: 'upstream outage' }, 'dismissedBy'],
      [{ dismisedBy: 'U0ONCALL', reason: 'upstream outage' }, 'dismisedBy'],
    ] as const) {
      const response = await dismissal('INC-1', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const { error } = await json(response);
      expect(error.message, JSON.stringify(body)).toMatch(new RegExp(`^invalid dismissal: .*${field}: `));
      expect(error.hint).toBe('fix the fields named above; nothing was changed');
    }
    const empty = await json(dismissal('INC-1', { dismissedBy: 'U0ONCALL', reason: '' }));
    expect(empty.error.message).toBe(
      'invalid dismissal: reason: say why this is not a rollback: a reason is required',
    );
    const anonymous = await json(dismissal('INC-1', { reason: 'upstream outage' }));
    expect(anonymous.error.message).toBe(
      'invalid dismissal: dismissedBy: name who decides: a Slack user ID that rollback.approvers allows, directly or through a user group (any name where it lists nobody)',
    );
    expect(await stored()).toEqual(before);
  });

  it('answers 404 with how to find it for an unknown incident, and 401 without the token, changing nothing', async () => {
    await triaging();
    const before = await stored();
    const unknown = await dismissal('INC-9', { dismissedBy: 'U0ONCALL', reason: 'upstream outage' });
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no incident INC-9',
      hint: 'list incidents with `/incident list` or `rollbot incidents`',
    });
    const untokened = await dismissal(
      'INC-1',
      { dismissedBy: 'U0ONCALL', reason: 'x' },
      { authorization: '' },
    );
    expect(untokened.status).toBe(401);
    expect(await stored()).toEqual(before);
    expect(await app.deps.store.getIncident('INC-9')).toBeUndefined();
  });

  it('refuses (403) someone the runbook does not allow, recording only the denial', async () => {
    await triaging();
    const before = await stored();
    const refused = await dismissal('INC-1', { dismissedBy: 'U0INTRUDER', reason: 'looks fine to me' });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error).toMatchObject({
      code: 'FORBIDDEN',
      message: 'U0INTRUDER may not dismiss fraud-scorer: the runbook allows U0ONCALL',
      hint: 'ask one of U0ONCALL, or add yourself to rollback.approvers in runbooks/fraud-scorer.yml',
    });
    // Every denial is on the timeline (the compliance record); nothing else changed.
    const after = await stored();
    expect(after.incident).toEqual(before.incident);
    expect(after.deadlines).toEqual(before.deadlines);
    expect(after.timeline.slice(0, -1)).toEqual(before.timeline);
    expect(after.timeline.at(-1)).toMatchObject({ type: 'permission.denied', actor: 'U0INTRUDER' });
    expect(await gate()).toMatchObject({ allowed: false });
  });

  it('answers 409 for an incident no longer in triage (dismissed, rolled back, resolved), changing nothing', async () => {
    await triaging();
    await dismissal('INC-1', { dismissedBy: 'U0ONCALL', reason: 'upstream outage' });
    const dismissed = await stored();
    const again = await dismissal('INC-1', { dismissedBy: 'U0ONCALL', reason: 'still upstream' });
    expect(again.status).toBe(409);
    expect((await json(again)).error).toMatchObject({
      code: 'ILLEGAL_TRANSITION',
      message: 'incident INC-1 is dismissed: it was decided already',
      hint: 'decided "not-rollback" by U0ONCALL; see the incident timeline',
    });
    expect(await stored()).toEqual(dismissed);

    // Rolled back (decided "roll back"), then resolved: each refused, neither changed.
    await ingestAlerts(app.deps, [
      firing('fraud-scorer', app.deps.clock.now(), { fingerprint: 'fp-second' }),
    ]);
    await post('/api/rollbacks', { model: 'fraud-scorer', reason: 'errors up', requestedBy: 'U0ONCALL' });
    const rolledBack = await app.deps.store.getIncident('INC-2');
    expect(rolledBack?.phase).toBe('confirm');
    const late = await dismissal('INC-2', { dismissedBy: 'U0ONCALL', reason: 'false alarm' });
    expect(late.status).toBe(409);
    expect((await json(late)).error.message).toBe('incident INC-2 is confirm: it was decided already');
    expect(await app.deps.store.getIncident('INC-2')).toEqual(rolledBack);

    await resolve(app.deps, 'INC-2', { by: 'U0ONCALL', reason: 'back to normal' });
    const resolved = await app.deps.store.getIncident('INC-2');
    const over = await dismissal('INC-2', { dismissedBy: 'U0ONCALL', reason: 'false alarm' });
    expect(over.status).toBe(409);
    expect((await json(over)).error.message).toBe('incident INC-2 is resolved: it was decided already');
    expect(await app.deps.store.getIncident('INC-2')).toEqual(resolved);

    // Resolved by hand while still in triage: never decided, and no longer to be.
    await ingestAlerts(app.deps, [firing('fraud-scorer', app.deps.clock.now(), { fingerprint: 'fp-third' })]);
    await post('/api/incidents/INC-3/resolve', { reason: 'recovered by itself', resolvedBy: 'U0ONCALL' });
    const undecided = await app.deps.store.getIncident('INC-3');
    const after = await dismissal('INC-3', { dismissedBy: 'U0ONCALL', reason: 'false alarm' });
    expect(after.status).toBe(409);
    expect((await json(after)).error.message).toBe(
      'incident INC-3 is resolved: it is no longer in triage, so there is nothing to decide',
    );
    expect(await app.deps.store.getIncident('INC-3')).toEqual(undecided);
  });
});

describe('deployment approvals over HTTP', () => {
  const approve = (body: unknown, headers: Record<string, string> = {}) =>
    post('/api/gate/fraud-scorer/approve', body, headers);

  it('GET /api/gate asks the channel once; POST …/approve records the approval and opens the gate', async () => {
    const first = await json(apiFetch(`${app.server.url}/api/gate/fraud-scorer`));
    expect(first).toMatchObject({ allowed: false, status: 'approval required' });
    await apiFetch(`${app.server.url}/api/gate/fraud-scorer`);
    const asked = app.deps.notifier.ofType('channel.message').filter((event) => event.approveDeployment);
    expect(asked).toHaveLength(1);

    const response = await approve({ approvedBy: 'U0LEAD', reason: 'reviewed' });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      allowed: true,
      status: 'open',
      approval: { approved: { by: 'U0LEAD', reason: 'reviewed' } },
    });
  });

  it('renews a deployment approved already, answering until when it is approved, announcing nothing again', async () => {
    expect((await approve({ approvedBy: 'U0LEAD', reason: 'reviewed' })).status).toBe(200);
    app.deps.clock.advance(23 * 3_600_000);
    const again = await approve({ approvedBy: 'U0LEAD', reason: 'still reviewed' });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({
      status: 'open',
      approval: {
        approved: {
          by: 'U0LEAD',
          reason: 'reviewed',
          until: app.deps.clock.now() + 24 * 3_600_000,
          renewed: { by: 'U0LEAD', at: app.deps.clock.now() },
        },
      },
    });
    const approvals = app.deps.notifier.ofType('channel.message').filter((m) => m.text.startsWith('✅'));
    expect(approvals).toHaveLength(1);
    app.deps.clock.advance(2 * 3_600_000); // past the first approval's 24 h
    expect(await json(apiFetch(`${app.server.url}/api/gate/fraud-scorer`))).toMatchObject({ status: 'open' });
  });

  it('refuses a missing token, a blank approver and an unknown model, approving nothing', async () => {
    expect((await approve({ approvedBy: 'U0LEAD' }, { authorization: 'Bearer wrong' })).status).toBe(401);
    const bad = await approve({ approvedBy: ' ' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.message).toContain('approvedBy');
    const unknown = await post('/api/gate/nope/approve', { approvedBy: 'U0LEAD' });
    expect(unknown.status).toBe(404);
    expect((await json(apiFetch(`${app.server.url}/api/gate/fraud-scorer`))).status).toBe(
      'approval required',
    );
  });

  it('lets only a listed approver override the gate, recording the denial of anyone else', async () => {
    await app.server.close();
    // Tier 2: no approval is needed for each deployment, so only the action item closes the gate.
    const runbook = { ...makeRunbook('fraud-scorer', 'rollback: { approvers: [U0LEAD] }'), tier: 2 as const };
    app.deps = makeDeps({ runbooks: [runbook] });
    app.server = await serveApp(app.deps);
    // A resolved incident whose retrospective left an action item open: the gate is closed until it is done.
    await ingestAlerts(app.deps, [firing('fraud-scorer', app.deps.clock.now())]);
    await resolve(app.deps, 'INC-1', { by: 'U0LEAD', reason: 'back to normal' });
    await completeRetrospective(app.deps, 'INC-1', {
      by: 'U0LEAD',
      rootCause: 'a feature pipeline change',
      actionItemsText: '@ana | add an input-drift check | 2026-12-15',
    });
    const override = (approvedBy: string) =>
      post('/api/gate/fraud-scorer/override', { approvedBy, reason: 'hotfix cannot wait' });

    const refused = await override('U0INTRUDER');
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.message).toBe(
      'U0INTRUDER may not approve fraud-scorer: the runbook allows U0LEAD',
    );
    expect(await json(apiFetch(`${app.server.url}/api/gate/fraud-scorer`))).toMatchObject({
      allowed: false,
      status: 'closed',
    });
    const timeline = await app.deps.store.list('INC-1');
    expect(timeline.filter((entry) => entry.type === 'gate.overridden')).toEqual([]);
    expect(timeline.at(-1)).toMatchObject({ type: 'permission.denied', actor: 'U0INTRUDER' });

    const allowed = await override('U0LEAD');
    expect(allowed.status).toBe(200);
    expect(await json(allowed)).toMatchObject({ allowed: true, override: { by: 'U0LEAD' } });
  });
});
