import { z } from 'zod';
import { expected, mismatch, refuseGenericAlert } from './errors.js';
import { webhookAlerts } from './plain-alerts.js';
import type { NormalizedAlert } from './types.js';
import { alertList, normalizeWireAlert, wireAlert } from './wire-alert.js';

// Grafana's alerts carry Alertmanager's core fields plus `values`, `valueString`, `silenceURL`, `dashboardURL`,
// `panelURL`, `imageURL`, `ruleUID`, … The loose alert schema lets those through and normalizing drops them.
/** The body as the schema reads it; exported for the test that holds readPlainAlerts to it. */
export const grafanaBody = z.looseObject(
  {
    version: z.literal('1', {
      error: (issue) =>
        issue.input === '4'
          ? 'expected "1", got "4": this looks like an Alertmanager webhook body; send it to /alerts/alertmanager'
          : `${mismatch('"1"', issue.input)}: rollbot expects Grafana's default webhook body, ` +
            'not a custom payload template (leave the contact point\'s "Custom Payload" unset)',
    }),
    alerts: alertList(wireAlert, "set the contact point's max alerts to 1000 or less"),
  },
  { error: expected('a JSON object (the Grafana webhook body)') },
);

/**
 * Parses a Grafana unified-alerting webhook body (`POST /alerts/grafana`) into normalized alerts, one per entry
 * in `alerts`. Throws `RollbotError('BAD_REQUEST')` naming every failing field; never returns a partial result.
 */
export function parseGrafana(body: unknown): NormalizedAlert[] {
  refuseGenericAlert(body, {
    what: 'Grafana webhook body',
    takes: 'a Grafana webhook body',
    route: '/alerts/grafana',
  });
  const alerts = webhookAlerts(body, '1', grafanaBody, {
    what: 'Grafana webhook body',
    hint: 'point a webhook contact point at /alerts/grafana and keep the default body',
  });
  return alerts.map((alert) => normalizeWireAlert('grafana', alert));
}
