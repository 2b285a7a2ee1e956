/**
 * An Approve deployment press approves the deployment its message asked about, not whichever one waits when
 * it is pressed: the old message of an earlier rollback, or of a tier-1 deployment that went out since, talks
 * about something else than the deployment waiting now.
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
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';

const HOUR = 3_600_000;
const LEAD = { id: 'U0LEAD', groups: [] };
const tiered = (level: Runbook['tier']): Runbook => ({
  ...makeRunbook('fraud-scorer'),
  tier: level,
  rollback: { ...makeRunbook('fraud-scorer').rollback, approvers: ['U0LEAD'] },
});
const deploy = async (deps: TestDeps, version: string) => {
  await recordDeployment(deps, { model: 'fraud-scorer', version, strategy: 'canary', by: 'ci' });
  deps.fake.previous = deps.fake.current;
  deps.fake.current = version;
  deps.clock.advance(HOUR);
};

/** The serving version degrades and is rolled back in a new incident, which is then resolved. */
async function rollBackIn(deps: TestDeps, incidentId: string): Promise<void> {
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  const outcome = await rollback(deps, {
    model: 'fraud-scorer',
    reason: 'errors',
    by: 'cli:ana',
    trigger: 'cli',
  });
  expect(outcome.outcome).toBe('succeeded');
  await resolve(deps, incidentId, { by: 'U0ANA', reason: 'back to normal' });
  deps.clock.advance(HOUR);
}

/** CI polls the gate, which asks the channel: what the newest request's Approve deployment button carries. */
async function askedNow(deps: TestDeps) {
  await deploymentGate(deps, 'fraud-scorer', { requestApproval: true });
  const requests = deps.notifier.ofType('channel.message').filter((event) => event.approveDeployment);
  return { asked: requests.length, button: requests.at(-1)?.approveDeployment };
}

describe('Approve deployment on the message of a request that is no longer the one waiting', () => {
  it('after a later rollback: approves nothing, says what waits now and where, and records the refusal', async () => {
    const deps = makeDeps({ runbooks: [tiered(2)] });
    await deploy(deps, 'v41');
    await deploy(deps, 'v42');
    await rollBackIn(deps, 'INC-1');
    const first = await askedNow(deps);
    // The request after INC-1 is approved through the API, and v43 goes out; weeks later INC-2 rolls it back.
    await approveDeployment(deps, 'fraud-scorer', { actor: LEAD, reason: 'v42 fix reviewed' });
    await deploy(deps, 'v43');
    deps.clock.advance(21 * 24 * HOUR);
    await rollBackIn(deps, 'INC-2');
    const second = await askedNow(deps);
    expect(second.asked).toBe(2);

    // Someone presses Approve on INC-1's message, which talks about v42.
    const stale = approveDeployment(deps, 'fraud-scorer', {
      actor: LEAD,
      reason: 'approved in Slack',
      ...first.button,
    });
    await expect(stale).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(
        /^this message asked about an earlier deployment of fraud-scorer: the one waiting now is the first deployment after the rollback from v43 in INC-2 \(.*\); nothing was approved$/,
      ),
      hint: 'read its request in C0TEST0001 and approve it on that message if you agree, or POST /api/gate/fraud-scorer/approve',
    });
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ status: 'approval required' });
    expect((await deps.store.list('INC-2')).at(-1)).toMatchObject({
      type: 'deployment.approval-refused',
      actor: 'U0LEAD',
      text: expect.stringMatching(/^U0LEAD pressed Approve deployment on an earlier request of fraud-scorer/),
    });

    // INC-2's own message approves it.
    await approveDeployment(deps, 'fraud-scorer', {
      actor: LEAD,
      reason: 'approved in Slack',
      ...second.button,
    });
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ status: 'open' });
  });

  it('on a tier-1 model: a request is for the deployment after the last one recorded, and asked again once that went out', async () => {
    const deps = makeDeps({ runbooks: [tiered(1)] });
    await deploy(deps, 'v42');
    const first = await askedNow(deps);
    await approveDeployment(deps, 'fraud-scorer', { actor: LEAD, reason: 'v43 reviewed' });
    await deploy(deps, 'v43');
    // CI asks for v44 within the day: a request of its own, not folded into v43's.
    const second = await askedNow(deps);
    expect(second.asked).toBe(2);

    await expect(approveDeployment(deps, 'fraud-scorer', { actor: LEAD, ...first.button })).rejects.toThrow(
      'this message asked about an earlier deployment of fraud-scorer: the one waiting now is the deployment after v43 (recorded 2026-',
    );
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ status: 'approval required' });
    await approveDeployment(deps, 'fraud-scorer', { actor: LEAD, ...second.button });
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ status: 'open' });
  });

  it('on a tier-1 model: a deployment recorded in the same millisecond as the last is another deployment to ask about', async () => {
    const deps = makeDeps({ runbooks: [tiered(1)] });
    // Two pipelines record v42 and v43 within one millisecond; the request asked about the deployment after v42.
    await recordDeployment(deps, { model: 'fraud-scorer', version: 'v42', strategy: 'canary', by: 'ci' });
    const afterV42 = await askedNow(deps);
    await recordDeployment(deps, { model: 'fraud-scorer', version: 'v43', strategy: 'canary', by: 'ci' });
    const afterV43 = await askedNow(deps);
    expect(afterV43.asked).toBe(2);
    expect(afterV43.button?.askedFor).not.toBe(afterV42.button?.askedFor);
    expect((await deploymentGate(deps, 'fraud-scorer')).approval?.askedFor).toMatch(/^deployment:\d+\.2$/);

    // A press on the request about the deployment after v42 approves nothing: v43 went out since.
    await expect(
      approveDeployment(deps, 'fraud-scorer', { actor: LEAD, ...afterV42.button }),
    ).rejects.toThrow(
      'this message asked about an earlier deployment of fraud-scorer: the one waiting now is the deployment after v43 (recorded 2026-',
    );
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ status: 'approval required' });
    await approveDeployment(deps, 'fraud-scorer', { actor: LEAD, ...afterV43.button });
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ status: 'open' });
  });

  it('approves as before on a button that carries no request (drawn before requests were carried)', async () => {
    const deps = makeDeps({ runbooks: [tiered(1)] });
    await deploy(deps, 'v42');
    await askedNow(deps);
    await deploy(deps, 'v43');
    await approveDeployment(deps, 'fraud-scorer', { actor: LEAD });
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ status: 'open' });
  });
});
