import { describe, expect, it } from 'vitest';
import { isRollbotError } from '../../../src/core/errors.js';
import type { Actor } from '../../../src/core/policy.js';
import { acknowledge, dismiss } from '../../../src/engine/decisions.js';
import { approveRollback, requestRollback } from '../../../src/engine/rollback-request.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { rollback } from '../../../src/engine/rollback.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { firing } from '../../helpers/alerts.js';
import { drillDeps, STAGING } from '../../helpers/drill-deps.js';
import { makeDeps, makeRunbook } from '../../helpers/engine.js';

function deps(policy: 'auto' | 'approve' | 'two-person', approvers = '[U0ANA, U0BO, S0ONCALL]') {
  return makeDeps({
    runbooks: [makeRunbook('fraud-scorer', `rollback: { policy: ${policy}, approvers: ${approvers} }`)],
  });
}
const ana = { id: 'U0ANA', groups: [] };
const bo = { id: 'U0BO', groups: [] };
const carol = { id: 'U0CAROL', groups: ['S0ONCALL'] };
const mallory = { id: 'U0MALLORY', groups: [] };

async function withIncident(policy: 'auto' | 'approve' | 'two-person') {
  const d = deps(policy);
  await ingestAlerts(d, [firing('fraud-scorer', d.clock.now())]);
  return d;
}

const typesOf = async (d: ReturnType<typeof deps>) =>
  (await d.store.list('INC-1')).map((entry) => entry.type);

describe('permissions', () => {
  it('lets listed users and members of listed user groups roll back', async () => {
    const d = await withIncident('approve');
    expect(
      (await requestRollback(d, { model: 'fraud-scorer', reason: 'errors', actor: carol, trigger: 'slack' }))
        .status,
    ).toBe('done');
    expect(d.fake.mutations).toBe(1);
  });

  it('refuses anyone else, with who may act, and puts the denial on the timeline', async () => {
    const d = await withIncident('approve');
    const refused = requestRollback(d, {
      model: 'fraud-scorer',
      reason: 'errors',
      actor: mallory,
      trigger: 'slack',
    });
    await expect(refused).rejects.toThrow(
      'U0MALLORY may not roll back fraud-scorer: the runbook allows U0ANA, U0BO, S0ONCALL',
    );
    expect(d.fake.calls).toEqual([]);
    expect(await typesOf(d)).toContain('permission.denied');
  });

  it('lets anyone act when the runbook lists nobody', async () => {
    const d = deps('approve', '[]');
    expect(
      (await requestRollback(d, { model: 'fraud-scorer', reason: 'x', actor: mallory, trigger: 'slack' }))
        .status,
    ).toBe('done');
  });

  it('lets anyone plan (a dry run changes nothing)', async () => {
    const d = deps('approve');
    const result = await requestRollback(d, {
      model: 'fraud-scorer',
      reason: 'x',
      actor: mallory,
      trigger: 'slack',
      dryRun: true,
    });
    expect(result).toMatchObject({ status: 'done', outcome: { outcome: 'dry-run' } });
  });
});

