import { z } from 'zod';
import { expected, mismatch, refuseGenericAlert } from './errors.js';
import { webhookAlerts } from './plain-alerts.js';
import type { NormalizedAlert } from './types.js';
import { alertList, normalizeWireAlert, wireAlert } from './wire-alert.js';

/** The body as the schema reads it; exported for the test that holds readPlainAlerts to it. */
export const alertmanagerBody = z.looseObject(
  {
    version: z.literal('4', {
      error: (issue) =>
        issue.input === '1'
          ? 'expected "4", got "1": this looks like a Grafana webhook body; send it to /alerts/grafana'
          : `${mismatch('"4"', issue.input)}: rollbot expects Alertmanager's default webhook v4 body, ` +
            'not a custom `payload` template (remove `payload` from the webhook_config)',
    }),
    alerts: alertList(wireAlert, 'set `max_alerts` in the webhook_config to 1000 or less'),
  },
  { error: expected('a JSON object (the Alertmanager webhook v4 body)') },
);

/**
 * What an Alertmanager or Grafana body says it left out (`truncatedAlerts`: alerts of the group over the
 * receiver's max_alerts), with its `groupKey`; undefined when it left nothing out or does not say. Those alerts never
 * reach rollbot, so a model's incident among them never opens: the route warns.
 */
export function leftOut(body: unknown): { truncatedAlerts: number; groupKey?: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { truncatedAlerts, groupKey } = body as { truncatedAlerts?: unknown; groupKey?: unknown };
  if (typeof truncatedAlerts !== 'number' || !Number.isSafeInteger(truncatedAlerts) || truncatedAlerts <= 0)
    return undefined;
  return typeof groupKey === 'string'
    ? { truncatedAlerts, groupKey: groupKey.slice(0, 500) }
    : { truncatedAlerts };
}

/**
 * Parses an Alertmanager webhook v4 body (`POST /alerts/alertmanager`) into normalized alerts, one per entry in
 * `alerts`. Throws `RollbotError('BAD_REQUEST')` naming every failing field; never returns a partial result.
 */
export function parseAlertmanager(body: unknown): NormalizedAlert[] {
  refuseGenericAlert(body, {
    what: 'Alertmanager webhook body',
    takes: 'an Alertmanager webhook body',
    route: '/alerts/alertmanager',
  });
  const alerts = webhookAlerts(body, '4', alertmanagerBody, {
    what: 'Alertmanager webhook body',
    hint: 'point a webhook_config at /alerts/alertmanager and keep the default body',
  });
  return alerts.map((alert) => normalizeWireAlert('alertmanager', alert));
}
