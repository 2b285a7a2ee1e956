import { describe, expect, it } from 'vitest';
import { isRollbotError } from '../../../src/core/errors.js';
import { acknowledge, approveRollback, dismiss, requestRollback } from '../../../src/engine/decisions.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
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

  it('has nothing to approve without a request', async () => {
    const d = await withIncident('two-person');
    await expect(approveRollback(d, { model: 'fraud-scorer', actor: bo, trigger: 'slack' })).rejects.toThrow(
      'no rollback of fraud-scorer is waiting for approval',
    );
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
