/**
 * A write retried with the same Idempotency-Key (a CI job whose connection broke after it sent, a script's retry
 * loop) is done once: the retry gets the first answer again instead of rolling back a second time, one version
 * further, or recording a deployment or a note twice.
 */
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { useServedApp } from '../../helpers/api.js';
import { recordDeployments } from '../../helpers/engine.js';
import { apiPost, json } from '../../helpers/http.js';

const app = useServedApp();

function post(path: string, body: unknown, key?: string, headers: Record<string, string> = {}) {
  return apiPost(`${app.server.url}${path}`, body, {
    ...(key === undefined ? {} : { 'idempotency-key': key }),
    ...headers,
  });
}

describe('Idempotency-Key on API writes', () => {
  it('rolls back once for a retried POST /api/rollbacks, answering the retry with the first outcome', async () => {
    // Without the key, the retry planned from the ledger again and rolled v41 back to v40.
    await recordDeployments(app.deps, 'fraud-scorer', ['v40', 'v41', 'v42']);
    app.deps.fake.previous = undefined;
    const body = { model: 'fraud-scorer', reason: 'p99 doubled' };
    const first = await post('/api/rollbacks', body, 'ci-run-81');
    expect(first.status).toBe(200);
    const outcome = await first.text();
    expect(JSON.parse(outcome)).toMatchObject({ outcome: 'succeeded', plan: { from: 'v42', to: 'v41' } });

    const retry = await post('/api/rollbacks', body, 'ci-run-81');
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.text()).toBe(outcome);
    expect(app.deps.fake.mutations).toBe(1);
    expect(app.deps.fake.current).toBe('v41');
  });

  it('replays a streamed rollback as it was streamed', async () => {
    const body = { model: 'fraud-scorer', reason: 'p99 doubled' };
    const accept = { accept: 'application/x-ndjson' };
    const first = await post('/api/rollbacks', body, 'stream-1', accept);
    const lines = await first.text();
    const retry = await post('/api/rollbacks', body, 'stream-1', accept);
    expect(retry.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(await retry.text()).toBe(lines);
    expect(app.deps.fake.mutations).toBe(1);
  });

  it('records a deployment and a note once, each key on its own', async () => {
    await ingestAlerts(app.deps, [firing('fraud-scorer', app.deps.clock.now())]);
    const deployment = { model: 'fraud-scorer', version: 'v43', previousVersion: 'v42' };
    for (let i = 0; i < 2; i += 1)
      expect((await post('/api/deployments', deployment, 'deploy-43')).status).toBe(201);
    expect(await app.deps.store.deployments('fraud-scorer')).toHaveLength(1);

    const note = { by: 'U0ANA', text: 'feature store stale' };
    for (let i = 0; i < 2; i += 1)
      expect((await post('/api/incidents/INC-1/notes', note, 'note-1')).status).toBe(201);
    const notes = (await app.deps.store.list('INC-1')).filter((entry) => entry.type === 'note');
    expect(notes).toHaveLength(1);
  });

  it('refuses a key used before for another request with 409, doing nothing', async () => {
    await post('/api/deployments', { model: 'fraud-scorer', version: 'v43' }, 'reused');
    const other = await post('/api/deployments', { model: 'fraud-scorer', version: 'v44' }, 'reused');
    expect(other.status).toBe(409);
    expect((await json(other)).error).toMatchObject({
      code: 'CONFLICT',
      message:
        'the Idempotency-Key "reused" was used for another request (POST /api/deployments with another body)',
      hint: 'send a new Idempotency-Key for each request, and the same one only when retrying that request as it was',
    });
    expect((await app.deps.store.deployments('fraud-scorer')).map((d) => d.version)).toEqual(['v43']);
  });

  it('keeps no key for a refused request: the corrected request may use it', async () => {
    const refused = await post(
      '/api/deployments',
      { model: 'fraud-scorer', version: 'v43', strategy: 'yolo' },
      'k1',
    );
    expect(refused.status).toBe(400);
    const again = await post(
      '/api/deployments',
      { model: 'fraud-scorer', version: 'v43', strategy: 'yolo' },
      'k1',
    );
    expect(again.status).toBe(400);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    const corrected = await post('/api/deployments', { model: 'fraud-scorer', version: 'v43' }, 'k1');
    expect(corrected.status).toBe(201);
  });

  it('keeps the key of a request that failed unexpectedly, which may have done part of its work', async () => {
    const record = app.deps.store.recordDeployment.bind(app.deps.store);
    app.deps.store.recordDeployment = () => Promise.reject(new Error('connection reset'));
    const deployment = { model: 'fraud-scorer', version: 'v43' };
    expect((await post('/api/deployments', deployment, 'k2')).status).toBe(500);
    app.deps.store.recordDeployment = record;
    const retry = await post('/api/deployments', deployment, 'k2');
    expect(retry.status).toBe(409);
    expect((await json(retry)).error.message).toBe(
      'a request with the Idempotency-Key "k2" is still being answered (or the bot stopped while answering it)',
    );
    expect(await app.deps.store.deployments('fraud-scorer')).toEqual([]);
  });

  it('answers 409 to a retry while the first is still running, instead of running it twice', async () => {
    let release: () => void = () => {};
    app.deps.fake.duringExecute = () => new Promise<void>((resolve) => (release = resolve));
    const body = { model: 'fraud-scorer', reason: 'p99 doubled' };
    const first = post('/api/rollbacks', body, 'slow');
    while (app.deps.fake.calls.filter((call) => call.startsWith('execute')).length === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const retry = await post('/api/rollbacks', body, 'slow');
    expect(retry.status).toBe(409);
    expect((await json(retry)).error).toMatchObject({
      code: 'CONFLICT',
      message:
        'a request with the Idempotency-Key "slow" is still being answered (or the bot stopped while answering it)',
    });
    release();
    expect((await first).status).toBe(200);
    expect(app.deps.fake.mutations).toBe(1);
  });

  it('refuses an empty or over-long key with 400', async () => {
    for (const key of [' ', 'k'.repeat(256)]) {
      const response = await post('/api/deployments', { model: 'fraud-scorer', version: 'v43' }, key);
      expect(response.status).toBe(400);
      expect((await json(response)).error.message).toMatch(/^Idempotency-Key must be 1 to 255 characters/);
    }
    expect(await app.deps.store.deployments('fraud-scorer')).toEqual([]);
  });

  it('works as before without a key', async () => {
    const deployment = { model: 'fraud-scorer', version: 'v43' };
    expect((await post('/api/deployments', deployment)).status).toBe(201);
    expect((await post('/api/deployments', deployment)).headers.get('idempotent-replayed')).toBeNull();
  });
});
