/**
 * Query parameters on a route that reads none were ignored: `POST /api/rollbacks?dryRun=true` with the rest in the
 * body rolled back for real, and `GET /api/drills?model=x` answered every model's. Only GET /api/incidents takes
 * any (its filters, api.test.ts); elsewhere they are refused, naming them and where they go.
 */
import { describe, expect, it } from 'vitest';
import { useServedApp } from '../../helpers/api.js';
import { API_AUTH, apiFetch, json } from '../../helpers/http.js';

const app = useServedApp();

describe('query parameters on API routes that take none', () => {
  it('refuses POST /api/rollbacks?dryRun=true instead of rolling back for real', async () => {
    const response = await fetch(`${app.server.url}/api/rollbacks?dryRun=true`, {
      method: 'POST',
      headers: { ...API_AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fraud-scorer', reason: 'p99' }),
    });
    expect(response.status).toBe(400);
    expect((await json(response)).error).toEqual({
      code: 'BAD_REQUEST',
      message: 'POST /api/rollbacks takes no query parameters, got dryRun',
      hint: 'send them as fields of the JSON body (see README.md "HTTP API"); nothing was done',
    });
    expect(app.deps.fake.calls).toEqual([]);
  });

  it('refuses them on reads too, rather than answer as if they were not there', async () => {
    const response = await apiFetch(`${app.server.url}/api/drills?model=fraud-scorer&x=1`);
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({
      message: 'GET /api/drills takes no query parameters, got model, x',
      hint: 'nothing was done: leave them out (see README.md "HTTP API")',
    });
  });

  it('takes a bare ? and leaves health, readiness and metrics alone', async () => {
    expect((await apiFetch(`${app.server.url}/api/drills?`)).status).toBe(200);
    expect((await fetch(`${app.server.url}/healthz?probe=lb`)).status).toBe(200);
    expect((await fetch(`${app.server.url}/metrics?name[]=x`)).status).toBe(200);
  });
});
