import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { useServedApp } from '../../helpers/api.js';
import { apiFetch, json } from '../../helpers/http.js';

const app = useServedApp();

const get = (path: string) => apiFetch(`${app.server.url}${path}`);

/**
 * A HEAD request over a plain socket, read to the end: an HTTP client would not read a body after a HEAD
 * answer, so only the bytes on the wire show whether the server sent one.
 */
async function rawHead(
  path: string,
): Promise<{ status: string; headers: Record<string, string>; body: string }> {
  const { hostname, port } = new URL(app.server.url);
  const socket = connect(Number(port), hostname);
  socket.end(`HEAD ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
  let text = '';
  for await (const chunk of socket) text += String(chunk);
  const [head = '', body = ''] = text.split(/\r\n\r\n(.*)/s);
  const [status = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  return { status, headers, body };
}

describe('incidents API', () => {
  it('lists incidents newest first with stage clocks, and filters open ones and by model', async () => {
    await ingestAlerts(app.deps, [firing('fraud-scorer', app.deps.clock.now())]);
    app.deps.clock.advance(1_000);
    await ingestAlerts(app.deps, [firing('churn-predictor', app.deps.clock.now())]);
    app.deps.clock.advance(3 * 60_000);

    const all = (await json(get('/api/incidents'))).incidents;
    expect(all.map((incident: { id: string }) => incident.id)).toEqual(['INC-2', 'INC-1']);
    const triage = all[1].stages.find((stage: { stage: string }) => stage.stage === 'triage');
    expect(triage).toMatchObject({
      state: 'running',
      elapsedMs: 181_000,
      targetMs: 600_000,
      remainingMs: 419_000,
      breached: false,
    });

    const byModel = (await json(get('/api/incidents?model=churn-predictor&open=true'))).incidents;
    expect(byModel.map((incident: { id: string }) => incident.id)).toEqual(['INC-2']);
  });

  it('lists incidents with their alert count, and shows the alerts themselves in one incident', async () => {
    const now = app.deps.clock.now();
    await ingestAlerts(app.deps, [
      firing('fraud-scorer', now),
      firing('fraud-scorer', now, { fingerprint: 'b' }),
    ]);
    const [listed] = (await json(get('/api/incidents'))).incidents;
    expect(listed).toMatchObject({ id: 'INC-1', alertCount: 2 });
    expect(listed).not.toHaveProperty('alerts');
    const detail = await json(get('/api/incidents/INC-1'));
    expect(detail.alertCount).toBe(2);
    expect(detail.alerts.map((alert: { fingerprint: string }) => alert.fingerprint)).toHaveLength(2);
  });

  it('answers 404 for an unknown incident and for an unknown model, with a hint', async () => {
    const missing = await get('/api/incidents/INC-404');
    expect(missing.status).toBe(404);
    expect((await json(missing)).error).toMatchObject({ code: 'NOT_FOUND', message: 'no incident INC-404' });

    const model = await get('/api/incidents?model=fraud-scorr');
    expect(model.status).toBe(404);
    expect((await json(model)).error.message).toContain('did you mean "fraud-scorer"?');
  });

  it('answers 400 for bad filters, saying what to send instead', async () => {
    for (const query of ['open=yes', 'limit=0', 'limit=many']) {
      const response = await get(`/api/incidents?${query}`);
      expect(response.status).toBe(400);
      expect((await json(response)).error.hint).toBe(
        'filter with open=true|false, model=<model> and limit=1..1000; page with before=<id> (the next an answer names)',
      );
    }
  });

  it('refuses a filter it does not know instead of answering every incident unfiltered', async () => {
    await ingestAlerts(app.deps, [firing('fraud-scorer', app.deps.clock.now())]);
    // A script asking "is churn-predictor in an incident?" with a misspelt filter got fraud-scorer's: yes.
    const typo = await get('/api/incidents?open=true&modle=churn-predictor');
    expect(typo.status).toBe(400);
    expect((await json(typo)).error).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'unknown query parameter "modle" (did you mean "model"?)',
      hint: 'filter with open=true|false, model=<model> and limit=1..1000; page with before=<id> (the next an answer names)',
    });
    const other = await json(get('/api/incidents?state=open'));
    expect(other.error.message).toBe('unknown query parameter "state" (allowed: open, model, limit, before)');
  });

  it("refuses an empty model filter (an unset shell variable) instead of answering every model's incidents", async () => {
    await ingestAlerts(app.deps, [firing('fraud-scorer', app.deps.clock.now())]);
    // `curl "$BOT/api/incidents?open=true&model=$MODEL"` with MODEL unset asked about no model and got fraud-scorer's.
    const response = await get('/api/incidents?open=true&model=');
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'model is empty: name the model whose incidents to list, or leave model out for every model',
      hint: 'filter with open=true|false, model=<model> and limit=1..1000; page with before=<id> (the next an answer names)',
    });
  });

  it('refuses a filter given twice instead of using the first and ignoring the other', async () => {
    await ingestAlerts(app.deps, [firing('fraud-scorer', app.deps.clock.now())]);
    const twice = await get('/api/incidents?model=churn-predictor&model=fraud-scorer');
    expect(twice.status).toBe(400);
    expect((await json(twice)).error).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'model is given 2 times ("churn-predictor", "fraud-scorer"): give it once',
      hint: 'filter with open=true|false, model=<model> and limit=1..1000; page with before=<id> (the next an answer names)',
    });
  });

  it('takes a limit written as digits only, not as a number in another notation', async () => {
    for (const limit of ['1e2', '0x10', ' 5', '5.0']) {
      const response = await get(`/api/incidents?limit=${encodeURIComponent(limit)}`);
      expect(response.status).toBe(400);
      expect((await json(response)).error.message).toBe(
        `limit must be a whole number from 1 to 1000, got "${limit}"`,
      );
    }
    expect((await get('/api/incidents?limit=1000')).status).toBe(200);
  });
});

describe('service routes', () => {
  it('answers health, readiness and metrics', async () => {
    expect(await json(get('/healthz'))).toEqual({ ok: true });
    expect(await json(get('/readyz'))).toEqual({
      ready: true,
      store: 'ok',
      runbooks: ['churn-predictor', 'fraud-scorer'],
    });
    await ingestAlerts(app.deps, [firing('fraud-scorer', app.deps.clock.now())]);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toContain(
      'rollbot_incidents_total{model="fraud-scorer",severity="SEV-1",drill="false"} 1',
    );
    expect(metrics).toContain('rollbot_stage_duration_seconds_count{stage="detect",drill="false"} 1');
  });

  it('reports not ready when the store is unreachable', async () => {
    app.deps.store.ping = () => Promise.reject(new Error('connection refused'));
    const response = await get('/readyz');
    expect(response.status).toBe(503);
    expect(await json(response)).toMatchObject({ ready: false, store: 'unreachable: connection refused' });
  });

  it('reports not ready when the store hangs', async () => {
    app.deps.store.ping = () => new Promise(() => {});
    const response = await get('/readyz');
    expect(response.status).toBe(503);
    expect(await json(response)).toMatchObject({
      ready: false,
      store: 'unreachable: no answer within 1000ms',
    });
  });

  it('answers HEAD on health and readiness as GET would, without a body: load balancers probe with HEAD', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const got = await get(path);
      const head = await rawHead(path);
      expect(head.status, path).toBe('HTTP/1.1 200 OK');
      expect(head.headers['content-type'], path).toBe(got.headers.get('content-type'));
      expect(head.headers['content-length'], path).toBe(got.headers.get('content-length'));
      expect(head.body, path).toBe('');
    }
    app.deps.store.ping = () => Promise.reject(new Error('connection refused'));
    expect((await rawHead('/readyz')).status).toBe('HTTP/1.1 503 Service Unavailable');
  });

  it('answers 404 for unknown paths and 405 for a wrong method', async () => {
    expect((await get('/nope')).status).toBe(404);
    const wrong = await fetch(`${app.server.url}/api/incidents`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect((await json(wrong)).error.hint).toBe('use GET or HEAD');
  });

  it('names the methods a path answers in the Allow header of a 405 (RFC 9110), HEAD wherever GET is', async () => {
    const cases = [
      { path: '/api/incidents', method: 'DELETE', allow: 'GET, HEAD' },
      { path: '/api/drills', method: 'PUT', allow: 'GET, HEAD, POST' },
      { path: '/api/rollbacks', method: 'GET', allow: 'POST' },
      { path: '/api/incidents/INC-1/resolve', method: 'HEAD', allow: 'POST' },
    ];
    for (const { path, method, allow } of cases) {
      const response = await fetch(`${app.server.url}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get('allow'), `${method} ${path}`).toBe(allow);
    }
  });

  it('answers 400 naming the segment when a path parameter does not percent-decode', async () => {
    for (const bad of ['%E0%A4%A', '%', 'INC-1%zz']) {
      const response = await get(`/api/incidents/${bad}`);
      expect(response.status, bad).toBe(400);
      expect((await json(response)).error).toMatchObject({
        code: 'BAD_REQUEST',
        message: `the path segment "${bad}" is not valid percent-encoding`,
      });
    }
    expect((await get('/api/incidents/INC%2D404')).status).toBe(404);
  });
});
