/**
 * `POST /api/gate/:model/override` waives what holds the gate for one deployment window (24 h): open
 * retrospective action items and an overdue drill. Given while none holds it, it would sit unseen for a day and
 * waive whatever came up next (a drill coming due), which nobody weighed: it is refused, saying why, storing
 * nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { notePlanned } from '../../../src/engine/drill-overdue.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import type { Runbook } from '../../../src/runbooks/schema.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { apiFetch, apiPost, json, serveApp } from '../../helpers/http.js';

const DAY = 86_400_000;
const OVERRIDE_KEY = 'gate-override:fraud-scorer';

let deps: TestDeps;
let server: Awaited<ReturnType<typeof serveApp>> | undefined;
afterEach(() => server?.close());

/** fraud-scorer at `tier`, with drills planned a day ago (due in 99 days), U0LEAD its approver. */
async function serveModel(tier: Runbook['tier']): Promise<void> {
  const runbook = makeRunbook('fraud-scorer', 'rollback: { approvers: [U0LEAD] }\ndrill: { dryRun: true }');
  deps = makeDeps({ runbooks: [{ ...runbook, tier }] });
  await notePlanned(deps, 'fraud-scorer');
  deps.clock.advance(DAY);
  server = await serveApp(deps);
}

const override = (approvedBy = 'U0LEAD') =>
  apiPost(`${server?.url}/api/gate/fraud-scorer/override`, { approvedBy, reason: 'hotfix cannot wait' });
const gate = () => json(apiFetch(`${server?.url}/api/gate/fraud-scorer`));

/** The refusal: 409 with `message` and `hint`, nothing stored, nothing recorded. */
async function expectRefused(response: Response, message: string, hint: string): Promise<void> {
  expect(response.status).toBe(409);
  expect((await json(response)).error).toMatchObject({ code: 'CONFLICT', message, hint });
  expect(await deps.store.getValue(OVERRIDE_KEY)).toBeUndefined();
  for (const incident of await deps.store.listIncidents({}))
    expect((await deps.store.list(incident.id)).map((entry) => entry.type)).not.toContain('gate.overridden');
}

describe('POST /api/gate/:model/override with nothing to waive', () => {
  it('is refused while the gate is open, and the drill coming due later closes it', async () => {
    await serveModel(2);
    await expectRefused(
      await override(),
      'nothing to override: the deployment gate of fraud-scorer is open',
      'an override waives open retrospective action items and an overdue drill for 24 h: give one while they close the gate',
    );
    deps.clock.advance(99 * DAY);
    expect(await gate()).toMatchObject({ allowed: false, status: 'closed' });
  });

  it('is refused while the gate waits only for a deployment approval, saying how to give that', async () => {
    await serveModel(1);
    await expectRefused(
      await override(),
      'nothing to override: the deployment gate of fraud-scorer waits only for a deployment approval, which an override does not give',
      'approve it with the Approve deployment button in C0TEST0001, or POST /api/gate/fraud-scorer/approve',
    );
  });

  it('is refused while only an open incident closes the gate, which no override waives', async () => {
    await serveModel(2);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const refused = await override();
    expect(refused.status).toBe(409);
    const { error } = await json(refused);
    expect(error.message).toMatch(
      /^nothing to override: the deployment gate of fraud-scorer is closed only by open incident INC-1 \(triage\) since .*, which no override waives$/,
    );
    expect(error.hint).toBe(
      'an override waives open retrospective action items and an overdue drill for 24 h: give one while they close the gate',
    );
    expect(await deps.store.getValue(OVERRIDE_KEY)).toBeUndefined();
    expect((await deps.store.list('INC-1')).map((entry) => entry.type)).not.toContain('gate.overridden');
  });

  it('is still given once the drill is overdue', async () => {
    await serveModel(2);
    deps.clock.advance(99 * DAY);
    const given = await override();
    expect(given.status).toBe(200);
    expect(await json(given)).toMatchObject({ allowed: true, override: { by: 'U0LEAD' } });
  });

  it('checks who may before what there is to waive: anyone else is refused as ever', async () => {
    await serveModel(2);
    const refused = await override('U0INTRUDER');
    expect(refused.status).toBe(403);
  });
});

const revoke = (body: unknown) =>
  fetch(`${server?.url}/api/gate/fraud-scorer/override`, {
    method: 'DELETE',
    headers: { 'content-type': 'application/json', authorization: 'Bearer api-t' },
    body: JSON.stringify(body),
  });

describe('DELETE /api/gate/:model/override', () => {
  /** fraud-scorer's drill overdue after INC-1 (resolved), and U0LEAD's override of its gate. */
  async function overridden(): Promise<void> {
    await serveModel(2);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await resolve(deps, 'INC-1', { by: 'U0LEAD', reason: 'back to normal' });
    deps.clock.advance(99 * DAY);
    expect((await override()).status).toBe(200);
  }

  it('takes an approver’s override back: the gate closes again, and the timeline says who and why', async () => {
    await overridden();
    const revoked = await revoke({ revokedBy: 'U0LEAD', reason: 'the hotfix went out' });
    expect(revoked.status).toBe(200);
    const answer = await json(revoked);
    expect(answer).toMatchObject({ allowed: false, status: 'closed' });
    expect(answer.override).toBeUndefined();
    expect(await deps.store.getValue(OVERRIDE_KEY)).toBeUndefined();
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
      type: 'gate.override-revoked',
      actor: 'U0LEAD',
      text: 'deployment gate override by U0LEAD (hotfix cannot wait) revoked by U0LEAD: the hotfix went out',
    });
    expect(await gate()).toMatchObject({ allowed: false, status: 'closed' });
  });

  it('lets only whom rollback.approvers allows, recording the denial and keeping the override', async () => {
    await overridden();
    const stored = await deps.store.getValue(OVERRIDE_KEY);
    const refused = await revoke({ revokedBy: 'U0INTRUDER' });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.message).toBe(
      'U0INTRUDER may not approve fraud-scorer: the runbook allows U0LEAD',
    );
    expect(await deps.store.getValue(OVERRIDE_KEY)).toBe(stored);
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
      type: 'permission.denied',
      actor: 'U0INTRUDER',
    });
    expect(await gate()).toMatchObject({ allowed: true, override: { by: 'U0LEAD' } });
  });

  it('answers 409 when no override holds, and 400 naming a missing revokedBy', async () => {
    await serveModel(2);
    const none = await revoke({ revokedBy: 'U0LEAD' });
    expect(none.status).toBe(409);
    expect((await json(none)).error).toMatchObject({
      message: 'no override of the deployment gate of fraud-scorer to revoke',
      hint: 'GET /api/gate/fraud-scorer shows the override (`override`) while one holds',
    });
    const unnamed = await revoke({ reason: 'oops' });
    expect(unnamed.status).toBe(400);
    expect(JSON.stringify(await json(unnamed))).toContain('revokedBy');
  });
});
