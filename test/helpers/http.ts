import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/http/app.js';
import { snapshotGroups, type TestDeps } from './engine.js';

/** Serves `app` on a free loopback port; `close()` stops it. */
export async function serve(
  app: RequestListener,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A response's JSON body, loosely typed: tests assert its shape with expect(). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json(response: Response | Promise<Response>): Promise<any> {
  return (await response).json();
}

/** The API token serveApp gives the bot unless told otherwise, as the header every API caller sends it in. */
export const API_AUTH = { authorization: 'Bearer api-t' } as const;

/**
 * An API request with the bearer token: with API_TOKEN set, every `/api/*` route needs it, reads included.
 * GET unless `init` says otherwise.
 */
export function apiFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...API_AUTH, ...(init.headers as Record<string, string>) } });
}

/**
 * A POST of `body` as JSON to the API with the bearer token. `headers` come last, so that a test can add some
 * (an Idempotency-Key) or send another token, or none (`authorization: ''`).
 */
export function apiPost(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return apiFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** The tokens the bot's HTTP app is given: alert token `t` and API token `api-t` unless told otherwise. */
export interface AppTokens {
  alerts?: { token: string | undefined; allowUnauthenticated: boolean };
  apiToken?: string | undefined;
}

/** The bot's HTTP app on `deps`, with the given tokens (alert token `t`, API token `api-t` by default). */
export function appOn(deps: TestDeps, options: AppTokens = {}): RequestListener {
  return createApp({
    deps,
    alerts: options.alerts ?? { token: 't', allowUnauthenticated: false },
    apiToken: 'apiToken' in options ? options.apiToken : 'api-t',
    registry: deps.metrics.registry,
    groupsOf: snapshotGroups(deps),
  });
}

/** Serves the bot's HTTP app on `deps`, with the given tokens (alert token `t`, API token `api-t` by default). */
export function serveApp(deps: TestDeps, options: AppTokens = {}) {
  return serve(appOn(deps, options));
}

/**
 * serveApp with the default tokens, also writing down each request as `METHOD url` in `seen`, in order: which
 * routes a client (the CLI) called.
 */
export async function serveAppRecording(deps: TestDeps) {
  const app = appOn(deps);
  const seen: string[] = [];
  const server = await serve((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    app(req, res);
  });
  return { ...server, seen };
}
