/**
 * An approval is for the deployment that waited when it was given. Which one waits is read, then the approval is
 * stored: a deployment recorded in between (CI on another replica) must not inherit an approval meant for the
 * deployment before it, which nobody gave for it. Nor does an approval stored in between (another approver's, on
 * another replica) get overwritten by one decided on before it landed.
 */
import { describe, expect, it } from 'vitest';
import { approveDeployment } from '../../../src/engine/approve-deployment.js';
import { recordDeployment } from '../../../src/engine/deployments.js';
import { deploymentGate } from '../../../src/engine/gate.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { rollback } from '../../../src/engine/rollback.js';
import type { Runbook } from '../../../src/runbooks/schema.js';
import { firing } from '../../helpers/alerts.js';
import { recordingWhileApproving, whileApproving } from '../../helpers/approval-race.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';

const HOUR = 3_600_000;
const LEAD = { id: 'U0LEAD', groups: [] };
const OTHER = { id: 'U0OTHER', groups: [] };
const APPROVAL_KEY = 'deploy-approval:fraud-scorer';
const tiered = (level: Runbook['tier']): Runbook => ({
  ...makeRunbook('fraud-scorer'),
  tier: level,
  rollback: { ...makeRunbook('fraud-scorer').rollback, approvers: ['U0LEAD'] },
});
const deploy = async (deps: TestDeps, version: string) => {
  await recordDeployment(deps, { model: 'fraud-scorer', version, strategy: 'canary', by: 'ci' });
  deps.clock.advance(HOUR);
};
const iso = (at: number) => new Date(at).toISOString();

/**
 * CI's replica (`ci`, the store as it is) and the approver's (`approver`), on one store and one clock: the
 * approver's records `version` through CI's replica while its approval is being written.
 */
function replicas(runbook: Runbook, version: string) {
  const ci = makeDeps({ runbooks: [runbook] });
  const store = recordingWhileApproving(ci.store, 'fraud-scorer', () => deploy(ci, version));
  const approver = makeDeps({ runbooks: [runbook], clock: ci.clock, fake: ci.fake, store });
  return { ci, approver };
}

const approvalRequests = (deps: TestDeps) =>
  deps.notifier.ofType('channel.message').filter((event) => event.approveDeployment !== undefined);

