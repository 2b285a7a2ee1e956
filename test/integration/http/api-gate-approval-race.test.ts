/**
 * `POST /api/gate/:model/approve` while CI records the deployment on another replica, on Redis as deployed: the
 * approval, meant for the deployment waiting when it was read, must not let the next one through. Two replicas on
 * one Redis prefix; the approving replica's store records through the other one just before its approval lands.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { recordDeployment } from '../../../src/engine/deployments.js';
import type { Runbook } from '../../../src/runbooks/schema.js';
import { recordingWhileApproving } from '../../helpers/approval-race.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { apiFetch, apiPost, json, serveApp } from '../../helpers/http.js';
import { useRedisStores } from '../../helpers/replicas.js';

const HOUR = 3_600_000;
const APPROVAL_KEY = 'deploy-approval:fraud-scorer';
const redisStore = useRedisStores();
const base = makeRunbook('fraud-scorer');
const RUNBOOK: Runbook = { ...base, tier: 1, rollback: { ...base.rollback, approvers: ['U0LEAD'] } };

let server: Awaited<ReturnType<typeof serveApp>> | undefined;
afterEach(() => server?.close());

/** CI's replica, and the API's, whose approval is written just after CI's replica recorded `version`. */
async function replicas(version: string): Promise<{ ci: TestDeps; api: TestDeps }> {
  const prefix = `test:${randomUUID()}:`;
  const ci = makeDeps({ runbooks: [RUNBOOK], store: redisStore(prefix) });
  const store = recordingWhileApproving(redisStore(prefix), 'fraud-scorer', () => deploy(ci, version));
  const api = makeDeps({ runbooks: [RUNBOOK], clock: ci.clock, fake: ci.fake, store });
  server = await serveApp(api);
  return { ci, api };
}

async function deploy(deps: TestDeps, version: string): Promise<void> {
  await recordDeployment(deps, { model: 'fraud-scorer', version, strategy: 'canary', by: 'ci' });
  deps.clock.advance(HOUR);
}

const gate = () => json(apiFetch(`${server?.url}/api/gate/fraud-scorer`));
const approve = (body: unknown) => apiPost(`${server?.url}/api/gate/fraud-scorer/approve`, body);

describe('POST /api/gate/:model/approve racing a deployment recorded on another replica', () => {
  it('answers 409, the gate stays closed saying why, and a fresh approval opens it', async () => {
    const { ci } = await replicas('v43');
    await deploy(ci, 'v42');
    const before = (await gate()).approval.askedFor;

    const raced = await approve({ approvedBy: 'U0LEAD', reason: 'v43 reviewed', askedFor: before });
    expect(raced.status).toBe(409);
    const now = `deployment:${(await ci.store.deployments('fraud-scorer'))[0]?.at}`;
    const { error } = await json(raced);
    expect(error.message).toMatch(
      new RegExp(
        `^the deployment of fraud-scorer waiting for approval changed while U0LEAD approved: the approval was for the deployment after v42 \\(.*\\); the one waiting now is the deployment after v43 \\(.*\\), askedFor ${now}; nothing was approved$`,
      ),
    );
    expect(error.hint).toBe(
      'read GET /api/gate/fraud-scorer and approve with its approval.askedFor if you agree to that deployment',
    );

    const closed = await gate();
    expect(closed).toMatchObject({
      allowed: false,
      status: 'approval required',
      approval: {
        askedFor: now,
        outdated: {
          by: 'U0LEAD',
          reason: 'v43 reviewed',
          askedFor: before,
          why: expect.stringMatching(/ was for an earlier deployment, .*: approve this one$/),
        },
      },
    });
    expect(closed.approval.approved).toBeUndefined();

    const fresh = await approve({ approvedBy: 'U0LEAD', reason: 'v44 reviewed', askedFor: now });
    expect(fresh.status).toBe(200);
    expect(await json(fresh)).toMatchObject({
      allowed: true,
      status: 'open',
      approval: { askedFor: now, approved: { by: 'U0LEAD', reason: 'v44 reviewed' } },
    });
  });

  it('without askedFor too: what waited when it was read is what it was for', async () => {
    const { ci } = await replicas('v43');
    await deploy(ci, 'v42');
    const raced = await approve({ approvedBy: 'U0LEAD' });
    expect(raced.status).toBe(409);
    expect((await json(raced)).error.message).toContain('the approval was for the deployment after v42');
    expect(await gate()).toMatchObject({ allowed: false, status: 'approval required' });
  });

  it('honours an approval stored by an older build (no askedFor), as it did', async () => {
    const { ci } = await replicas('v43');
    await deploy(ci, 'v42');
    const old = { by: 'U0LEAD', at: ci.clock.now(), reason: 'approved before the upgrade' };
    await ci.store.setValue(APPROVAL_KEY, JSON.stringify(old), 24 * HOUR);
    expect(await gate()).toMatchObject({ allowed: true, status: 'open', approval: { approved: old } });
  });
});
