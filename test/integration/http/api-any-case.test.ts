/**
 * Incident ids and model names in any case, as Slack takes them (slack/parse.ts): an id is upper case (`INC-7`) and
 * a model's name lower case (runbooks/fields.ts), so `inc-7` or `Fraud-Scorer` — typed by hand, or from a script
 * that upper-cases its variables — can only mean those.
 */
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { useServedApp } from '../../helpers/api.js';
import { apiFetch, apiPost, json } from '../../helpers/http.js';

const app = useServedApp();

const get = (path: string) => apiFetch(`${app.server.url}${path}`);
const post = (path: string, body: unknown) => apiPost(`${app.server.url}${path}`, body);

describe('incident ids in any case', () => {
  it('shows, notes and resolves inc-1 as INC-1', async () => {
    await ingestAlerts(app.deps, [firing('fraud-scorer', app.deps.clock.now())]);
    const shown = await get('/api/incidents/inc-1');
    expect(shown.status).toBe(200);
    expect((await json(shown)).id).toBe('INC-1');

    const noted = await post('/api/incidents/Inc-1/notes', { by: 'U0ANA', text: 'p99 back' });
    expect(noted.status).toBe(201);
    expect((await json(noted)).incidentId).toBe('INC-1');

    const resolved = await post('/api/incidents/inc-1/resolve', { reason: 'fixed upstream' });
    expect(resolved.status).toBe(200);
    expect((await json(resolved)).id).toBe('INC-1');
  });
});

describe('model names in any case', () => {
  it('answers the gate, lists incidents and records a deployment of Fraud-Scorer as fraud-scorer', async () => {
    await ingestAlerts(app.deps, [firing('fraud-scorer', app.deps.clock.now())]);
    const gate = await get('/api/gate/FRAUD-SCORER');
    expect(gate.status).toBe(200);
    expect((await json(gate)).model).toBe('fraud-scorer');

    const listed = await get('/api/incidents?model=Fraud-Scorer');
    expect(listed.status).toBe(200);
    expect((await json(listed)).incidents.map((i: { id: string }) => i.id)).toEqual(['INC-1']);

    const recorded = await post('/api/deployments', { model: 'Fraud-Scorer', version: 'v43' });
    expect(recorded.status).toBe(201);
    expect((await json(recorded)).deployment).toMatchObject({ model: 'fraud-scorer', version: 'v43' });
  });

  it('plans a rollback of FRAUD-SCORER as fraud-scorer', async () => {
    const planned = await post('/api/rollbacks', { model: 'FRAUD-SCORER', reason: 'p99', dryRun: true });
    expect(planned.status).toBe(200);
    expect(await json(planned)).toMatchObject({ outcome: 'dry-run', model: 'fraud-scorer' });
  });

  it("keeps versions as written: they are the serving layer's names", async () => {
    const recorded = await post('/api/deployments', { model: 'fraud-scorer', version: 'V43-RC' });
    expect((await json(recorded)).deployment.version).toBe('V43-RC');
  });
});