describe('a deployment recorded while an approval is being given', () => {
  it('tier 1: the approval does not cover it; the approver is told, the gate stays closed saying why', async () => {
    const { ci, approver } = replicas(tiered(1), 'v43');
    await deploy(ci, 'v42');
    const v42 = (await ci.store.deployments('fraud-scorer'))[0]?.at ?? 0;
    await deploymentGate(ci, 'fraud-scorer', { requestApproval: true });
    const button = approvalRequests(ci)[0]?.approveDeployment;
    expect(button?.askedFor).toBe(`deployment:${v42}`);
    const approvedAt = ci.clock.now();

    // The lead presses Approve on the request for the deployment after v42; v43 is recorded meanwhile.
    const press = approveDeployment(approver, 'fraud-scorer', {
      actor: LEAD,
      reason: 'approved in Slack',
      ...(button ? { askedFor: button.askedFor } : {}),
    });
    await expect(press).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(
        new RegExp(
          `^the deployment of fraud-scorer waiting for approval changed while U0LEAD approved: the approval was for the deployment after v42 \\(recorded ${iso(v42)}\\); the one waiting now is the deployment after v43 \\(recorded 2026-[^)]+\\); nothing was approved$`,
        ),
      ),
      hint: 'approve the one waiting now on its request in C0TEST0001 (posted when CI next asks the gate), or POST /api/gate/fraud-scorer/approve',
    });
    const v43 = (await ci.store.deployments('fraud-scorer'))[0];
    expect(v43?.version).toBe('v43');
    // Nothing said it was approved: no ✅ in the channel, no deployment.approved anywhere.
    expect(approver.notifier.ofType('channel.message')).toEqual([]);

    const gate = await deploymentGate(ci, 'fraud-scorer');
    expect(gate).toMatchObject({ allowed: false, status: 'approval required' });
    expect(gate.approval?.askedFor).toBe(`deployment:${v43?.at}`);
    expect(gate.approval?.approved).toBeUndefined();
    expect(gate.approval?.outdated).toEqual({
      by: 'U0LEAD',
      at: approvedAt,
      reason: 'approved in Slack',
      askedFor: `deployment:${v42}`,
      why: `the approval by U0LEAD (${iso(approvedAt)}) was for an earlier deployment, the deployment after the one recorded ${iso(v42)}, not the one waiting now: approve this one`,
    });

    // A fresh approval, for the deployment waiting now, opens the gate.
    await approveDeployment(ci, 'fraud-scorer', { actor: LEAD, askedFor: `deployment:${v43?.at}` });
    const reopened = await deploymentGate(ci, 'fraud-scorer');
    expect(reopened).toMatchObject({ allowed: true, status: 'open' });
    expect(reopened.approval?.outdated).toBeUndefined();
  });

  it('records the refusal on the latest incident, where the approval would have gone', async () => {
    const { ci, approver } = replicas(tiered(1), 'v44');
    await deploy(ci, 'v42');
    await ingestAlerts(ci, [firing('fraud-scorer', ci.clock.now())]);
    await resolve(ci, 'INC-1', { by: 'U0ANA', reason: 'noise' });
    await expect(approveDeployment(approver, 'fraud-scorer', { actor: LEAD })).rejects.toThrow(
      'nothing was approved',
    );
    const timeline = await ci.store.list('INC-1');
    expect(timeline.map((entry) => entry.type)).not.toContain('deployment.approved');
    expect(timeline.at(-1)).toMatchObject({
      type: 'deployment.approval-refused',
      actor: 'U0LEAD',
      text: expect.stringMatching(
        /^the deployment of fraud-scorer waiting for approval changed while U0LEAD approved: the approval was for the deployment after v42 .*; nothing was approved$/,
      ),
    });
  });

  it('through the API: the refusal says to read the gate again', async () => {
    const { ci, approver } = replicas(tiered(1), 'v43');
    await deploy(ci, 'v42');
    const asked = (await deploymentGate(ci, 'fraud-scorer')).approval?.askedFor ?? '';
    await expect(
      approveDeployment(approver, 'fraud-scorer', { actor: LEAD, askedFor: asked, from: 'api' }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(
        /^the deployment of fraud-scorer waiting for approval changed while U0LEAD approved: .*, askedFor deployment:\d+; nothing was approved$/,
      ),
      hint: 'read GET /api/gate/fraud-scorer and approve with its approval.askedFor if you agree to that deployment',
    });
  });

  it('after a rollback: the fix went out meanwhile, so nothing waits; a later rollback is not pre-approved', async () => {
    const runbook = tiered(2);
    const { ci, approver } = replicas(runbook, 'v43');
    await deploy(ci, 'v41');
    await deploy(ci, 'v42');
    await ingestAlerts(ci, [firing('fraud-scorer', ci.clock.now())]);
    await rollback(ci, { model: 'fraud-scorer', reason: 'errors', by: 'cli:ana', trigger: 'cli' });
    await resolve(ci, 'INC-1', { by: 'U0ANA', reason: 'back to normal' });
    ci.clock.advance(HOUR);

    await expect(approveDeployment(approver, 'fraud-scorer', { actor: LEAD })).rejects.toThrow(
      /^the deployment of fraud-scorer waiting for approval changed while U0LEAD approved: the approval was for the first deployment after the rollback from v42 in INC-1 \(.*\); no deployment of fraud-scorer waits for approval now; nothing was approved$/,
    );
    expect(await deploymentGate(ci, 'fraud-scorer')).toMatchObject({ allowed: true, status: 'open' });
    expect(await ci.store.getValue(APPROVAL_KEY)).toBeDefined();

    // v43 degrades and is rolled back: the approval stored for the deployment after INC-1's rollback is not this one's.
    ci.fake.previous = 'v42';
    ci.fake.current = 'v43';
    await ingestAlerts(ci, [firing('fraud-scorer', ci.clock.now())]);
    await rollback(ci, { model: 'fraud-scorer', reason: 'errors', by: 'cli:ana', trigger: 'cli' });
    await resolve(ci, 'INC-2', { by: 'U0ANA', reason: 'back to normal' });
    const gate = await deploymentGate(ci, 'fraud-scorer');
    expect(gate).toMatchObject({ allowed: false, status: 'approval required' });
    expect(gate.approval?.askedFor).toMatch(/^rollback:INC-2:\d+$/);
    expect(gate.approval?.outdated?.why).toMatch(
      /^the approval by U0LEAD \(.*\) was for an earlier deployment, the first deployment after the rollback in INC-1 \(.*\), not the one waiting now: approve this one$/,
    );
  });

  it('an approval given for the deployment waiting covers it, and the next recorded deployment uses it up', async () => {
    const deps = makeDeps({ runbooks: [tiered(1)] });
    await deploy(deps, 'v42');
    await approveDeployment(deps, 'fraud-scorer', { actor: LEAD });
    expect(JSON.parse((await deps.store.getValue(APPROVAL_KEY)) ?? '{}')).toMatchObject({
      by: 'U0LEAD',
      askedFor: expect.stringMatching(/^deployment:\d+$/),
    });
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ status: 'open' });
    await deploy(deps, 'v43');
    expect(await deps.store.getValue(APPROVAL_KEY)).toBeUndefined();
    expect((await deploymentGate(deps, 'fraud-scorer')).approval?.outdated).toBeUndefined();
  });
});

