import { z } from 'zod';
import { RollbotError } from '../core/errors.js';
import { alertList, firstNonEmpty, nonEmptyString, shownAs, stringMap, timestamp } from './wire-alert.js';
import { expected, parseAlertBody } from './errors.js';
import { hashFingerprint, sortedLabels } from './fingerprint.js';
import type { NormalizedAlert } from './types.js';

/** The keys a generic alert may have; anything else is refused as a likely typo. */
export const GENERIC_ALERT_KEYS = [
  'model',
  'severity',
  'summary',
  'startsAt',
  'labels',
  'status',
  'fingerprint',
] as const;

/**
 * `model` names a runbook's model exactly, as routing compares labels (runbooks: "exact values"), and a runbook's
 * model never has whitespace around it: "fraud-scorer " would be answered `unrouted` with no reason given, so it is
 * refused, with the name it was likely meant to be. Not trimmed: the contract is the exact name, and a sender that
 * pads it has a template to fix.
 */
const modelName = nonEmptyString.superRefine((model, ctx) => {
  const trimmed = model.trim();
  if (trimmed === model || trimmed === '') return;
  ctx.addIssue({
    code: 'custom',
    message: `${JSON.stringify(model)} has whitespace around it, so it would name no runbook's model: send ${JSON.stringify(trimmed)}`,
  });
});

// Strict: this is rollbot's own format, so an unknown key is a mistake to report, not a field to skip.
const genericAlert = z
  .strictObject(
    {
      model: modelName,
      severity: nonEmptyString,
      summary: nonEmptyString,
      startsAt: timestamp.optional(),
      labels: stringMap.optional(),
      status: z.enum(['firing', 'resolved']).default('firing'),
      fingerprint: nonEmptyString.optional(),
    } satisfies Record<(typeof GENERIC_ALERT_KEYS)[number], z.ZodType>,
    { error: expected('an alert object like {"model": …, "severity": …, "summary": …}') },
  )
  .superRefine((alert, ctx) => {
    // `model` and `severity` become labels; a different value under labels would be overwritten unseen.
    for (const key of ['model', 'severity'] as const) {
      const label = alert.labels?.[key];
      if (label !== undefined && label !== alert[key]) {
        ctx.addIssue({
          code: 'custom',
          path: ['labels', key],
          message: `"${label}" conflicts with ${key} "${alert[key]}": drop it from labels (${key} is set as a label)`,
        });
      }
    }
  });

type GenericAlert = z.output<typeof genericAlert>;

const genericList = alertList(genericAlert, 'split the alerts over several requests');

/**
 * Parses the generic JSON alert (`POST /alerts`): one object `{model, severity, summary, startsAt?, labels?,
 * status?, fingerprint?}` or an array of up to 1000 of them. `model` and `severity` are added to the labels
 * so that routing by label works the same as for Alertmanager alerts. Throws `RollbotError('BAD_REQUEST')`
 * naming every failing field (and every unknown key); never returns a partial result.
 */
export function parseGeneric(body: unknown): NormalizedAlert[] {
  const options = {
    what: 'alert',
    hint: 'send {"model": "…", "severity": "…", "summary": "…"} with optional startsAt, labels, status, fingerprint',
    knownKeys: GENERIC_ALERT_KEYS,
  };
  refuseWebhookBody(body);
  // Branch on the shape rather than use a union, so that errors describe the one shape that was sent.
  const alerts = Array.isArray(body)
    ? parseAlertBody(genericList, body, options)
    : [parseAlertBody(genericAlert, body, options)];
  return alerts.map(normalizeGeneric);
}

/** The route of each webhook format, by the `version` its body carries. */
const WEBHOOK_ROUTES = new Map([
  ['4', { sender: 'an Alertmanager', route: '/alerts/alertmanager' }],
  ['1', { sender: 'a Grafana', route: '/alerts/grafana' }],
]);

/**
 * An Alertmanager or Grafana webhook body (an object with an `alerts` list) pointed at `/alerts` by mistake: one
 * problem naming the route it belongs on, instead of a dozen unknown fields that do not say what to change.
 */
function refuseWebhookBody(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const { alerts, version } = body as { alerts?: unknown; version?: unknown };
  if (!Array.isArray(alerts)) return;
  const known = typeof version === 'string' ? WEBHOOK_ROUTES.get(version) : undefined;
  const message = known
    ? `this looks like ${known.sender} webhook body (version "${version as string}"); send it to ${known.route}`
    : 'a body with an `alerts` list is a webhook body, not a generic alert; send Alertmanager webhooks to ' +
      '/alerts/alertmanager and Grafana webhooks to /alerts/grafana';
  throw new RollbotError('BAD_REQUEST', `invalid alert: (body): ${message}`, {
    hint: known
      ? `change the webhook's URL to ${known.route}; /alerts takes {"model": "…", "severity": "…", "summary": "…"}`
      : '/alerts takes {"model": "…", "severity": "…", "summary": "…"} or an array of them',
    details: [{ path: '(body)', message }],
  });
}

function normalizeGeneric(alert: GenericAlert): NormalizedAlert {
  const labels: Record<string, string> = { ...alert.labels, model: alert.model, severity: alert.severity };
  const shown = shownAs(firstNonEmpty(labels.alertname) ?? alert.summary, alert.summary);
  const normalized: NormalizedAlert = {
    source: 'generic',
    status: alert.status,
    fingerprint: alert.fingerprint ?? genericFingerprint(alert.model, labels, alert.summary),
    ...shown,
    labels,
    severity: alert.severity,
    // Mirrors Alertmanager's convention so that readers of annotations see the summary in the usual place.
    annotations: { summary: shown.summary },
  };
  if (alert.startsAt !== undefined) normalized.startsAt = alert.startsAt;
  return normalized;
}

/**
 * A stable identity for a generic alert that came without a fingerprint: the first 16 hex digits of the
 * SHA-256 of model, labels (sorted by name) and summary. Repeated posts of one alert get the same fingerprint
 * and deduplicate (with `startsAt`, per episode; without it, while its incident is open); any label or summary
 * change makes a new one. Status and times are left out on purpose, so that the resolved post matches the
 * firing one.
 */
export function genericFingerprint(
  model: string,
  labels: Readonly<Record<string, string>>,
  summary: string,
): string {
  return hashFingerprint([model, sortedLabels(labels), summary]);
}