describe('two-person rule', () => {
  it('waits for a different approver, then executes once', async () => {
    const d = await withIncident('two-person');
    const request = await requestRollback(d, {
      model: 'fraud-scorer',
      reason: 'p99 doubled',
      actor: ana,
      trigger: 'slack',
    });
    expect(request).toMatchObject({
      status: 'awaiting-approval',
      pending: { requestedBy: 'U0ANA', reason: 'p99 doubled' },
    });
    expect(d.fake.calls).toEqual([]);
    expect(d.notifier.ofType('decision.requested').at(-1)).toMatchObject({ policy: 'two-person' });

    await expect(approveRollback(d, { model: 'fraud-scorer', actor: ana, trigger: 'slack' })).rejects.toThrow(
      'U0ANA may not approve their own rollback request: the two-person rule needs a different approver',
    );
    expect(d.fake.calls).toEqual([]);

    const outcome = await approveRollback(d, { model: 'fraud-scorer', actor: bo, trigger: 'slack' });
    expect(outcome.outcome).toBe('succeeded');
    expect((await d.store.getIncident('INC-1'))?.decision).toMatchObject({
      by: 'U0BO',
      reason: 'p99 doubled (requested by U0ANA, approved by U0BO)',
    });
    expect(d.fake.mutations).toBe(1);
  });

  it('executes one rollback when two approvers press at the same moment', async () => {
    const d = await withIncident('two-person');
    await requestRollback(d, { model: 'fraud-scorer', reason: 'x', actor: ana, trigger: 'slack' });
    const results = await Promise.allSettled([
      approveRollback(d, { model: 'fraud-scorer', actor: bo, trigger: 'slack' }),
      approveRollback(d, { model: 'fraud-scorer', actor: carol, trigger: 'slack' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refusal = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    expect(isRollbotError(refusal)).toBe(true);
    expect(d.fake.mutations).toBe(1);
  });

  it('tells a request from the one it replaced in the same millisecond: the old message approves nothing', async () => {
    const d = await withIncident('two-person');
    const ask = (to: string) =>
      requestRollback(d, { model: 'fraud-scorer', to, reason: 'x', actor: ana, trigger: 'slack' });
    const first = await ask('v41');
    const second = await ask('v39'); // the clock has not moved: the same instant
    if (first.status !== 'awaiting-approval' || second.status !== 'awaiting-approval')
      throw new Error('both requests should wait for approval');
    expect(second.pending.at).toBeGreaterThan(first.pending.at);
    const pressedOld = approveRollback(d, {
      model: 'fraud-scorer',
      actor: bo,
      trigger: 'slack',
      requestedAt: first.pending.at,
    });
    await expect(pressedOld).rejects.toThrow('the request on this message was replaced');
    expect(d.fake.mutations).toBe(0);
  });

  it('posts a request made while no incident is open to the channel, with its Approve button', async () => {
    const d = deps('two-person');
    await requestRollback(d, {
      model: 'fraud-scorer',
      reason: 'p99 creeping up',
      actor: ana,
      trigger: 'slack',
    });
    expect(d.notifier.ofType('channel.message')).toEqual([
      {
        type: 'channel.message',
        channel: expect.any(String),
        text: expect.stringContaining('requested by U0ANA: p99 creeping up'),
        approveRollback: {
          model: 'fraud-scorer',
          approvers: ['U0ANA', 'U0BO', 'S0ONCALL'],
          requestedAt: d.clock.now(),
        },
        delivery: `rollback-request:fraud-scorer:${d.clock.now()}`,
      },
    ]);
    const outcome = await approveRollback(d, { model: 'fraud-scorer', actor: bo, trigger: 'slack' });
    expect(outcome).toMatchObject({ outcome: 'succeeded', incidentId: 'INC-1' });
  });

  it('has nothing to approve without a request', async () => {
    const d = await withIncident('two-person');
    await expect(approveRollback(d, { model: 'fraud-scorer', actor: bo, trigger: 'slack' })).rejects.toThrow(
      'no rollback of fraud-scorer is waiting for approval',
    );
  });
});

describe('two-person request and its incident', () => {
  type Deps = ReturnType<typeof deps>;
  const ask = (d: Deps, actor: Actor, to?: string) =>
    requestRollback(d, {
      model: 'fraud-scorer',
      reason: 'p99 doubled',
      actor,
      trigger: 'slack',
      ...(to ? { to } : {}),
    });
  /** The Approve button of an incident's message: it carries that incident's id. */
  const approveOn = (d: Deps, incidentId: string, actor: Actor) =>
    approveRollback(d, { model: 'fraud-scorer', actor, trigger: 'slack', incidentId });

  it('refuses an Approve pressed after the incident was dismissed: nothing rolls back, no incident opens', async () => {
    const d = await withIncident('two-person');
    await ask(d, ana);
    await dismiss(d, 'INC-1', { actor: bo, reason: 'upstream outage, not the model', trigger: 'slack' });
    expect(d.notifier.events.at(-1)).toMatchObject({
      text: 'not a rollback — decided by U0BO: upstream outage, not the model; the rollback U0ANA requested will not run',
    });
    d.clock.advance(20 * 60_000);
    await expect(approveOn(d, 'INC-1', carol)).rejects.toThrow(
      'INC-1 was dismissed (not a rollback, by U0BO: upstream outage, not the model): nothing was rolled back',
    );
    expect(d.fake.calls).toEqual([]);
    expect(await d.store.openIncidentFor('fraud-scorer')).toBeUndefined();
  });

  it('refuses an Approve after the incident was resolved, saying what to do', async () => {
    const d = await withIncident('two-person');
    await ask(d, ana);
    await resolve(d, 'INC-1', { by: 'U0BO', reason: 'recovered by itself' });
    const refusal = await approveOn(d, 'INC-1', carol).catch((error: unknown) => error);
    expect(isRollbotError(refusal) && [refusal.message, refusal.hint]).toEqual([
      'INC-1 was resolved: nothing was rolled back',
      'if fraud-scorer still needs a rollback, request it again (/rollback fraud-scorer)',
    ]);
    expect(d.fake.calls).toEqual([]);
  });

  it('refuses an Approve once a rollback ran on the incident after the request', async () => {
    const d = await withIncident('two-person');
    await ask(d, ana);
    await rollback(d, { model: 'fraud-scorer', reason: 'errors', by: 'cli:bo', trigger: 'cli' });
    await expect(approveOn(d, 'INC-1', carol)).rejects.toThrow(
      'INC-1 was rolled back to v41 by cli:bo after U0ANA requested this rollback: nothing more was rolled back',
    );
    expect(d.fake.mutations).toBe(1);
  });

  it("refuses a second request while another person's waits, saying whose it is", async () => {
    const d = await withIncident('two-person');
    await ask(d, ana, 'v41');
    d.clock.advance(60_000);
    await expect(ask(d, bo, 'v40')).rejects.toThrow(
      'U0ANA requested a rollback of fraud-scorer to v41 at 2026-11-22T02:00:00.000Z (p99 doubled); it is waiting for approval',
    );
    expect((await approveOn(d, 'INC-1', carol)).plan.to).toBe('v41');
  });

  it('lets the requester replace their own request', async () => {
    const d = await withIncident('two-person');
    await ask(d, ana, 'v40');
    await ask(d, ana, 'v41');
    expect((await approveOn(d, 'INC-1', carol)).plan.to).toBe('v41');
  });

  it("refuses an Approve pressed on another incident's message", async () => {
    const d = await withIncident('two-person');
    await dismiss(d, 'INC-1', { actor: bo, reason: 'noise', trigger: 'slack' });
    d.clock.advance(10 * 60_000);
    await ingestAlerts(d, [firing('fraud-scorer', d.clock.now())]);
    const next = (await d.store.openIncidentFor('fraud-scorer'))!.id;
    await ask(d, ana);
    await expect(approveOn(d, 'INC-1', carol)).rejects.toThrow(
      'INC-1 was dismissed (not a rollback, by U0BO: noise): nothing was rolled back',
    );
    expect(d.fake.calls).toEqual([]);
    expect((await approveOn(d, next, carol)).outcome).toBe('succeeded');
  });
});

describe('acknowledge and not a rollback', () => {
  it('acknowledges once', async () => {
    const d = await withIncident('auto');
    expect((await acknowledge(d, 'INC-1', 'U0ANA')).changed).toBe(true);
    const again = await acknowledge(d, 'INC-1', 'U0BO');
    expect(again).toMatchObject({ changed: false, incident: { acknowledged: { by: 'U0ANA' } } });
    expect((await typesOf(d)).filter((type) => type === 'incident.acknowledged')).toHaveLength(1);
  });

  it('dismisses with a reason, ends triage and stops its clock', async () => {
    const d = await withIncident('auto');
    d.clock.advance(60_000);
    const incident = await dismiss(d, 'INC-1', { actor: ana, reason: 'upstream outage', trigger: 'slack' });
    expect(incident).toMatchObject({
      phase: 'dismissed',
      decision: { kind: 'not-rollback', by: 'U0ANA', reason: 'upstream outage' },
    });
    expect((await d.store.pending()).map((deadline) => deadline.id)).toEqual([]);
    await expect(dismiss(d, 'INC-1', { actor: ana, reason: 'again', trigger: 'slack' })).rejects.toThrow(
      'it was decided already',
    );
  });

  it('refuses to dismiss an unknown incident, saying how to find the right one', async () => {
    const d = await withIncident('auto');
    const refused = dismiss(d, 'INC-9', { actor: ana, reason: 'upstream outage', trigger: 'api' });
    await expect(refused).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'no incident INC-9',
      hint: 'list incidents with `/incident list` or `rollbot incidents`',
    });
  });

  it('refuses a dismissal without a reason or by someone not allowed', async () => {
    const d = await withIncident('auto');
    await expect(dismiss(d, 'INC-1', { actor: ana, reason: ' ', trigger: 'slack' })).rejects.toThrow(
      '"not a rollback" needs a reason',
    );
    await expect(dismiss(d, 'INC-1', { actor: mallory, reason: 'x', trigger: 'slack' })).rejects.toThrow(
      'U0MALLORY may not dismiss',
    );
    expect((await d.store.getIncident('INC-1'))?.phase).toBe('triage');
  });
});

describe('a denial goes on the incident acted on', () => {
  /** INC-1 dismissed, then INC-2 opened by another alert: a button on INC-1's messages is still in Slack. */
  async function withNextIncident() {
    const d = await withIncident('two-person');
    await dismiss(d, 'INC-1', { actor: bo, reason: 'noise', trigger: 'slack' });
    d.clock.advance(10 * 60_000);
    await ingestAlerts(d, [firing('fraud-scorer', d.clock.now())]);
    expect((await d.store.openIncidentFor('fraud-scorer'))?.id).toBe('INC-2');
    return d;
  }
  const denials = async (d: ReturnType<typeof deps>, incidentId: string) =>
    (await d.store.list(incidentId)).filter((entry) => entry.type === 'permission.denied');

  it("records a refused dismissal on the incident dismissed, not on the model's next one", async () => {
    const d = await withNextIncident();
    await expect(dismiss(d, 'INC-1', { actor: mallory, reason: 'x', trigger: 'slack' })).rejects.toThrow(
      'U0MALLORY may not dismiss fraud-scorer',
    );
    expect(await denials(d, 'INC-2')).toEqual([]);
    expect(await denials(d, 'INC-1')).toEqual([
      expect.objectContaining({
        actor: 'U0MALLORY',
        text: expect.stringMatching(/^U0MALLORY may not dismiss/),
      }),
    ]);
  });

  it("records a refused Approve on the incident whose message it was pressed on, not on the model's next one", async () => {
    const d = await withNextIncident();
    await expect(
      approveRollback(d, { model: 'fraud-scorer', actor: mallory, trigger: 'slack', incidentId: 'INC-1' }),
    ).rejects.toThrow('U0MALLORY may not approve fraud-scorer');
    expect(await denials(d, 'INC-2')).toEqual([]);
    expect(await denials(d, 'INC-1')).toEqual([expect.objectContaining({ actor: 'U0MALLORY' })]);
  });
});

describe('a two-person request made while nothing was open', () => {
  it('is not approved onto a drill that started since: it rolls back neither the drill target nor production', async () => {
    const {
      deps: d,
      production,
      staging,
    } = drillDeps(STAGING, {
      runbook: 'rollback: { policy: two-person, approvers: [U0ANA, U0BO] }',
    });
    // Noticed before any alert fired: a production rollback, asked for in the channel.
    const asked = await requestRollback(d, {
      model: 'fraud-scorer',
      reason: 'p99 creeping up',
      actor: ana,
      trigger: 'slack',
    });
    expect(asked).toMatchObject({ status: 'awaiting-approval', pending: { requestedBy: 'U0ANA' } });
    // The quarterly drill starts before anybody approves.
    const drill = await startDrill(d, 'fraud-scorer', { by: 'scheduler', auto: false });

    const refusal = await approveRollback(d, { model: 'fraud-scorer', actor: bo, trigger: 'slack' }).catch(
      (error: unknown) => error,
    );
    expect(isRollbotError(refusal) && [refusal.code, refusal.message, refusal.hint]).toEqual([
      'CONFLICT',
      `U0ANA requested a rollback of fraud-scorer at 2026-11-22T02:00:00.000Z (p99 creeping up) while no incident was open; the drill ${drill.id} is open now: nothing was rolled back`,
      `decide the drill in its own message; the request still waits: approve it again once the drill is over (/incident dismiss ${drill.id} <reason> ends it) if fraud-scorer still needs a rollback`,
    ]);
    expect([production.mutations, staging.mutations]).toEqual([0, 0]);
    expect(await d.store.getIncident(drill.id)).toMatchObject({ phase: 'triage' });

    // Once the drill is over, the request is what it was: a production rollback.
    await dismiss(d, drill.id, { actor: bo, reason: 'ending the drill', trigger: 'slack' });
    const outcome = await approveRollback(d, { model: 'fraud-scorer', actor: bo, trigger: 'slack' });
    expect(outcome).toMatchObject({ outcome: 'succeeded', incidentId: 'INC-2' });
    expect([production.mutations, staging.mutations]).toEqual([1, 0]);
  });
});
