import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { useServedApp } from '../../helpers/api.js';
import { makeDeps, makeRunbook } from '../../helpers/engine.js';
import { apiFetch, apiPost, json, serveApp } from '../../helpers/http.js';

const DAY = 86_400_000;

/** Tier 2, so that only a freeze closes the gates: fraud-scorer lets only U0LEAD act, churn-predictor anyone. */
const app = useServedApp(() =>
  makeDeps({
    runbooks: [
      { ...makeRunbook('fraud-scorer', 'rollback: { approvers: [U0LEAD] }'), tier: 2 },
      { ...makeRunbook('churn-predictor'), tier: 2 },
    ],
  }),
);

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return apiPost(`${app.server.url}${path}`, body, headers);
}

const gate = (model: string) => json(apiFetch(`${app.server.url}/api/gate/${model}`));
const inADay = () => new Date(app.deps.clock.now() + DAY).toISOString();

/** Nothing a refused request may leave: a freeze, a channel message. */
async function nothingFrozen() {
  expect(await gate('fraud-scorer')).toMatchObject({ allowed: true, reasons: [] });
  expect(await gate('churn-predictor')).toMatchObject({ allowed: true, reasons: [] });
  expect(app.deps.notifier.ofType('channel.message')).toEqual([]);
}

describe('POST /api/gate/:model/freeze and …/unfreeze', () => {
  it('freezes a model until lifted: the gate says who, until when and why', async () => {
    const until = inADay();
    const frozen = await post('/api/gate/fraud-scorer/freeze', {
      until,
      reason: 'quarter close',
      frozenBy: 'U0LEAD',
    });
    expect(frozen.status).toBe(200);
    expect(await json(frozen)).toEqual({
      freeze: {
        model: 'fraud-scorer',
        by: 'U0LEAD',
        reason: 'quarter close',
        until: Date.parse(until),
        at: app.deps.clock.now(),
      },
      models: ['fraud-scorer'],
    });
    expect(await gate('fraud-scorer')).toMatchObject({
      allowed: false,
      status: 'closed',
      reasons: [`deploy freeze by U0LEAD until ${until}: quarter close`],
    });

    const lifted = await post('/api/gate/fraud-scorer/unfreeze', {
      liftedBy: 'U0LEAD',
      reason: 'closed early',
    });
    expect(lifted.status).toBe(200);
    expect(await gate('fraud-scorer')).toMatchObject({ allowed: true, reasons: [] });
    const again = await post('/api/gate/fraud-scorer/unfreeze', { liftedBy: 'U0LEAD' });
    expect(again.status).toBe(409);
    expect((await json(again)).error.message).toBe('fraud-scorer is not frozen');
  });

  it('freezes every model at /api/gate/*/freeze', async () => {
    const response = await post('/api/gate/*/freeze', {
      until: inADay(),
      reason: 'holidays',
      frozenBy: 'U0LEAD',
    });
    expect(response.status).toBe(200);
    expect((await json(response)).models).toEqual(['fraud-scorer', 'churn-predictor']);
    expect((await gate('churn-predictor')).reasons).toEqual([
      expect.stringMatching(/^deploy freeze of every model by U0LEAD /),
    ]);
    expect((await post('/api/gate/*/unfreeze', { liftedBy: 'U0LEAD' })).status).toBe(200);
    expect((await gate('churn-predictor')).allowed).toBe(true);
  });

  it('answers which freeze a new one replaced', async () => {
    const longer = new Date(app.deps.clock.now() + 2 * DAY).toISOString();
    await post('/api/gate/fraud-scorer/freeze', {
      until: longer,
      reason: 'quarter close',
      frozenBy: 'U0LEAD',
    });

    const replacing = await post('/api/gate/fraud-scorer/freeze', {
      until: inADay(),
      reason: 'release train',
      frozenBy: 'U0LEAD',
    });
    expect(replacing.status).toBe(200);
    expect(await json(replacing)).toMatchObject({
      freeze: { reason: 'release train' },
      replaced: { model: 'fraud-scorer', by: 'U0LEAD', reason: 'quarter close', until: Date.parse(longer) },
    });
  });

  it('lifting the freeze of every model answers the models still frozen on their own', async () => {
    const own = inADay();
    const all = new Date(app.deps.clock.now() + 2 * DAY).toISOString();
    await post('/api/gate/fraud-scorer/freeze', { until: own, reason: 'release train', frozenBy: 'U0LEAD' });
    await post('/api/gate/*/freeze', { until: all, reason: 'holidays', frozenBy: 'U0LEAD' });

    const lifted = await post('/api/gate/*/unfreeze', { liftedBy: 'U0LEAD' });
    expect(lifted.status).toBe(200);
    expect(await json(lifted)).toMatchObject({
      freeze: { model: '*', until: Date.parse(all) },
      models: ['fraud-scorer', 'churn-predictor'],
      stillFrozen: [{ model: 'fraud-scorer', by: 'U0LEAD', reason: 'release train', until: Date.parse(own) }],
    });
    expect(await gate('fraud-scorer')).toMatchObject({ allowed: false });
  });

  it.each([
    [{ reason: 'x', frozenBy: 'U0LEAD' }, 'until'],
    [{ until: 'tomorrow', reason: 'x', frozenBy: 'U0LEAD' }, 'until: "tomorrow" is not an ISO time'],
    [
      { until: '2026-11-01T00:00:00Z', reason: 'x', frozenBy: 'U0LEAD' },
      'until: 2026-11-01T00:00:00.000Z is not in the future',
    ],
    [
      { until: '2027-01-30T00:00:00Z', reason: 'x', frozenBy: 'U0LEAD' },
      'until: 2027-01-30T00:00:00.000Z is more than 30d from now',
    ],
    [
      { until: '2026-11-31T00:00:00Z', reason: 'x', frozenBy: 'U0LEAD' },
      'until: "2026-11-31T00:00:00Z" is not a date: November 2026 has 30 days',
    ],
    [{ until: '2026-11-23T00:00:00Z', reason: ' ', frozenBy: 'U0LEAD' }, 'reason'],
    [{ until: '2026-11-23T00:00:00Z', reason: 'x' }, 'frozenBy'],
    [
      { until: '2026-11-23T00:00:00Z', reason: 'x', frozenby: 'U0LEAD' },
      'frozenby: unknown field (did you mean "frozenBy"?)',
    ],
  ])('refuses %j with 400 naming %s, storing nothing', async (body, named) => {
    const response = await post('/api/gate/fraud-scorer/freeze', body);
    expect(response.status).toBe(400);
    const { error } = await json(response);
    expect(error.message).toContain(named);
    expect(error.hint).toContain('nothing was changed');
    await nothingFrozen();
  });

  it('needs the API token, and an approver the runbook allows, recording the denial', async () => {
    await ingestAlerts(app.deps, [firing('fraud-scorer', app.deps.clock.now())]);
    const body = { until: inADay(), reason: 'x', frozenBy: 'U0LEAD' };
    expect(
      (await post('/api/gate/fraud-scorer/freeze', body, { authorization: 'Bearer wrong' })).status,
    ).toBe(401);
    expect((await post('/api/gate/fraud-scorer/freeze', body, { authorization: '' })).status).toBe(401);
    const refused = await post('/api/gate/fraud-scorer/freeze', { ...body, frozenBy: 'U0BO' });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.message).toBe(
      'U0BO may not freeze deployments of fraud-scorer: the runbook allows U0LEAD',
    );
    const everyModel = await post('/api/gate/*/freeze', { ...body, frozenBy: 'U0BO' });
    expect(everyModel.status).toBe(403);
    expect((await json(everyModel)).error.message).toBe(
      'U0BO may not freeze deployments of every model: the runbook of fraud-scorer allows U0LEAD',
    );
    expect((await post('/api/gate/nope/freeze', body)).status).toBe(404);
    const timeline = await app.deps.store.list('INC-1');
    expect(
      timeline.filter((entry) => entry.type === 'permission.denied').map((entry) => entry.actor),
    ).toEqual(['U0BO', 'U0BO']);
    expect(timeline.filter((entry) => entry.type === 'gate.frozen')).toEqual([]);

    expect((await post('/api/gate/fraud-scorer/freeze', body)).status).toBe(200);
    const lift = await post('/api/gate/fraud-scorer/unfreeze', { liftedBy: 'U0BO' });
    expect(lift.status).toBe(403);
    expect((await gate('fraud-scorer')).allowed).toBe(false);
  });

  it('is off without API_TOKEN', async () => {
    await app.server.close();
    app.server = await serveApp(app.deps, { apiToken: undefined });
    const response = await post('/api/gate/fraud-scorer/freeze', {
      until: inADay(),
      reason: 'x',
      frozenBy: 'U0LEAD',
    });
    expect(response.status).toBe(403);
    await nothingFrozen();
  });
});
