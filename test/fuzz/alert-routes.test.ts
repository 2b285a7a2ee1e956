import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appOn } from '../helpers/http.js';
import { MAX_BODY_BYTES } from '../../src/http/request.js';
import {
  ALERT_ROUTES,
  alertRequest,
  encodedBody,
  wrongAuthorization,
  type AlertRequest,
} from './support/alert-bodies.js';
import {
  expectNoServerError,
  expectReadableIncidents,
  expectReasonedRefusal,
  fuzzOptions,
  fuzzTimeout,
  request,
  type Answer,
} from './support/checks.js';
import { expectUnchanged, startFuzzServer, type FuzzServer } from './support/world.js';

// Issue 8 §4: whatever arrives on an alert route gets a 2xx or a 4xx that says what is wrong, never a 5xx or
// a crash, and a refused request leaves the store, the notifications and the serving layer as they were.

const TOKEN = 'alert-token-7c1d0f5e';

function alertServer(token: string | undefined): Promise<FuzzServer> {
  return startFuzzServer(inject('redisUrl'), ({ deps }) =>
    appOn(deps, { alerts: { token, allowUnauthenticated: false } }),
  );
}

let open: FuzzServer;
let closed: FuzzServer;
beforeAll(async () => {
  open = await alertServer(TOKEN);
  // ALERT_WEBHOOK_TOKEN unset and ALLOW_UNAUTHENTICATED_ALERTS not true: the routes must stay shut.
  closed = await alertServer(undefined);
});
afterAll(async () => {
  await open?.close();
  await closed?.close();
});

function send(url: string, alert: AlertRequest): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': alert.contentType };
  if (alert.authorization !== undefined) headers.authorization = alert.authorization;
  return request(`${url}${alert.path}`, { method: alert.method, headers, body: alert.body });
}

/** What became of each alert of a 202. */
function outcomes(answer: Answer): string[] {
  const body = JSON.parse(answer.text) as { received?: unknown; results?: { outcome?: unknown }[] };
  expect(Array.isArray(body.results), answer.text.slice(0, 300)).toBe(true);
  expect(body.received).toBe(body.results?.length);
  return (body.results ?? []).map((result) => String(result.outcome));
}

/**
 * Sends `alert` to a fresh bot and checks the property; answers with the response for further checks. One run
 * at a time (server.run): the world it compares changes only by what this run sent.
 */
function checkAlertRequest(alert: AlertRequest, server = open): Promise<Answer> {
  return server.run(async (world) => {
    const before = await world.snapshot();
    const answer = await send(server.url, alert);
    expectNoServerError(answer);
    if (answer.status >= 400) {
      expectReasonedRefusal(answer);
      await expectUnchanged(world, before, `a ${answer.status} changed stored state`);
      return answer;
    }
    if (outcomes(answer).every((outcome) => outcome === 'unrouted')) {
      // Alerts for models without a runbook are accepted (Alertmanager must not retry them) but change nothing.
      await expectUnchanged(world, before, 'unrouted alerts changed stored state');
    }
    await expectReadableIncidents(server.url);
    return answer;
  });
}

describe('alert routes under hostile requests', { timeout: fuzzTimeout(12_000) }, () => {
  it('answer 2xx or a reasoned 4xx, and a refusal stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(alertRequest(TOKEN), async (alert) => {
        await checkAlertRequest(alert);
      }),
      fuzzOptions(250, 12_000),
    );
  });

  it('refuse every wrong or missing bearer token with 401, whatever the body', async () => {
    const unauthenticated = fc.constantFrom(...ALERT_ROUTES).chain((path) =>
      fc.record({
        method: fc.constant('POST'),
        path: fc.constant(path),
        contentType: fc.constant('application/json'),
        authorization: wrongAuthorization(TOKEN),
        body: encodedBody(path),
      }),
    );
    await fc.assert(
      fc.asyncProperty(unauthenticated, async (alert) => {
        expect((await checkAlertRequest(alert)).status).toBe(401);
      }),
      fuzzOptions(80, 4_000),
    );
  });

  it('stay closed (401) when no alert token is configured, whatever the request', async () => {
    await fc.assert(
      fc.asyncProperty(alertRequest(TOKEN), async (alert) => {
        expect((await checkAlertRequest({ ...alert, method: 'POST' }, closed)).status).toBe(401);
      }),
      fuzzOptions(40, 3_000),
    );
  });

  it('refuse bodies over 1 MiB with 413, declared or streamed, before storing anything', async () => {
    const oversized = fc.record({
      path: fc.constantFrom(...ALERT_ROUTES),
      extra: fc.integer({ min: 1, max: 256 * 1024 }),
      // Streamed: no content-length, so the limit must hold while reading, not only on the header.
      streamed: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(oversized, async ({ path, extra, streamed }) => {
        await open.run(async (world) => {
          const before = await world.snapshot();
          const bytes = Buffer.alloc(MAX_BODY_BYTES + extra, ' ');
          const chunk = 64 * 1024;
          const body = streamed
            ? new ReadableStream<Uint8Array>({
                start(controller) {
                  for (let at = 0; at < bytes.length; at += chunk)
                    controller.enqueue(bytes.subarray(at, at + chunk));
                  controller.close();
                },
              })
            : bytes;
          const answer = await request(`${open.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
            body,
            ...(streamed ? { duplex: 'half' } : {}),
          } as RequestInit);
          expect(answer.status).toBe(413);
          expectReasonedRefusal(answer);
          await expectUnchanged(world, before, 'a 413 changed stored state');
        });
      }),
      fuzzOptions(8, 4_000),
    );
  });
});