describe('an approval stored by another approver while one is being given', () => {
  /** Tier 1, two approvers, `versions` recorded, INC-1 resolved: the approval goes on its timeline. */
  async function twoApprovers(versions = ['v41', 'v42']) {
    const runbook: Runbook = {
      ...tiered(1),
      rollback: { ...makeRunbook('fraud-scorer').rollback, approvers: ['U0LEAD', 'U0OTHER'] },
    };
    const ci = makeDeps({ runbooks: [runbook] });
    for (const version of versions) await deploy(ci, version);
    await ingestAlerts(ci, [firing('fraud-scorer', ci.clock.now())]);
    await resolve(ci, 'INC-1', { by: 'U0ANA', reason: 'noise' });
    /** A replica of its own on the store as it is, or as `store` wraps it. */
    const replica = (store = ci.store) =>
      makeDeps({ runbooks: [runbook], clock: ci.clock, fake: ci.fake, store });
    const deployments = await ci.store.deployments('fraud-scorer');
    const at = (version: string) => deployments.find((d) => d.version === version)?.at ?? 0;
    return { ci, replica, v41: at('v41'), v42: at('v42') };
  }

  const announced = (...replicas: TestDeps[]) =>
    replicas.flatMap((deps) => deps.notifier.ofType('channel.message').map((event) => event.text));
  const approvalsOn = async (deps: TestDeps) =>
    (await deps.store.list('INC-1'))
      .filter((entry) => entry.type.startsWith('deployment.approv'))
      .map((entry) => `${entry.type} ${entry.actor}`);

  it('two at once: the one that lands first stands, the other is told it is approved already', async () => {
    const { ci, replica, v42 } = await twoApprovers();
    const other = replica();
    const otherApproval = () =>
      approveDeployment(other, 'fraud-scorer', { actor: OTHER, reason: 'looks fine' }).then(() => undefined);
    const lead = replica(whileApproving(ci.store, 'fraud-scorer', otherApproval));
    const otherAt = ci.clock.now();

    await expect(
      approveDeployment(lead, 'fraud-scorer', {
        actor: LEAD,
        reason: 'ship it',
        askedFor: `deployment:${v42}`,
      }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `the deployment of fraud-scorer waiting for approval (the deployment after v42 (recorded ${iso(v42)})) is approved already by U0OTHER (${iso(otherAt)}), stored while U0LEAD approved it: that approval stands; nothing more was approved`,
      hint: "nothing more to do: U0OTHER's approval, announced in C0TEST0001, covers it",
    });
    // Announced once, by the approver whose approval is stored; nothing of the lead's stored or recorded.
    expect(announced(lead, other)).toEqual([
      expect.stringMatching(/^✅ next deployment of fraud-scorer approved by U0OTHER .*: looks fine$/),
    ]);
    expect(JSON.parse((await ci.store.getValue(APPROVAL_KEY)) ?? '{}')).toEqual({
      by: 'U0OTHER',
      at: otherAt,
      reason: 'looks fine',
      askedFor: `deployment:${v42}`,
    });
    expect(await approvalsOn(ci)).toEqual(['deployment.approved U0OTHER']);
    const gate = await deploymentGate(ci, 'fraud-scorer');
    expect(gate).toMatchObject({ allowed: true, status: 'open' });
    expect(gate.approval?.approved?.by).toBe('U0OTHER');
  });

  it('through the API: the answer says where the approval in force is', async () => {
    const { ci, replica } = await twoApprovers();
    const other = replica();
    const lead = replica(
      whileApproving(ci.store, 'fraud-scorer', async () => {
        await approveDeployment(other, 'fraud-scorer', { actor: OTHER });
      }),
    );
    await expect(approveDeployment(lead, 'fraud-scorer', { actor: LEAD, from: 'api' })).rejects.toMatchObject(
      {
        code: 'CONFLICT',
        message: expect.stringMatching(
          / is approved already by U0OTHER \(.*\), stored while U0LEAD approved it: that approval stands/,
        ),
        hint: 'nothing more to do: GET /api/gate/fraud-scorer shows the approval in force (approval.approved)',
      },
    );
    expect(announced(lead, other)).toHaveLength(1);
    expect(await approvalsOn(ci)).toEqual(['deployment.approved U0OTHER']);
  });

  it("a stale approver's approval, for the deployment before, does not overwrite one announced meanwhile", async () => {
    const { ci, replica } = await twoApprovers(['v41']);
    const lead = replica();
    // The other approver read which deployment waits (the one after v41); then CI records v42, the lead approves it.
    const meanwhile = async () => {
      await deploy(ci, 'v42');
      const v42 = (await ci.store.deployments('fraud-scorer'))[0]?.at;
      await approveDeployment(lead, 'fraud-scorer', { actor: LEAD, askedFor: `deployment:${v42}` });
    };
    const other = replica(whileApproving(ci.store, 'fraud-scorer', meanwhile));

    await expect(approveDeployment(other, 'fraud-scorer', { actor: OTHER })).rejects.toThrow(
      /^the deployment of fraud-scorer waiting for approval changed while U0OTHER approved: the approval was for the deployment after v41 .*; the one waiting now is the deployment after v42 .*; nothing was approved$/,
    );
    expect(announced(lead, other)).toEqual([
      expect.stringMatching(/^✅ next deployment of fraud-scorer approved by U0LEAD /),
    ]);
    expect(JSON.parse((await ci.store.getValue(APPROVAL_KEY)) ?? '{}')).toMatchObject({ by: 'U0LEAD' });
    expect(await approvalsOn(ci)).toEqual([
      'deployment.approved U0LEAD',
      'deployment.approval-refused U0OTHER',
    ]);
    const gate = await deploymentGate(ci, 'fraud-scorer');
    expect(gate).toMatchObject({ allowed: true, status: 'open' });
    expect(gate.approval?.approved?.by).toBe('U0LEAD');
  });

  it('stores the approval on a second try when what landed meanwhile does not cover the deployment waiting', async () => {
    const { ci, replica, v41, v42 } = await twoApprovers();
    // An approver's replica that read before v42 was recorded stores its approval for the deployment after v41.
    const stale = JSON.stringify({
      by: 'U0OTHER',
      at: ci.clock.now(),
      reason: 'late',
      askedFor: `deployment:${v41}`,
    });
    const lead = replica(
      whileApproving(ci.store, 'fraud-scorer', () => ci.store.setValue(APPROVAL_KEY, stale, 24 * HOUR)),
    );
    const approval = await approveDeployment(lead, 'fraud-scorer', {
      actor: LEAD,
      askedFor: `deployment:${v42}`,
    });
    expect(approval.approved?.by).toBe('U0LEAD');
    expect(announced(lead)).toEqual([
      expect.stringMatching(/^✅ next deployment of fraud-scorer approved by U0LEAD /),
    ]);
    expect(await approvalsOn(ci)).toEqual(['deployment.approved U0LEAD']);
    expect(await deploymentGate(ci, 'fraud-scorer')).toMatchObject({ allowed: true, status: 'open' });
  });

  it('refuses, storing nothing, when the stored approval changes again before the second try', async () => {
    const { ci, replica, v41, v42 } = await twoApprovers();
    let late = 0;
    const stale = () =>
      JSON.stringify({
        by: 'U0OTHER',
        at: ci.clock.now(),
        reason: `late ${++late}`,
        askedFor: `deployment:${v41}`,
      });
    let written = '';
    const lead = replica(
      whileApproving(
        ci.store,
        'fraud-scorer',
        () => ci.store.setValue(APPROVAL_KEY, (written = stale()), 24 * HOUR),
        2,
      ),
    );
    await expect(
      approveDeployment(lead, 'fraud-scorer', { actor: LEAD, askedFor: `deployment:${v42}` }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      message:
        "the stored approval of fraud-scorer's next deployment changed twice while U0LEAD approved; nothing was approved",
      hint: 'approve again: GET /api/gate/fraud-scorer shows the approval in force, if any',
    });
    expect(late).toBe(2);
    expect(await ci.store.getValue(APPROVAL_KEY)).toBe(written);
    expect(announced(lead)).toEqual([]);
    expect(await approvalsOn(ci)).toEqual([]);
    expect(await deploymentGate(ci, 'fraud-scorer')).toMatchObject({
      allowed: false,
      status: 'approval required',
    });
  });
});

