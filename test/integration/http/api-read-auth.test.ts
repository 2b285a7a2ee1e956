/**
 * Reads of the API need the bearer token too, when the bot has one (DESIGN: "alert and API routes need bearer
 * tokens"): incident labels, summaries and timelines are not for anyone who reaches the port, and a read of the
 * gate may ask the channel for an approval. Without API_TOKEN, reads stay open and writes refused. Health and
 * metrics stay open for probes and scrapers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recordDeployment } from '../../../src/engine/deployments.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, type TestDeps } from '../../helpers/engine.js';
import { json, serveApp } from '../../helpers/http.js';

const READS = [
  '/api/incidents',
  '/api/incidents?model=fraud-scorer',
  '/api/incidents/INC-1',
  '/api/drills',
  '/api/gate/fraud-scorer',
];

let deps: TestDeps;
let server: Awaited<ReturnType<typeof serveApp>>;

afterEach(() => server.close());

/** A bot whose fraud-scorer has an open incident, and whose churn-predictor's deployment waits for approval (tier 1). */
async function start(apiToken: string | undefined): Promise<void> {
  deps = makeDeps();
  await recordDeployment(deps, { model: 'churn-predictor', version: 'v2', strategy: 'canary', by: 'ci' });
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  server = await serveApp(deps, { apiToken });
}

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
  fetch(`${server.url}${path}`, { method, headers });

describe('API reads with API_TOKEN set', () => {
  it('refuses every read without the bearer token, with 401 saying what to send, and reveals nothing', async () => {
    await start('api-t');
    for (const path of READS) {
      const response = await get(path);
      expect(response.status, path).toBe(401);
      const body = await response.json();
      expect(body, path).toEqual({
        error: {
          code: 'UNAUTHORIZED',
          message: 'missing or wrong bearer token for the API',
          hint: 'send Authorization: Bearer <API_TOKEN>',
        },
      });
      expect(JSON.stringify(body)).not.toContain('fraud-scorer');
    }
  });

  it('names the scheme to use in WWW-Authenticate, as a 401 must (RFC 9110 §11.6.1)', async () => {
    await start('api-t');
    for (const headers of [{}, { authorization: 'Basic YXBpOmFwaS10' }, { authorization: 'Bearer api-x' }]) {
      const response = await get('/api/incidents', headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="rollbot API"');
    }
  });

  it('refuses a wrong token and a HEAD probe without one', async () => {
    await start('api-t');
    for (const path of READS) {
      expect((await get(path, { authorization: 'Bearer api-x' })).status, path).toBe(401);
      expect((await get(path, {}, 'HEAD')).status, path).toBe(401);
    }
  });

  it('does not ask the channel for a deployment approval on an unauthenticated read of the gate', async () => {
    await start('api-t');
    const asked = () => deps.notifier.events.filter((event) => 'approveDeployment' in event);
    expect((await get('/api/gate/churn-predictor')).status).toBe(401);
    expect(asked()).toEqual([]);
    // The same read with the token asks, once: what the refusal above kept from an anonymous caller.
    expect((await get('/api/gate/churn-predictor', { authorization: 'Bearer api-t' })).status).toBe(200);
    expect(asked()).toHaveLength(1);
  });

  it('answers every read with the bearer token', async () => {
    await start('api-t');
    for (const path of READS) {
      expect((await get(path, { authorization: 'Bearer api-t' })).status, path).toBe(200);
    }
    const { incidents } = await json(get('/api/incidents', { authorization: 'Bearer api-t' }));
    expect(incidents.map((incident: { id: string }) => incident.id)).toEqual(['INC-1']);
  });

  it('keeps health, readiness and metrics open for probes and scrapers', async () => {
    await start('api-t');
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await get(path)).status, path).toBe(200);
  });
});

describe('API reads without API_TOKEN', () => {
  it('stays open for reads, and refuses writes as before', async () => {
    await start(undefined);
    for (const path of READS) expect((await get(path)).status, path).toBe(200);
    const write = await fetch(`${server.url}/api/incidents/INC-1/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer api-t' },
      body: JSON.stringify({ by: 'U0ANA', text: 'looked' }),
    });
    expect(write.status).toBe(403);
    expect((await json(write)).error.message).toBe('the write API is disabled because API_TOKEN is not set');
  });
});
