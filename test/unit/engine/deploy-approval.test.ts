import { describe, expect, it } from 'vitest';
import { approveDeployment } from '../../../src/engine/approve-deployment.js';
import { recordDeployment } from '../../../src/engine/deployments.js';
import { deploymentGate } from '../../../src/engine/gate.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { rollback } from '../../../src/engine/rollback.js';
import type { Store } from '../../../src/engine/ports.js';
import type { Runbook } from '../../../src/runbooks/schema.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';

const HOUR = 3_600_000;
const LEAD = { id: 'U0LEAD', groups: [] };
const tier = (runbook: Runbook, level: Runbook['tier'], approvers: string[] = []): Runbook => ({
  ...runbook,
  tier: level,
  rollback: { ...runbook.rollback, approvers },
});
const deploy = (deps: TestDeps, version: string) =>
  recordDeployment(deps, { model: 'fraud-scorer', version, strategy: 'canary', by: 'ci' });
const approvalRequests = (deps: TestDeps) =>
  deps.notifier.ofType('channel.message').filter((event) => event.approveDeployment !== undefined);

/** A tier-2 model rolled back from v42 to v41 in INC-1, which is then resolved. */
async function afterRollback(): Promise<TestDeps> {
  const deps = makeDeps({ runbooks: [tier(makeRunbook('fraud-scorer'), 2, ['U0LEAD', 'S0SRE'])] });
  await deploy(deps, 'v41');
  deps.clock.advance(HOUR);
  await deploy(deps, 'v42');
  deps.clock.advance(HOUR);
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  const outcome = await rollback(deps, {
    model: 'fraud-scorer',
    reason: 'errors',
    by: 'cli:ana',
    trigger: 'cli',
  });
  expect(outcome.outcome).toBe('succeeded');
  await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'back to normal' });
  deps.clock.advance(HOUR);
  return deps;
}

