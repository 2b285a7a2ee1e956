import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDeps, metricValue, type TestDeps } from '../../helpers/engine.js';
import { apiFetch, json, serveApp } from '../../helpers/http.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ALERT_INTAKE_SLOTS } from '../../../src/http/app.js';

const TOKEN = 'alert-token-1234';
const fixture = (name: string) =>
  readFile(new URL(`../../../../shared/fixtures/alertmanager/${name}`, import.meta.url), 'utf8');

let deps: TestDeps;
let server: Awaited<ReturnType<typeof serveApp>>;

async function start(alerts: { token: string | undefined; allowUnauthenticated: boolean }) {
  deps = makeDeps();
  server = await serveApp(deps, { alerts });
}

function post(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    body,
  });
}

async function expectNothingStored() {
  expect(await deps.store.listIncidents({})).toEqual([]);
  expect(await deps.store.pending()).toEqual([]);
  expect(deps.notifier.events).toEqual([]);
}

describe('POST /alerts/alertmanager', () => {
  beforeEach(() => start({ token: TOKEN, allowUnauthenticated: false }));
  afterEach(() => server.close());

  it('opens an incident from a real Alertmanager 0.25 payload and answers 202', async () => {
    const response = await post('/alerts/alertmanager', await fixture('firing.json'));
    expect(response.status).toBe(202);
    const body = (await json(response)) as Record<string, unknown>;
    expect(body).toMatchObject({ received: 1, opened: 1, attached: 0, duplicates: 0, unrouted: [] });
    expect(body.results).toEqual([
      { fingerprint: 'd4525c3cd55ff927', outcome: 'opened', model: 'fraud-scorer', incidentId: 'INC-1' },
    ]);

    const incident = await json(apiFetch(`${server.url}/api/incidents/INC-1`));
    expect(incident).toMatchObject({
      id: 'INC-1',
      model: 'fraud-scorer',
      severity: 'SEV-1',
      phase: 'triage',
      open: true,
    });
    expect(
      incident.stages.map((stage: { stage: string; state: string }) => [stage.stage, stage.state]),
    ).toEqual([
      ['detect', 'done'],
      ['triage', 'running'],
      ['rollback', 'pending'],
      ['confirm', 'pending'],
      ['retro', 'pending'],
    ]);
    expect(incident.timeline[0]).toMatchObject({ seq: 1, type: 'incident.opened' });
  });

  it('counts a repeated notification as a duplicate and records a resolved one without closing', async () => {
    await post('/alerts/alertmanager', await fixture('firing.json'));
    const again = await json(post('/alerts/alertmanager', await fixture('firing.json')));
    expect(again).toMatchObject({ duplicates: 1, opened: 0 });
    const resolved = await json(post('/alerts/alertmanager', await fixture('resolved.json')));
    expect(resolved).toMatchObject({ resolved: 1 });
    expect((await deps.store.getIncident('INC-1'))?.phase).toBe('triage');
  });

  it('opens, dedupes and resolves an alert sent without a fingerprint (an older Alertmanager, a relay)', async () => {
    // Refused with 400, the whole notification was lost: Alertmanager does not re-send after a 4xx.
    const firing = JSON.parse(await fixture('firing.json'));
    const resolved = JSON.parse(await fixture('resolved.json'));
    for (const payload of [firing, resolved]) delete payload.alerts[0].fingerprint;
    const opened = await json(post('/alerts/alertmanager', JSON.stringify(firing)));
    expect(opened).toMatchObject({ received: 1, opened: 1 });
    const [{ fingerprint }] = opened.results;
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(await json(post('/alerts/alertmanager', JSON.stringify(firing)))).toMatchObject({ duplicates: 1 });
    expect(await json(post('/alerts/alertmanager', JSON.stringify(resolved)))).toMatchObject({
      resolved: 1,
      results: [{ fingerprint, outcome: 'resolved', incidentId: 'INC-1' }],
    });
  });

  it('says when the sender left alerts out (max_alerts), in the answer and as a warning in the log', async () => {
    // Those alerts never reach rollbot, and a model's incident among them never opens: nothing said so.
    const lines: string[] = [];
    deps.logger = createLogger({
      level: 'info',
      destination: new Writable({ write: (chunk, _, done) => done(void lines.push(String(chunk))) }),
    });
    const payload = JSON.parse(await fixture('firing.json'));
    payload.truncatedAlerts = 1500;
    const body = await json(post('/alerts/alertmanager', JSON.stringify(payload)));
    expect(body).toMatchObject({ received: 1, opened: 1, truncated: 1500 });
    const warning = lines.map((line) => JSON.parse(line)).find((line) => line.level === 40);
    expect(warning).toMatchObject({
      source: 'alertmanager',
      groupKey: payload.groupKey,
      truncatedAlerts: 1500,
      msg:
        'the sender left 1500 alerts out of this notification (max_alerts): rollbot never sees them; ' +
        'group by model (group_by: [model]) so that a group has at most 1000 alerts',
    });
    const complete = await json(post('/alerts/alertmanager', await fixture('firing.json')));
    expect(complete).not.toHaveProperty('truncated');
  });

  it('takes a delivery to a URL with doubled slashes, as a base URL ending in / joined with the route makes', async () => {
    // Read as a URL, `//alerts/alertmanager` has the host "alerts" and the path /alertmanager: a 404 for a path
    // nobody sent.
    const response = await post('//alerts//alertmanager', await fixture('firing.json'));
    expect(response.status).toBe(202);
    expect(await json(response)).toMatchObject({ received: 1, opened: 1 });
  });

  it('counts a resolution that concerns no open incident, or was noted already, as ignored', async () => {
    const alone = await json(post('/alerts/alertmanager', await fixture('resolved.json')));
    expect(alone).toMatchObject({ received: 1, resolved: 0, ignored: 1 });
    expect(alone.results).toEqual([
      { fingerprint: 'd4525c3cd55ff927', model: 'fraud-scorer', outcome: 'ignored' },
    ]);

    await post('/alerts/alertmanager', await fixture('firing.json'));
    expect(await json(post('/alerts/alertmanager', await fixture('resolved.json')))).toMatchObject({
      resolved: 1,
      ignored: 0,
    });
    // Alertmanager re-sends a resolved group at each repeat_interval: the second is not resolved again.
    expect(await json(post('/alerts/alertmanager', await fixture('resolved.json')))).toMatchObject({
      received: 1,
      resolved: 0,
      ignored: 1,
    });
  });

  it('answers 503 with Retry-After when the incident keeps changing, so Alertmanager re-sends', async () => {
    await post('/alerts/alertmanager', await fixture('firing.json'));
    const payload = JSON.parse(await fixture('firing.json'));
    payload.alerts[0].fingerprint = 'another-alert';
    const { updateIncident } = deps.store;
    // Another writer wins every compare-and-set (a storm on other replicas).
    deps.store.updateIncident = async () => undefined;
    const refused = await post('/alerts/alertmanager', JSON.stringify(payload));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect((await json(refused)).error.code).toBe('UNAVAILABLE');
    expect(await metricValue(deps.metrics, 'rollbot_alerts_rejected_total', { reason: 'unavailable' })).toBe(
      1,
    );
    const types = (await deps.store.list('INC-1')).map((entry) => entry.type);
    expect(types.filter((type) => type === 'alert.attached')).toEqual([]);

    deps.store.updateIncident = updateIncident;
    const retried = await post('/alerts/alertmanager', JSON.stringify(payload));
    expect(retried.status).toBe(202);
    expect(await json(retried)).toMatchObject({ attached: 1, duplicates: 0 });
  });

  it('answers 202 with the unrouted fingerprints when no runbook matches', async () => {
    const payload = JSON.parse(await fixture('firing.json'));
    payload.alerts[0].labels.model = 'nobody-knows';
    const body = await json(post('/alerts/alertmanager', JSON.stringify(payload)));
    expect(body).toMatchObject({ received: 1, opened: 0, unrouted: ['d4525c3cd55ff927'] });
    await expectNothingStored();
    expect(await metricValue(deps.metrics, 'rollbot_alerts_received_total', { status: 'unrouted' })).toBe(1);
  });

  it.each([
    [
      'a model label that differs in case',
      { model: 'Fraud-Scorer' },
      'label model is "Fraud-Scorer", not "fraud-scorer" as the alerts.match of runbook fraud-scorer wants: ' +
        'label values are compared exactly, case included',
    ],
    [
      'a misspelt model label',
      { model: 'fraud-scorr' },
      'label model is "fraud-scorr", not "fraud-scorer" as the alerts.match of runbook fraud-scorer wants: ' +
        'label values are compared exactly, case included',
    ],
    [
      'an unknown model',
      { model: 'nobody-knows' },
      'no runbook\'s alerts.match fits its labels (model is "nobody-knows"); runbooks: churn-predictor, fraud-scorer',
    ],
    [
      'an empty model label',
      { model: '' },
      "no runbook's alerts.match fits its labels (model is empty); runbooks: churn-predictor, fraud-scorer",
    ],
    [
      'no model label',
      { model: undefined },
      "no runbook's alerts.match fits its labels (no label model); runbooks: churn-predictor, fraud-scorer",
    ],
  ])('says in its result why an alert with %s is unrouted', async (_name, labels, reason) => {
    // Alertmanager reads no answer, but whoever debugs one with curl does: "unrouted" alone did not say which label
    // to fix, and a model label off by case looks right to the eye.
    const payload = JSON.parse(await fixture('firing.json'));
    payload.alerts[0].labels = { ...payload.alerts[0].labels, ...labels };
    const body = await json(post('/alerts/alertmanager', JSON.stringify(payload)));
    expect(body.results).toEqual([{ fingerprint: 'd4525c3cd55ff927', outcome: 'unrouted', reason }]);
    await expectNothingStored();
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer nope' }],
    ['a token in the wrong scheme', { authorization: `Basic ${TOKEN}` }],
  ])('refuses %s with 401 and stores nothing', async (_name, headers) => {
    const response = await fetch(`${server.url}/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: await fixture('firing.json'),
    });
    expect(response.status).toBe(401);
    // RFC 9110 §11.6.1: a 401 names the scheme that would be accepted.
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="rollbot alerts"');
    const body = await json(response);
    expect(body.error).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(body.error.hint).toContain('ALERT_WEBHOOK_TOKEN');
    await expectNothingStored();
    expect(await metricValue(deps.metrics, 'rollbot_alerts_rejected_total', { reason: 'unauthorized' })).toBe(
      1,
    );
  });

  it('refuses malformed JSON with 400 naming the problem', async () => {
    const response = await post('/alerts/alertmanager', '{"version": "4", "alerts": [');
    expect(response.status).toBe(400);
    expect((await json(response)).error.message).toMatch(/^body is not valid JSON/);
    // Counted apart from a body that is JSON but not an alert, as the metric's help says: a sender that
    // truncates or mangles its bodies is a different fix from one with a wrong field.
    expect(await metricValue(deps.metrics, 'rollbot_alerts_rejected_total', { reason: 'bad_json' })).toBe(1);
    await post('/alerts/alertmanager', '{"version": "4"}');
    expect(await metricValue(deps.metrics, 'rollbot_alerts_rejected_total', { reason: 'invalid' })).toBe(1);
    await expectNothingStored();
  });

  it('takes a body that starts with a UTF-8 byte order mark, as a file saved by a Windows editor does', async () => {
    // RFC 8259 §8.1 lets a parser ignore the mark; refused, it read "Unexpected token ''", the token invisible.
    const response = await post('/alerts/alertmanager', `\uFEFF${await fixture('firing.json')}`);
    expect(response.status).toBe(202);
    expect(await json(response)).toMatchObject({ received: 1, opened: 1 });
  });

  it.each([
    ['Latin-1', 'latin1', 'application/json; charset=iso-8859-1'],
    ['UTF-16 with its byte order mark', 'utf16le', 'application/json; charset=utf-16'],
  ] as const)(
    'refuses a body in %s with 400 saying to send UTF-8, rather than store its text mangled',
    async (_name, encoding, type) => {
      // Decoded as UTF-8 regardless, "café" became "caf\uFFFD": a summary, a label and a fingerprint altered unseen.
      const payload = JSON.parse(await fixture('firing.json'));
      payload.alerts[0].annotations.summary = 'fraud-scorer café error rate above 5%';
      const text = JSON.stringify(payload);
      const body = Buffer.from(encoding === 'utf16le' ? `\uFEFF${text}` : text, encoding);
      const response = await post('/alerts/alertmanager', body as unknown as string, {
        'content-type': type,
      });
      expect(response.status).toBe(400);
      const { error } = await json(response);
      expect(error.message).toBe('body is not UTF-8 text: JSON must be sent as UTF-8 (RFC 8259 §8.1)');
      expect(error.hint).toMatch(/^re-encode the body as UTF-8/);
      expect(await metricValue(deps.metrics, 'rollbot_alerts_rejected_total', { reason: 'bad_json' })).toBe(
        1,
      );
      await expectNothingStored();
    },
  );

  it('refuses a body that is not JSON without quoting it back or into the logs (it may carry a credential)', async () => {
    const response = await post('/alerts/alertmanager', 'xoxb-1234-not-json-at-all');
    expect(response.status).toBe(400);
    const { message } = (await json(response)).error;
    expect(message).toMatch(/^body is not valid JSON: /);
    expect(message).not.toContain('xoxb');
    await expectNothingStored();
  });

  it.each([
    ['a short body', '{"token": xoxb-1234-unquoted}'],
    [
      'a long body, quoted around the fault',
      `{"pad": "${'p'.repeat(60)}", "token": xoxb-1234-unquoted, "more": 1}`,
    ],
    ['a long body, quoted up to the fault', `{"pad": "${'p'.repeat(60)}", "token": xoxb-1234-unquoted}`],
    ['a body over several lines', '{\n  "version": "4",\n  "token": xoxb-1234-unquoted\n}'],
  ])('refuses JSON with an unquoted value without quoting the body back: %s', async (_name, body) => {
    // A template that forgot the quotes around a credential: JSON.parse quotes the text around the fault, quotes and
    // all, after a "..." when the fault is not near the start.
    const response = await post('/alerts/alertmanager', body);
    expect(response.status).toBe(400);
    const { message } = (await json(response)).error;
    expect(message).toBe("body is not valid JSON: Unexpected token 'x'");
    await expectNothingStored();
  });

  it('refuses a payload missing fields with 400 listing each failing field', async () => {
    const payload = JSON.parse(await fixture('firing.json'));
    delete payload.alerts[0].status;
    payload.alerts[0].startsAt = 'yesterday';
    const response = await post('/alerts/alertmanager', JSON.stringify(payload));
    expect(response.status).toBe(400);
    const { error } = await json(response);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('status');
    expect(error.message).toContain('startsAt');
    expect(error.details.map((detail: { path: string }) => detail.path).sort()).toEqual([
      'alerts[0].startsAt',
      'alerts[0].status',
    ]);
    await expectNothingStored();
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const response = await post('/alerts/alertmanager', JSON.stringify({ padding: 'x'.repeat(1024 * 1024) }));
    expect(response.status).toBe(413);
    expect((await json(response)).error.code).toBe('PAYLOAD_TOO_LARGE');
    await expectNothingStored();
  });

  it('takes a whole delivery while other senders are still trickling their bodies in', async () => {
    // More trickling senders than intake slots: each has sent its headers and half its body, then stalls.
    const body = await fixture('firing.json');
    const { port } = new URL(server.url);
    const stalled: Socket[] = [];
    for (let i = 0; i < ALERT_INTAKE_SLOTS + 2; i++) {
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `POST /alerts/alertmanager HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Authorization: Bearer ${TOKEN}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
          body.slice(0, body.length / 2),
      );
      stalled.push(socket);
    }
    try {
      // Answered while they stall: the check fails (the test times out) if a stalled body holds a slot.
      const response = await post('/alerts/alertmanager', await fixture('firing.json'));
      expect(response.status).toBe(202);
      expect(await json(response)).toMatchObject({ received: 1, opened: 1 });
    } finally {
      for (const socket of stalled) socket.destroy();
    }
  });

  it('refuses a compressed body with 415 saying to send it uncompressed, not that it is not UTF-8', async () => {
    const body = gzipSync(await fixture('firing.json'));
    const response = await post('/alerts/alertmanager', body as unknown as string, {
      'content-encoding': 'gzip',
    });
    expect(response.status).toBe(415);
    expect((await json(response)).error).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'content-encoding "gzip" is not supported',
      hint: 'send the body uncompressed (no Content-Encoding header, or identity)',
    });
    expect(
      await metricValue(deps.metrics, 'rollbot_alerts_rejected_total', { reason: 'unsupported_media_type' }),
    ).toBe(1);
    await expectNothingStored();
    const identity = await post('/alerts/alertmanager', await fixture('firing.json'), {
      'content-encoding': 'identity',
    });
    expect(identity.status).toBe(202);
  });

  it('refuses a non-JSON content type with 415', async () => {
    const response = await post('/alerts/alertmanager', await fixture('firing.json'), {
      'content-type': 'text/plain',
    });
    expect(response.status).toBe(415);
    await expectNothingStored();
  });
});

