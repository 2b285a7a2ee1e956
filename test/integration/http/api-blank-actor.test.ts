/**
 * Who acted is the timeline's record (the compliance record): a blank name (`"by": "$USER"` with USER unset in a CI
 * job, and a space) recorded a dismissal, a freeze or a note by nobody. Each is refused, naming the field.
 */
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { useServedApp } from '../../helpers/api.js';
import { makeDeps } from '../../helpers/engine.js';
import { apiPost, json } from '../../helpers/http.js';

/** With INC-1 in triage for fraud-scorer. */
const app = useServedApp(async () => {
  const deps = makeDeps();
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  return deps;
});

const post = (path: string, body: unknown) => apiPost(`${app.server.url}${path}`, body);

const BLANK = [
  { path: '/api/incidents/INC-1/notes', field: 'by', body: { text: 'stale features' } },
  { path: '/api/incidents/INC-1/dismiss', field: 'dismissedBy', body: { reason: 'upstream' } },
  { path: '/api/incidents/INC-1/resolve', field: 'resolvedBy', body: { reason: 'fixed' } },
  { path: '/api/rollbacks', field: 'requestedBy', body: { model: 'fraud-scorer', reason: 'p99' } },
  { path: '/api/deployments', field: 'recordedBy', body: { model: 'fraud-scorer', version: 'v43' } },
  { path: '/api/drills', field: 'requestedBy', body: { model: 'churn-predictor', dryRun: true } },
  {
    path: '/api/gate/fraud-scorer/freeze',
    field: 'frozenBy',
    body: { until: '2026-11-23T09:00:00Z', reason: 'year end' },
  },
  { path: '/api/gate/fraud-scorer/override', field: 'approvedBy', body: { reason: 'hotfix' } },
];

describe('a blank actor on an API write', () => {
  it.each(BLANK)(
    'refuses a blank $field on $path with 400, changing nothing',
    async ({ path, field, body }) => {
      const before = await app.deps.store.list('INC-1');
      for (const blank of ['', '  ']) {
        const response = await post(path, { ...body, [field]: blank });
        expect(response.status, `${field}: "${blank}"`).toBe(400);
        const { error } = await json(response);
        expect(error.details).toEqual([{ path: field, message: expect.stringMatching(/^name who /) }]);
      }
      expect(await app.deps.store.list('INC-1')).toEqual(before);
      expect(await app.deps.store.deployments('fraud-scorer')).toEqual([]);
      expect(app.deps.fake.mutations).toBe(0);
    },
  );
});
