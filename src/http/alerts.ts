import type { IncomingMessage, ServerResponse } from 'node:http';
import { ALERT_PARSERS, leftOut, MAX_ALERTS_PER_BODY, unroutedReasons } from '../alerts/index.js';
import type { AlertIntakeSource, NormalizedAlert } from '../alerts/types.js';
import { RollbotError, isRollbotError, type ErrorCode } from '../core/errors.js';
import type { EngineDeps } from '../engine/context.js';
import { ingestAlerts, type AlertOutcome, type AlertResult } from '../engine/intake.js';
import { sendJson, UnauthorizedError } from './errors.js';
import { hasBearer, parseJson, readJsonBody } from './request.js';
import type { Slots } from './slots.js';

export interface AlertRouteOptions {
  token: string | undefined;
  allowUnauthenticated: boolean;
}

/** `rollbot_alerts_rejected_total{reason}` for each way a request can be refused. */
const REJECT_REASON: Partial<Record<ErrorCode, string>> = {
  UNAUTHORIZED: 'unauthorized',
  PAYLOAD_TOO_LARGE: 'too_large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  BAD_REQUEST: 'invalid',
  // Incidents too busy to take the alerts now (503 + Retry-After): the sender re-sends them.
  UNAVAILABLE: 'unavailable',
};

/**
 * `POST /alerts/<source>`: authenticate, read (size-limited), validate, then hand the alerts to the engine.
 * Parsing onwards runs in one of the `intake` slots shared by the alert routes, so a storm waits its turn
 * instead of crowding out Slack acks. Answers 202 with what became of each alert, the counts adding up to
 * `received`. A refused request (4xx) stores nothing. A 503 (incidents kept changing under concurrent writers) may
 * have stored some of the alerts; the sender's retry finds those as duplicates, so each alert is recorded once.
 */
export function alertRoute(
  deps: EngineDeps,
  options: AlertRouteOptions,
  source: AlertIntakeSource,
  intake: Slots,
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A body that is not JSON at all is counted apart (`bad_json`) from JSON that is not an alert (`invalid`).
    let bodyIsJson = true;
    try {
      authenticate(req, options, source);
      // Read before taking a slot: a sender whose body trickles in holds its own connection, not one of the few
      // slots every alert route shares (the rest would wait behind it until Node's request timeout); and the body's
      // size is the slot's weight.
      const body = await readJsonBody(req);
      const { alerts, results, truncated } = await intake.run(async () => {
        let json: unknown;
        try {
          json = parseJson(body);
        } catch (error) {
          bodyIsJson = false;
          throw error;
        }
        const parsed = ALERT_PARSERS[source](json);
        const left = source === 'generic' ? undefined : leftOut(json);
        return { alerts: parsed, results: await ingestAlerts(deps, parsed), truncated: left };
      }, body.length);
      if (truncated) warnLeftOut(deps, source, truncated);
      sendJson(res, 202, accepted(deps, alerts, results, truncated?.truncatedAlerts));
    } catch (error) {
      if (isRollbotError(error))
        deps.metrics.alertRejected(bodyIsJson ? (REJECT_REASON[error.code] ?? 'error') : 'bad_json');
      throw error;
    }
  };
}

/**
 * The 202's body: the counts (adding up to `received`), the unrouted fingerprints, each alert's result, and how many
 * the sender left out when it says it did.
 */
function accepted(
  deps: Pick<EngineDeps, 'runbooks'>,
  alerts: readonly NormalizedAlert[],
  results: readonly AlertResult[],
  truncated: number | undefined,
) {
  const count = (outcome: AlertOutcome) => results.filter((result) => result.outcome === outcome).length;
  return {
    received: results.length,
    opened: count('opened'),
    attached: count('attached'),
    duplicates: count('duplicate'),
    resolved: count('resolved'),
    // Resolutions that changed nothing: no open incident of the model had the alert, or it was noted already
    // (a sender's repeat). Counted, so that the totals add up to `received`.
    ignored: count('ignored'),
    unrouted: results.filter((result) => result.outcome === 'unrouted').map((result) => result.fingerprint),
    results: withReasons(deps, alerts, results),
    // Only when the sender left some out, so that the usual answer stays as it was.
    ...(truncated ? { truncated } : {}),
  };
}

/** Alerts the sender never sent (over its max_alerts) cannot open an incident: the log says so, and what to change. */
function warnLeftOut(
  deps: Pick<EngineDeps, 'logger'>,
  source: AlertIntakeSource,
  left: { truncatedAlerts: number; groupKey?: string },
): void {
  deps.logger.warn(
    { source, ...left },
    `the sender left ${left.truncatedAlerts} alerts out of this notification (max_alerts): rollbot never sees ` +
      `them; group by model (group_by: [model]) so that a group has at most ${MAX_ALERTS_PER_BODY} alerts`,
  );
}

/**
 * The results, each `unrouted` one saying why (unroutedReason): the 202 is where whoever debugs a sender looks, and
 * "unrouted" alone did not say which label to fix. Results are in the order of `alerts`; routed ones are left as
 * they are, so a body that routes costs nothing here.
 */
function withReasons(
  deps: Pick<EngineDeps, 'runbooks'>,
  alerts: readonly NormalizedAlert[],
  results: readonly AlertResult[],
): readonly (AlertResult & { reason?: string })[] {
  if (!results.some((result) => result.outcome === 'unrouted')) return results;
  const reasonOf = unroutedReasons(deps.runbooks.all);
  return results.map((result, index) => {
    const alert = alerts[index];
    if (result.outcome !== 'unrouted' || !alert) return result;
    return { ...result, reason: reasonOf(alert.labels) };
  });
}

/** Where each sender sets the bearer token, for the 401's hint: a Grafana user is not helped by Alertmanager's. */
const TOKEN_SETTING: Record<AlertIntakeSource, string> = {
  alertmanager: ' (Alertmanager: http_config.authorization.credentials)',
  grafana:
    " (Grafana: the webhook contact point's Authorization Header, scheme Bearer, credentials the token)",
  generic: '',
};

function authenticate(req: IncomingMessage, options: AlertRouteOptions, source: AlertIntakeSource): void {
  if (options.token) {
    if (hasBearer(req, options.token)) return;
    throw new UnauthorizedError(
      'missing or wrong bearer token for the alert webhook',
      `send Authorization: Bearer <ALERT_WEBHOOK_TOKEN>${TOKEN_SETTING[source]}`,
      'Bearer realm="rollbot alerts"',
    );
  }
  if (options.allowUnauthenticated) return;
  throw new RollbotError('UNAUTHORIZED', 'alert routes are closed because ALERT_WEBHOOK_TOKEN is not set', {
    hint: 'set ALERT_WEBHOOK_TOKEN and send it as a bearer token (or ALLOW_UNAUTHENTICATED_ALERTS=true, for local use only)',
  });
}