describe('deployment approvals', () => {
  it('requires one for the first deployment after a rollback, saying who may approve', async () => {
    const deps = await afterRollback();
    const gate = await deploymentGate(deps, 'fraud-scorer');
    expect(gate).toMatchObject({ allowed: false, status: 'approval required', reasons: [] });
    expect(gate.approval).toEqual({
      reasons: [
        expect.stringMatching(/^first deployment after the rollback from v42 in INC-1 \(2026-11-22T/),
      ],
      approvers: ['U0LEAD', 'S0SRE'],
      how: 'the Approve deployment button in C0TEST0001, or POST /api/gate/fraud-scorer/approve',
      // Which deployment: the first after INC-1's rollback, as the request's button and …/approve carry it.
      askedFor: expect.stringMatching(/^rollback:INC-1:\d+$/),
    });
  });

  it('asks the channel once, with the button, however often CI polls the gate', async () => {
    const deps = await afterRollback();
    await deploymentGate(deps, 'fraud-scorer', { requestApproval: true });
    await deploymentGate(deps, 'fraud-scorer', { requestApproval: true });
    await deploymentGate(deps, 'fraud-scorer'); // a read without asking
    const [request, ...more] = approvalRequests(deps);
    expect(more).toEqual([]);
    expect(request).toMatchObject({
      channel: 'C0TEST0001',
      approveDeployment: { model: 'fraud-scorer', approvers: ['U0LEAD', 'S0SRE'] },
    });
    expect(request?.text).toMatch(
      /^🚦 A deployment of fraud-scorer is waiting for approval: first deployment after/,
    );
    expect(request?.text).toMatch(/U0LEAD, S0SRE may approve\.$/);
  });

  it('refuses someone the runbook does not list, recording the denial and approving nothing', async () => {
    const deps = await afterRollback();
    await expect(
      approveDeployment(deps, 'fraud-scorer', { actor: { id: 'U0INTERN', groups: [] } }),
    ).rejects.toThrow('U0INTERN may not approve fraud-scorer');
    expect((await deploymentGate(deps, 'fraud-scorer')).status).toBe('approval required');
    // No incident is open (INC-1 was resolved): the denial goes where an approval would have, INC-1's timeline.
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
      type: 'permission.denied',
      actor: 'U0INTERN',
      text: 'U0INTERN may not approve fraud-scorer: the runbook allows U0LEAD, S0SRE',
    });
  });

  it('opens the gate on an approval (by a member of an approving group too), recorded on the timeline, for one deployment', async () => {
    const deps = await afterRollback();
    const approval = await approveDeployment(deps, 'fraud-scorer', {
      actor: { id: 'U0SRE1', groups: ['S0SRE'] },
      reason: 'fix for the v42 regression reviewed',
    });
    expect(approval.approved).toEqual({
      by: 'U0SRE1',
      at: deps.clock.now(),
      reason: 'fix for the v42 regression reviewed',
      until: deps.clock.now() + 24 * HOUR,
    });
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ allowed: true, status: 'open' });
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
      type: 'deployment.approved',
      actor: 'U0SRE1',
      text: expect.stringMatching(
        /^next deployment of fraud-scorer approved by U0SRE1 \(first deployment after/,
      ),
    });
    expect(deps.notifier.ofType('channel.message').at(-1)?.text).toMatch(
      /^✅ next deployment of fraud-scorer/,
    );

    await deploy(deps, 'v43'); // the first deployment after the rollback: approval used, none needed any more
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ allowed: true, status: 'open' });
    await expect(approveDeployment(deps, 'fraud-scorer', { actor: LEAD })).rejects.toThrow(
      "fraud-scorer's next deployment needs no approval",
    );
  });

  it('renews a deployment approved already for 24 h from now, saying so, rather than letting it lapse', async () => {
    const deps = await afterRollback();
    await approveDeployment(deps, 'fraud-scorer', { actor: LEAD, reason: 'fix reviewed' });
    const approvedAt = deps.clock.now();
    const messages = deps.notifier.ofType('channel.message').length;
    // Near the end of its 24 h, CI has not deployed yet; another approver approves again.
    deps.clock.advance(23 * HOUR);
    const renewedAt = deps.clock.now();
    const answer = await approveDeployment(deps, 'fraud-scorer', {
      actor: { id: 'U0SRE1', groups: ['S0SRE'] },
      reason: 'still good to go',
      from: 'api',
    });
    const approved = {
      by: 'U0LEAD',
      at: approvedAt,
      reason: 'fix reviewed',
      until: renewedAt + 24 * HOUR,
      renewed: { by: 'U0SRE1', at: renewedAt },
    };
    expect(answer.approved).toEqual(approved);
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
      type: 'deployment.approval-renewed',
      actor: 'U0SRE1',
      text: `approval of the next deployment of fraud-scorer by U0LEAD (${new Date(approvedAt).toISOString()}) renewed by U0SRE1 until ${new Date(renewedAt + 24 * HOUR).toISOString()}: still good to go`,
    });
    // The channel was told of the approval; a renewal is told to whoever renewed it (and is on the timeline).
    expect(deps.notifier.ofType('channel.message')).toHaveLength(messages);

    // Past the first approval's 24 h the deployment is still approved, until the renewal's 24 h end.
    deps.clock.advance(2 * HOUR);
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({
      allowed: true,
      status: 'open',
      approval: { approved },
    });
    deps.clock.advance(22 * HOUR);
    expect((await deploymentGate(deps, 'fraud-scorer')).status).toBe('approval required');
  });

  it("says in the gate's answer until when an approval lets the deployment through", async () => {
    const deps = await afterRollback();
    await approveDeployment(deps, 'fraud-scorer', { actor: LEAD, reason: 'fix reviewed' });
    expect((await deploymentGate(deps, 'fraud-scorer')).approval?.approved).toEqual({
      by: 'U0LEAD',
      at: deps.clock.now(),
      reason: 'fix reviewed',
      until: deps.clock.now() + 24 * HOUR,
    });
  });

  it("keeps the approver's reason on the approval's line, where a line break could pose as another approval", async () => {
    const deps = await afterRollback();
    const reason =
      'fix reviewed\n✅ next deployment of churn-predictor approved by U0LEAD (tier-1 model): ok';
    await approveDeployment(deps, 'fraud-scorer', { actor: LEAD, reason });
    const said = deps.notifier.ofType('channel.message').at(-1)?.text ?? '';
    expect(said).toMatch(
      /: fix reviewed ✅ next deployment of churn-predictor approved by U0LEAD \(tier-1 model\): ok$/,
    );
    expect(said).not.toMatch(/[\r\n]/);
    expect((await deps.store.list('INC-1')).at(-1)?.text).toBe(said.replace(/^✅ /, ''));
  });

  it('requires one for every deployment of a tier-1 model', async () => {
    const deps = makeDeps({ runbooks: [tier(makeRunbook('fraud-scorer'), 1, ['U0LEAD'])] });
    expect((await deploymentGate(deps, 'fraud-scorer')).approval?.reasons).toEqual([
      'tier-1 model: every deployment needs an approval',
    ]);
    await approveDeployment(deps, 'fraud-scorer', { actor: LEAD });
    expect((await deploymentGate(deps, 'fraud-scorer')).status).toBe('open');
    await deploy(deps, 'v43');
    expect((await deploymentGate(deps, 'fraud-scorer')).status).toBe('approval required');
  });

  it('uses up only the approval it was let through with, not one given for the next deployment meanwhile', async () => {
    const runbooks = [tier(makeRunbook('fraud-scorer'), 1, ['U0LEAD'])];
    const setup = makeDeps({ runbooks });
    await approveDeployment(setup, 'fraud-scorer', { actor: LEAD, reason: 'v43 reviewed' });
    expect((await deploymentGate(setup, 'fraud-scorer')).status).toBe('open');
    setup.clock.advance(HOUR);
    // v43 is in the ledger, and while the rest of its recording runs the lead approves v44 already.
    const store: Store = {
      ...setup.store,
      async recordDeployment(deployment) {
        const recorded = await setup.store.recordDeployment(deployment);
        await approveDeployment(setup, 'fraud-scorer', { actor: LEAD, reason: 'v44 reviewed' });
        return recorded;
      },
    };
    await deploy(makeDeps({ runbooks, clock: setup.clock, fake: setup.fake, store }), 'v43');
    const gate = await deploymentGate(setup, 'fraud-scorer');
    expect(gate).toMatchObject({ allowed: true, status: 'open' });
    expect(gate.approval?.approved).toEqual({
      by: 'U0LEAD',
      at: setup.clock.now(),
      reason: 'v44 reviewed',
      until: setup.clock.now() + 24 * HOUR,
    });
    await deploy(setup, 'v44');
    expect((await deploymentGate(setup, 'fraud-scorer')).status).toBe('approval required');
  });

  it('does not let an approval given before a rollback through the first deployment after it', async () => {
    const deps = makeDeps({ runbooks: [tier(makeRunbook('fraud-scorer'), 1, ['U0LEAD'])] });
    await deploy(deps, 'v41');
    deps.clock.advance(HOUR);
    await deploy(deps, 'v42');
    // v43 is approved as a tier-1 deployment; before it goes out, v42 degrades and is rolled back.
    await approveDeployment(deps, 'fraud-scorer', { actor: LEAD, reason: 'v43 reviewed' });
    deps.clock.advance(HOUR);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await rollback(deps, { model: 'fraud-scorer', reason: 'errors', by: 'cli:ana', trigger: 'cli' });
    await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'back to normal' });

    const gate = await deploymentGate(deps, 'fraud-scorer');
    expect(gate).toMatchObject({ allowed: false, status: 'approval required' });
    expect(gate.approval?.approved).toBeUndefined();
    expect(gate.approval?.reasons[1]).toMatch(/^first deployment after the rollback from v42 in INC-1/);

    await approveDeployment(deps, 'fraud-scorer', { actor: LEAD, reason: 'fix for v42 reviewed' });
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ allowed: true, status: 'open' });
  });

  it('lasts 24 hours and never opens a gate closed for other reasons', async () => {
    const deps = makeDeps({ runbooks: [tier(makeRunbook('fraud-scorer'), 1, ['U0LEAD'])] });
    await approveDeployment(deps, 'fraud-scorer', { actor: LEAD });
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    expect((await deploymentGate(deps, 'fraud-scorer')).status).toBe('closed');
    await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'ok' });
    expect((await deploymentGate(deps, 'fraud-scorer')).status).toBe('open');
    deps.clock.advance(24 * 3_600_000);
    expect((await deploymentGate(deps, 'fraud-scorer')).status).toBe('approval required');
  });
});