describe('POST /alerts and /alerts/grafana', () => {
  beforeEach(() => start({ token: TOKEN, allowUnauthenticated: false }));
  afterEach(() => server.close());

  it('opens an incident from a generic alert', async () => {
    const response = await post(
      '/alerts',
      JSON.stringify({ model: 'churn-predictor', severity: 'warning', summary: 'drift' }),
    );
    expect(response.status).toBe(202);
    expect(await json(response)).toMatchObject({ opened: 1 });
    expect((await deps.store.getIncident('INC-1'))?.severity).toBe(3);
  });

  it('refuses a generic alert with a misspelt field', async () => {
    const response = await post(
      '/alerts',
      JSON.stringify({ model: 'churn-predictor', severity: 'warning', sumary: 'drift' }),
    );
    expect(response.status).toBe(400);
    expect((await json(response)).error.message).toContain('sumary');
    await expectNothingStored();
  });

  it.each(['churn-predictor ', ' churn-predictor', 'churn-predictor\n'])(
    'refuses a generic alert whose model %j has whitespace around it, naming the field and the fix',
    async (model) => {
      const response = await post(
        '/alerts',
        JSON.stringify([
          { model: 'fraud-scorer', severity: 'critical', summary: 'errors' },
          { model, severity: 'warning', summary: 'drift' },
        ]),
      );
      expect(response.status).toBe(400);
      const { error } = await json(response);
      expect(error.message).toBe(
        `invalid alert: [1].model: ${JSON.stringify(model)} has whitespace around it, so it would name no runbook's model: send "churn-predictor"`,
      );
      expect(error.details).toEqual([
        {
          path: '[1].model',
          message: `${JSON.stringify(model)} has whitespace around it, so it would name no runbook's model: send "churn-predictor"`,
        },
      ]);
      await expectNothingStored();
    },
  );

  it('opens an incident from a Grafana payload', async () => {
    const payload = await readFile(new URL('../../fixtures/grafana/firing.json', import.meta.url), 'utf8');
    const response = await post('/alerts/grafana', payload);
    expect(response.status).toBe(202);
    expect(((await json(response)) as { received: number }).received).toBeGreaterThan(0);
  });

  it.each([
    [
      '/alerts/grafana',
      "Grafana: the webhook contact point's Authorization Header, scheme Bearer, credentials the token",
    ],
    ['/alerts/alertmanager', 'Alertmanager: http_config.authorization.credentials'],
    ['/alerts', 'Authorization: Bearer <ALERT_WEBHOOK_TOKEN>'],
  ])('tells a sender refused on %s where its own setting for the token is', async (path, where) => {
    // A Grafana contact point with basic auth was told about Alertmanager's http_config.
    const response = await post(path, '{}', { authorization: 'Basic dXNlcjpwYXNz' });
    expect(response.status).toBe(401);
    const { hint } = (await json(response)).error;
    expect(hint).toContain('send Authorization: Bearer <ALERT_WEBHOOK_TOKEN>');
    expect(hint).toContain(where);
    if (path !== '/alerts/alertmanager') expect(hint).not.toContain('http_config');
  });

  it("takes a Grafana webhook sent with PUT, the contact point's other HTTP method", async () => {
    // Refused with 405, every notification of that contact point was lost: Grafana does not re-send a 4xx.
    const payload = await readFile(new URL('../../fixtures/grafana/firing.json', import.meta.url), 'utf8');
    const response = await fetch(`${server.url}/alerts/grafana`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: payload,
    });
    expect(response.status).toBe(202);
    expect(await json(response)).toMatchObject({ received: 2, opened: 1, ignored: 1 });
    const refused = await fetch(`${server.url}/alerts/grafana`, { method: 'DELETE' });
    expect(refused.status).toBe(405);
    expect(refused.headers.get('allow')).toBe('POST, PUT');
  });
});

describe('alert routes without a token', () => {
  afterEach(() => server.close());

  it('are closed unless ALLOW_UNAUTHENTICATED_ALERTS is set', async () => {
    await start({ token: undefined, allowUnauthenticated: false });
    const response = await post(
      '/alerts',
      JSON.stringify({ model: 'fraud-scorer', severity: 'critical', summary: 'x' }),
    );
    expect(response.status).toBe(401);
    expect((await json(response)).error.message).toContain('ALERT_WEBHOOK_TOKEN is not set');
    await expectNothingStored();
  });

  it('are open when ALLOW_UNAUTHENTICATED_ALERTS is set', async () => {
    await start({ token: undefined, allowUnauthenticated: true });
    const response = await post(
      '/alerts',
      JSON.stringify({ model: 'fraud-scorer', severity: 'critical', summary: 'x' }),
      {
        authorization: '',
      },
    );
    expect(response.status).toBe(202);
  });
});
