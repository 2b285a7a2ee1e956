/**
 * Webhook bodies read without the schema when they are plainly well formed. Under an alert storm the schema
 * (zod: a result object per field, a copy of every label map) made two fifths of a 50-alert delivery's
 * allocations and up to a tenth of its CPU time (bench/README.md, F28). A body this reader vouches for is
 * read to what the schema reads it to; anything else — a wrong or missing field, an odd key, a time that is not
 * RFC3339 — is left to the schema, which alone words the 400. It accepts nothing the schema refuses, which a
 * property test checks over generated bodies (test/unit/alerts/plain-alerts.test.ts).
 */
import type { z } from 'zod';
import { parseAlertBody, type ValidationErrorOptions } from './errors.js';
import { MAX_ALERTS_PER_BODY, readTimestamp, type WireAlert } from './wire-alert.js';

/**
 * The alerts of a webhook body (Alertmanager's with version "4", Grafana's with "1"): read plainly when the body is
 * plainly well formed, else by `schema`, which refuses a bad one with a 400 naming every failing field.
 */
export function webhookAlerts(
  body: unknown,
  version: string,
  schema: z.ZodType<{ alerts: WireAlert[] }>,
  options: ValidationErrorOptions,
): WireAlert[] {
  return readPlainAlerts(body, version) ?? parseAlertBody(schema, body, options).alerts;
}

/**
 * The alerts of `{version, alerts: [...]}` (Alertmanager's body with version "4", Grafana's with "1"), each as the
 * schema's `wireAlert` reads it; undefined when the schema must read the body.
 */
export function readPlainAlerts(body: unknown, version: string): WireAlert[] | undefined {
  if (!isPlainObject(body) || body.version !== version) return undefined;
  const { alerts } = body;
  if (!Array.isArray(alerts) || alerts.length > MAX_ALERTS_PER_BODY) return undefined;
  const read: WireAlert[] = [];
  for (const alert of alerts) {
    const one = readPlainAlert(alert);
    if (!one) return undefined;
    read.push(one);
  }
  return read;
}

function readPlainAlert(alert: unknown): WireAlert | undefined {
  if (!isPlainObject(alert)) return undefined;
  const { status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint } = alert;
  if (status !== 'firing' && status !== 'resolved') return undefined;
  // Go marshals a nil map as null, as the schema allows.
  if (!isStringMap(labels) || (annotations != null && !isStringMap(annotations))) return undefined;
  if (typeof startsAt !== 'string' || (endsAt !== undefined && typeof endsAt !== 'string')) return undefined;
  const starts = readTimestamp(startsAt);
  const ends = endsAt === undefined ? undefined : readTimestamp(endsAt);
  if (starts === null || ends === null) return undefined;
  if (generatorURL !== undefined && typeof generatorURL !== 'string') return undefined;
  if (fingerprint != null && typeof fingerprint !== 'string') return undefined;
  // The body's own maps, not copies: nothing else holds them, and normalizing copies them once.
  return {
    status,
    labels,
    annotations: annotations ?? {},
    startsAt: starts,
    endsAt: ends,
    generatorURL,
    fingerprint,
  };
}

/** An object as JSON.parse makes them. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * Labels or annotations the schema would read to the same map: only string values, and no `__proto__` key (which
 * the schema drops).
 */
function isStringMap(value: unknown): value is Record<string, string> {
  if (!isPlainObject(value)) return false;
  for (const key in value) if (key === '__proto__' || typeof value[key] !== 'string') return false;
  return true;
}