describe('an approval stored by a build from before approvals named their deployment', () => {
  const oldFormat = (deps: TestDeps) =>
    JSON.stringify({ by: 'U0LEAD', at: deps.clock.now(), reason: 'approved before the upgrade' });

  it('covers whichever deployment waits, as it did', async () => {
    const deps = makeDeps({ runbooks: [tiered(1)] });
    await deploy(deps, 'v42');
    await deps.store.setValue(APPROVAL_KEY, oldFormat(deps), 24 * HOUR);
    await deploy(deps, 'v43'); // recorded by an older replica: it does not use the approval up
    await deps.store.setValue(APPROVAL_KEY, oldFormat(deps), 24 * HOUR);
    const gate = await deploymentGate(deps, 'fraud-scorer');
    expect(gate).toMatchObject({ allowed: true, status: 'open' });
    expect(gate.approval?.approved).toEqual({
      by: 'U0LEAD',
      at: deps.clock.now(),
      reason: 'approved before the upgrade',
      until: deps.clock.now() + 24 * HOUR,
    });
  });

  it('does not cover the first deployment after a rollback made after it, as before, and says so', async () => {
    const deps = makeDeps({ runbooks: [tiered(2)] });
    await deploy(deps, 'v41');
    await deploy(deps, 'v42');
    const given = deps.clock.now();
    await deps.store.setValue(APPROVAL_KEY, oldFormat(deps), 24 * HOUR);
    deps.clock.advance(HOUR);
    deps.fake.previous = 'v41';
    deps.fake.current = 'v42';
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await rollback(deps, { model: 'fraud-scorer', reason: 'errors', by: 'cli:ana', trigger: 'cli' });
    const gate = await deploymentGate(deps, 'fraud-scorer');
    expect(gate.approval?.approved).toBeUndefined();
    expect(gate.approval?.outdated).toEqual({
      by: 'U0LEAD',
      at: given,
      reason: 'approved before the upgrade',
      why: `the approval by U0LEAD (${iso(given)}) was given before the rollback this deployment follows: approve this one`,
    });
  });
});
