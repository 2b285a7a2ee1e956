import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { RollbotError, isRollbotError } from '../core/errors.js';
import type { EngineDeps } from '../engine/context.js';
import type { GroupResolver } from '../engine/group-membership.js';
import { alertRoute, type AlertRouteOptions } from './alerts.js';
import { incidentRoute, listIncidentsRoute } from './api.js';
import {
  deploymentRoute,
  dismissRoute,
  noteRoute,
  resolveRoute,
  requireApiBearer,
  rollbackRoute,
} from './api-writes.js';
import { drillRunRoute, drillsRoute } from './api-drills.js';
import { gateFreezeRoute, gateUnfreezeRoute } from './api-freeze.js';
import { gateApproveRoute, gateOverrideRevokeRoute, gateOverrideRoute, gateRoute } from './api-gate.js';
import { sendError, sendJson } from './errors.js';
import { idempotent } from './idempotency.js';
import { canonicalParams } from '../core/names.js';
import { Router, refuseQuery, requestPath } from './router.js';
import { Slots } from './slots.js';

/**
 * Alert deliveries worked on at once, and the bytes of their bodies together; the rest wait their turn, bodies read.
 * Work in flight is weighed by bytes, which a body's parsing, validation and garbage grow with: four bodies of 50
 * alerts (~25 KB each), or sixteen of one. Enough to keep the CPU busy while some wait on Redis — with four slots
 * whatever the size, rollbot idled a fifth of the time between Redis answers under single alerts (bench/README.md,
 * F27) — and little enough that a Slack ack is not queued behind more than ~2 ms of intake callbacks in a storm (F6).
 */
export const ALERT_INTAKE_SLOTS = 16;
const ALERT_INTAKE_BYTES = 112 * 1024;

/** A store that does not answer a ping this fast is not ready (a Redis client may queue commands for long). */
const READY_TIMEOUT_MS = 1_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export interface AppOptions {
  deps: EngineDeps;
  alerts: AlertRouteOptions;
  registry: Registry;
  /** Bearer token for every `/api/*` route, reads included; unset leaves reads open and disables writes. */
  apiToken: string | undefined;
  /**
   * Who is in a runbook's approver user groups, for the API's approvers (`dismissedBy`, `approvedBy`): the bot's one
   * resolver, shared with the Slack layer (src/compose.ts).
   */
  groupsOf: GroupResolver;
  /** Bolt's request listener for `/slack/events`, when Slack runs over HTTP. */
  slack?: RequestListener;
}

/**
 * An error that is not rollbot's, told apart from a fault of the bot: when the store does not answer a ping
 * either (Redis down or unreachable), the request failed for that, and is UNAVAILABLE (503 + Retry-After) for
 * the caller to try again; otherwise it stays as it is, answered 500 INTERNAL (sendError).
 */
async function unlessStoreDown(store: EngineDeps['store'], error: unknown): Promise<unknown> {
  const down = await withTimeout(store.ping(), READY_TIMEOUT_MS).then(
    () => undefined,
    (reason: unknown) => (reason as Error).message,
  );
  if (down === undefined) return error;
  return new RollbotError(
    'UNAVAILABLE',
    `the store did not answer (${down}); the request was not completed`,
    {
      hint: 'retry in a moment; GET /readyz says when the store answers again',
      cause: error,
    },
  );
}

/**
 * The bot's HTTP surface on one port: alert webhooks, the API, health and metrics, and Slack. Built apart from
 * listening so that tests can mount it on port 0.
 */
