/**
 * `POST /api/gate/:model/approve` with `askedFor`: a script approves the deployment it read from
 * `GET /api/gate/:model` (its `approval.askedFor`), as an Approve deployment button approves the one its message
 * asked about, and never a later one nobody looked at. Without `askedFor` it approves whichever waits, as before.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordDeployment } from '../../../src/engine/deployments.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { rollback } from '../../../src/engine/rollback.js';
import type { Runbook } from '../../../src/runbooks/schema.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { apiFetch, apiPost, json, serveApp } from '../../helpers/http.js';

const HOUR = 3_600_000;
const APPROVAL_KEY = 'deploy-approval:fraud-scorer';

let deps: TestDeps;
let server: Awaited<ReturnType<typeof serveApp>>;

/** Serves the API on a runbook of `tier` whose approver is U0LEAD. */
async function serveTier(tier: Runbook['tier']): Promise<void> {
  const base = makeRunbook('fraud-scorer');
  deps = makeDeps({ runbooks: [{ ...base, tier, rollback: { ...base.rollback, approvers: ['U0LEAD'] } }] });
  server = await serveApp(deps);
}

afterEach(() => server.close());

const gate = () => json(apiFetch(`${server.url}/api/gate/fraud-scorer`));
const approve = (body: unknown) => apiPost(`${server.url}/api/gate/fraud-scorer/approve`, body);

/** CI records `version` (as POST /api/deployments would), and time moves on. */
async function deploy(version: string): Promise<void> {
  await recordDeployment(deps, { model: 'fraud-scorer', version, strategy: 'canary', by: 'ci' });
  deps.fake.previous = deps.fake.current;
  deps.fake.current = version;
  deps.clock.advance(HOUR);
}

/** The serving version degrades and is rolled back in incident `incidentId`, which is then resolved. */
async function rollBackIn(incidentId: string): Promise<void> {
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

describe('GET /api/gate/:model', () => {
  beforeEach(() => serveTier(1));

  it('names the deployment an approval is asked for, to pass back to …/approve', async () => {
    await deploy('v42');
    const recorded = (await deps.store.deployments('fraud-scorer'))[0]?.at;
    expect(await gate()).toMatchObject({
      status: 'approval required',
      approval: { askedFor: `deployment:${recorded}` },
    });
  });
});

describe('POST /api/gate/:model/approve with askedFor', () => {
  it('approves the deployment the gate named', async () => {
    await serveTier(1);
    await deploy('v42');
    const { approval } = await gate();
    const response = await approve({
      approvedBy: 'U0LEAD',
      reason: 'v43 reviewed',
      askedFor: approval.askedFor,
    });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      status: 'open',
      approval: { askedFor: approval.askedFor, approved: { by: 'U0LEAD', reason: 'v43 reviewed' } },
    });
  });

  it('approves the deployment after two recorded in one millisecond, by the askedFor the gate named', async () => {
    await serveTier(1);
    await recordDeployment(deps, { model: 'fraud-scorer', version: 'v42', strategy: 'canary', by: 'ci' });
    await recordDeployment(deps, { model: 'fraud-scorer', version: 'v43', strategy: 'canary', by: 'ci' });
    const { approval } = await gate();
    expect(approval.askedFor).toMatch(/^deployment:\d+\.2$/);
    const response = await approve({ approvedBy: 'U0LEAD', askedFor: approval.askedFor });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ status: 'open' });
  });

  it('refuses, storing no approval, once another deployment waits (tier 1: the one asked about went out)', async () => {
    await serveTier(1);
    await deploy('v42');
    const before = (await gate()).approval.askedFor;
    await deploy('v43');
    const now = (await gate()).approval.askedFor;
    expect(now).not.toBe(before);

    const response = await approve({ approvedBy: 'U0LEAD', askedFor: before });
    expect(response.status).toBe(409);
    const { error } = await json(response);
    expect(error.message).toMatch(
      new RegExp(
        `^askedFor ${before} is not the deployment of fraud-scorer waiting for approval now: that is the deployment after v43 \\(recorded 2026-.*\\), askedFor ${now}; nothing was approved$`,
      ),
    );
    expect(error.hint).toBe(
      'read GET /api/gate/fraud-scorer and approve with its approval.askedFor if you agree to that deployment',
    );
    expect(await deps.store.getValue(APPROVAL_KEY)).toBeUndefined();
    expect(await gate()).toMatchObject({ status: 'approval required' });
  });

  it("refuses an earlier rollback's request once a later rollback asks, recording the refusal on its incident", async () => {
    await serveTier(2);
    await deploy('v41');
    await deploy('v42');
    await rollBackIn('INC-1');
    const first = (await gate()).approval.askedFor;
    expect(first).toMatch(/^rollback:INC-1:\d+$/);
    expect((await approve({ approvedBy: 'U0LEAD', askedFor: first })).status).toBe(200);
    await deploy('v43');
    await rollBackIn('INC-2');

    const stale = await approve({ approvedBy: 'U0LEAD', askedFor: first });
    expect(stale.status).toBe(409);
    expect((await json(stale)).error.message).toContain(
      'that is the first deployment after the rollback from v43 in INC-2',
    );
    expect(await deps.store.getValue(APPROVAL_KEY)).toBeUndefined();
    expect((await deps.store.list('INC-2')).at(-1)).toMatchObject({
      type: 'deployment.approval-refused',
      actor: 'U0LEAD',
      text: expect.stringMatching(
        new RegExp(
          `^U0LEAD approved through the API ${first}, not the deployment of fraud-scorer waiting now`,
        ),
      ),
    });
  });

  it('refuses a malformed askedFor with 400 naming the field, storing nothing', async () => {
    await serveTier(1);
    await deploy('v42');
    for (const askedFor of ['', 'v43', 42]) {
      const response = await approve({ approvedBy: 'U0LEAD', askedFor });
      expect(response.status).toBe(400);
      expect((await json(response)).error.message).toContain('askedFor');
    }
    expect(await deps.store.getValue(APPROVAL_KEY)).toBeUndefined();
  });

  it('without askedFor approves whichever deployment waits, as before', async () => {
    await serveTier(1);
    await deploy('v42');
    await gate();
    await deploy('v43');
    expect((await approve({ approvedBy: 'U0LEAD' })).status).toBe(200);
    expect(await gate()).toMatchObject({ status: 'open' });
  });
});
