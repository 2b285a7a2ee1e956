/**
 * Every API body field naming someone whose permission is checked against rollback.approvers takes the same form,
 * with the same message. `…/approve` alone demanded a Slack user ID (`^[UW]…`) while `…/override`, `…/freeze` and
 * `…/dismiss` took any name: yet all are decided by the same rule (core/policy.ts mayAct), under which a runbook
 * listing nobody lets anyone act — the CLI's `cli:<login>` through these very fields — and one listing people lets
 * only their user IDs (or members of their groups) through, refusing anyone else with a recorded denial.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { API_AUTH, json, serveApp } from '../../helpers/http.js';

let deps: TestDeps;
let server: Awaited<ReturnType<typeof serveApp>>;

beforeEach(async () => {
  // Both tier 1 (every deployment needs an approval); fraud-scorer lists its approver, churn-predictor nobody.
  deps = makeDeps({
    runbooks: [
      makeRunbook('fraud-scorer', 'rollback: { approvers: [U0LEAD] }'),
      makeRunbook('churn-predictor'),
    ],
  });
  server = await serveApp(deps);
});
afterEach(() => server.close());

const send = (method: string, path: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: { ...API_AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** Each approver field, with the rest of a body that would otherwise pass. */
const APPROVER_FIELDS = [
  { method: 'POST', path: '/api/gate/fraud-scorer/approve', field: 'approvedBy', body: {} },
  {
    method: 'POST',
    path: '/api/gate/fraud-scorer/override',
    field: 'approvedBy',
    body: { reason: 'hotfix' },
  },
  { method: 'DELETE', path: '/api/gate/fraud-scorer/override', field: 'revokedBy', body: {} },
  {
    method: 'POST',
    path: '/api/gate/fraud-scorer/freeze',
    field: 'frozenBy',
    body: { until: '2026-11-23T09:00:00Z', reason: 'year end' },
  },
  { method: 'POST', path: '/api/gate/fraud-scorer/unfreeze', field: 'liftedBy', body: {} },
  {
    method: 'POST',
    path: '/api/incidents/INC-1/dismiss',
    field: 'dismissedBy',
    body: { reason: 'upstream' },
  },
];

/** What every approver field's refusal says to give, after "name who <does>: ". */
const WHO =
  'a Slack user ID that rollback.approvers allows, directly or through a user group (any name where it lists nobody)';

describe('approver fields of the API', () => {
  it.each(APPROVER_FIELDS)(
    'refuses a missing or blank $field on $method $path with the same message',
    async ({ method, path, field, body }) => {
      await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
      const before = await deps.store.list('INC-1');
      for (const given of [{}, { [field]: '' }, { [field]: '  ' }]) {
        const response = await send(method, path, { ...body, ...given });
        expect(response.status, JSON.stringify(given)).toBe(400);
        const { error } = await json(response);
        expect(error.details).toEqual([{ path: field, message: expect.stringMatching(/^name who [^:]+: /) }]);
        expect(error.details[0].message.replace(/^name who [^:]+: /, '')).toBe(WHO);
      }
      expect(await deps.store.list('INC-1')).toEqual(before);
    },
  );

  it('approves a deployment as any name where the runbook lists nobody, as it overrides the gate', async () => {
    const response = await send('POST', '/api/gate/churn-predictor/approve', {
      approvedBy: 'cli:ana',
      reason: 'reviewed',
    });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      allowed: true,
      approval: { approved: { by: 'cli:ana', reason: 'reviewed' } },
    });
  });

  it('refuses a name where the runbook lists people as it refuses an override: 403, the denial recorded', async () => {
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const approval = await send('POST', '/api/gate/fraud-scorer/approve', { approvedBy: 'ana' });
    const override = await send('POST', '/api/gate/fraud-scorer/override', {
      approvedBy: 'ana',
      reason: 'hotfix',
    });
    for (const refused of [approval, override]) {
      expect(refused.status).toBe(403);
      expect((await json(refused)).error).toEqual({
        code: 'FORBIDDEN',
        message: 'ana may not approve fraud-scorer: the runbook allows U0LEAD',
        hint: 'ask one of U0LEAD, or add yourself to rollback.approvers in runbooks/fraud-scorer.yml',
      });
    }
    const denials = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'permission.denied');
    expect(denials.map((entry) => entry.actor)).toEqual(['ana', 'ana']);
  });
});
