import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { makeDeps } from '../../helpers/engine.js';
import { appOn } from '../../helpers/http.js';

/**
 * Hands the app a request whose target is `target` as Node's HTTP parser passes it on (fetch would normalise
 * it), and returns the answer's status and body once the app ends it.
 */
async function answer(method: string, target: string): Promise<{ status: number; body: string }> {
  const app = appOn(makeDeps());
  const req = new IncomingMessage(new Socket());
  req.method = method;
  req.url = target;
  req.push(null);
  const res = new ServerResponse(req);
  const ended = new Promise<string>((resolve) => {
    res.end = ((chunk?: unknown) => {
      resolve(typeof chunk === 'string' ? chunk : '');
      return res;
    }) as typeof res.end;
  });
  app(req, res);
  const body = await ended;
  return { status: res.statusCode, body };
}

describe('a request target that is not a valid URL', () => {
  // Node's parser lets these through; WHATWG URL refuses them. Thrown in the request listener, outside any
  // handler, the error was uncaught and stopped the bot: one unauthenticated request per replica.
  it.each([
    ['GET', 'http://['],
    ['POST', 'http://x:99999/alerts/alertmanager'],
  ])('is refused with 400 (%s %s), not thrown', async (method, target) => {
    const { status, body } = await answer(method, target);
    expect(status).toBe(400);
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });
});

describe('a request target that starts with //', () => {
  it('is a path, not a URL of another host: answered for the path it names, not thrown', async () => {
    expect((await answer('GET', '//healthz')).status).toBe(200);
    // Once a 400 (read as the host "["), now the path /[/healthz, which no route serves.
    const { status, body } = await answer('GET', '//[/healthz');
    expect(status).toBe(404);
    expect(JSON.parse(body)).toMatchObject({
      error: { code: 'NOT_FOUND', message: 'no route GET /[/healthz (did you mean /healthz?)' },
    });
  });
});

describe('a path no route serves', () => {
  it.each([
    ['POST', '/alerts/grafna', '/alerts/grafana'],
    ['POST', '/alert/alertmanager', '/alerts/alertmanager'],
    ['GET', '/api/incident', '/api/incidents'],
  ])('is answered 404 naming the route meant (%s %s)', async (method, target, meant) => {
    const { status, body } = await answer(method, target);
    expect(status).toBe(404);
    expect(JSON.parse(body).error).toEqual({
      code: 'NOT_FOUND',
      message: `no route ${method} ${target} (did you mean ${meant}?)`,
      hint: 'see README.md "Alerts in" and "HTTP API" for the routes',
    });
  });

  it('names no route when none is close', async () => {
    const { body } = await answer('GET', '/wp-admin/login.php');
    expect(JSON.parse(body).error.message).toBe('no route GET /wp-admin/login.php');
  });
});