export function createApp(options: AppOptions): RequestListener {
  const { deps } = options;
  const intake = new Slots(ALERT_INTAKE_SLOTS, ALERT_INTAKE_BYTES);
  const grafana = alertRoute(deps, options.alerts, 'grafana', intake);
  const router = new Router()
    .add('POST', '/alerts/alertmanager', alertRoute(deps, options.alerts, 'alertmanager', intake))
    .add('POST', '/alerts/grafana', grafana)
    // A Grafana webhook contact point sends with POST or PUT, as its HTTP Method setting says.
    .add('PUT', '/alerts/grafana', grafana)
    .add('POST', '/alerts', alertRoute(deps, options.alerts, 'generic', intake))
    .add('GET', '/api/incidents', listIncidentsRoute(deps), { query: true })
    .add('GET', '/api/incidents/:id', incidentRoute(deps))
    .add('POST', '/api/incidents/:id/resolve', resolveRoute(deps, options.apiToken))
    .add('POST', '/api/incidents/:id/dismiss', dismissRoute(deps, options.apiToken, options.groupsOf))
    .add('POST', '/api/incidents/:id/notes', noteRoute(deps, options.apiToken))
    .add('POST', '/api/rollbacks', rollbackRoute(deps, options.apiToken))
    .add('POST', '/api/deployments', deploymentRoute(deps, options.apiToken))
    .add('GET', '/api/drills', drillsRoute(deps))
    .add('POST', '/api/drills', drillRunRoute(deps, options.apiToken))
    .add('GET', '/api/gate/:model', gateRoute(deps))
    .add('POST', '/api/gate/:model/override', gateOverrideRoute(deps, options.apiToken, options.groupsOf))
    .add(
      'DELETE',
      '/api/gate/:model/override',
      gateOverrideRevokeRoute(deps, options.apiToken, options.groupsOf),
    )
    .add('POST', '/api/gate/:model/approve', gateApproveRoute(deps, options.apiToken, options.groupsOf))
    .add('POST', '/api/gate/:model/freeze', gateFreezeRoute(deps, options.apiToken, options.groupsOf))
    .add('POST', '/api/gate/:model/unfreeze', gateUnfreezeRoute(deps, options.apiToken, options.groupsOf))
    .add('GET', '/healthz', (_req, res) => sendJson(res, 200, { ok: true }))
    .add('GET', '/readyz', async (_req, res) => {
      const store = await withTimeout(deps.store.ping(), READY_TIMEOUT_MS).then(
        () => 'ok',
        (error: unknown) => `unreachable: ${(error as Error).message}`,
      );
      const ready = store === 'ok' && deps.runbooks.all.length > 0;
      sendJson(res, ready ? 200 : 503, { ready, store, runbooks: deps.runbooks.models() });
    })
    .add('GET', '/metrics', async (_req, res) => {
      const text = await options.registry.metrics();
      res.writeHead(200, { 'content-type': options.registry.contentType });
      res.end(text);
    });

  return (req: IncomingMessage, res: ServerResponse) => {
    let path: string;
    try {
      path = requestPath(req.url);
    } catch (error) {
      deps.logger.warn({ method: req.method, reason: (error as Error).message }, 'request refused');
      sendError(res, error);
      return;
    }
    if (path === '/slack/events' && options.slack) {
      options.slack(req, res);
      return;
    }
    void (async () => {
      try {
        const { handler, params, query } = router.match(req.method ?? 'GET', path);
        // Here rather than in each route, so that no read added later goes unguarded.
        if (path.startsWith('/api/')) requireApiBearer(req, options.apiToken);
        if (path.startsWith('/api/') && !query) refuseQuery(req.method ?? 'GET', path, req.url);
        // Every write, so that a retried one is done once wherever its caller sends an Idempotency-Key.
        const write = path.startsWith('/api/') && req.method !== 'GET' && req.method !== 'HEAD';
        await (write ? idempotent(deps, handler) : handler)(req, res, canonicalParams(params));
      } catch (error) {
        // Made here, not per request: a child logger costs as much as a small route under an alert storm.
        const log = deps.logger.child({ method: req.method, path });
        if (isRollbotError(error)) log.warn({ code: error.code, reason: error.message }, 'request refused');
        else log.error({ err: error }, 'request failed');
        // Once a stream is under way, its end says only that it broke: it may have run (sendError).
        const unexpected = !isRollbotError(error) && !res.headersSent;
        sendError(res, unexpected ? await unlessStoreDown(deps.store, error) : error);
      }
    })();
  };
}
