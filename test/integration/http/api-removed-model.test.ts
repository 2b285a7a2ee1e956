/**
 * A model whose runbook was removed keeps its incidents in the store (never lose an incident): listing them by
 * that model must answer them, not "no runbook for model". A model that is neither configured nor has any
 * incident is still a likely typo, refused with the did-you-mean 404.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { RunbookSet } from '../../../src/engine/runbook-set.js';
import { resolve } from '../../../src/engine/resolve.js';
import { createRedisStore } from '../../../src/store/redis/store.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { apiFetch, json, serveApp } from '../../helpers/http.js';

let deps: TestDeps;
let server: Awaited<ReturnType<typeof serveApp>>;

beforeEach(async () => {
  const store = createRedisStore({ redis: inject('redisUrl'), prefix: `test:${randomUUID()}:` });
  // Before: both models had runbooks, and each had an incident (search-ranker's is over).
  deps = makeDeps({ store, runbooks: [makeRunbook('fraud-scorer'), makeRunbook('search-ranker')] });
  await ingestAlerts(deps, [firing('search-ranker', deps.clock.now())]);
  await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'recovered' });
  deps.clock.advance(60_000);
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  // Now: search-ranker.yml was removed; the bot restarted on the same store.
  deps = { ...deps, runbooks: new RunbookSet([makeRunbook('fraud-scorer')]) };
  server = await serveApp(deps);
});
afterEach(async () => {
  await server.close();
  await deps.store.close();
});

const list = (query: string) => apiFetch(`${server.url}/api/incidents?${query}`);
const ids = async (query: string) =>
  (await json(list(query))).incidents.map((incident: { id: string }) => incident.id);

describe('GET /api/incidents?model= for a model whose runbook was removed', () => {
  it('lists the incidents stored for it, filters and all', async () => {
    const response = await list('model=search-ranker');
    expect(response.status).toBe(200);
    expect((await json(response)).incidents).toMatchObject([
      { id: 'INC-1', model: 'search-ranker', open: false },
    ]);
    expect(await ids('model=search-ranker&open=false')).toEqual(['INC-1']);
    expect(await ids('model=search-ranker&open=true')).toEqual([]);
    expect(await ids('model=fraud-scorer')).toEqual(['INC-2']);
  });

  it('still answers 404 with the likely fix for a model neither configured nor in any incident', async () => {
    const response = await list('model=fraud-scorr');
    expect(response.status).toBe(404);
    expect((await json(response)).error).toMatchObject({
      code: 'UNKNOWN_MODEL',
      message: 'no runbook for model "fraud-scorr" (did you mean "fraud-scorer"?)',
    });
  });

  it('shows such an incident in full', async () => {
    const response = await apiFetch(`${server.url}/api/incidents/INC-1`);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ id: 'INC-1', model: 'search-ranker' });
  });
});
