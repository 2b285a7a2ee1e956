/**
 * The alert core shared by the Alertmanager, Grafana and generic parsers: timestamps, label maps, the per-alert
 * object and its normalizing. Grafana's webhook copies Alertmanager's template data, so one definition keeps the
 * two in step.
 */
import { z } from 'zod';
import { truncate } from '../core/text.js';
import { expected, mismatch } from './errors.js';
import { labelFingerprint } from './fingerprint.js';
import type { AlertIntakeSource, NormalizedAlert } from './types.js';

/** The most alerts rollbot takes in one request body; more is refused, not truncated. */
export const MAX_ALERTS_PER_BODY = 1000;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * 2000-01-01T00:00:00Z: earlier times are a sender's unset value, not a time — Go's zero `time.Time`
 * (0001-01-01T00:00:00Z, Alertmanager's `endsAt` while an alert fires), Unix time 0 from a script's unset number.
 * Taken as a degradation's onset, one read "detected in 492,000h", escalated a missed detect target and put decades
 * into rollbot_stage_duration_seconds for good.
 */
const EARLIEST_TIME_MS = 946_684_800_000;

/**
 * Epoch ms of an RFC3339 timestamp (`2026-11-22T01:42:04.443Z`, `…+02:00`, any fraction digits), or undefined
 * when the text is not one. Stricter than `Date.parse`, which accepts other formats and rolls 30 February over
 * into March. Two per alert, so it allocates no Date: under an alert storm it was half of a body's validation.
 * The alerts of one group mostly share their times (every firing one's `endsAt` is Go's zero time), so the last
 * few answers are kept: a 50-alert body made 100 of these for two or three distinct texts.
 */
export function parseRfc3339(text: string): number | undefined {
  // A hostile body's megabyte-long text is not kept.
  if (text.length > LONGEST_KEPT) return parseUncached(text);
  if (recentTimes.has(text)) return recentTimes.get(text);
  if (recentTimes.size >= RECENT_TIMES) recentTimes.clear();
  const ms = parseUncached(text);
  recentTimes.set(text, ms);
  return ms;
}

const RECENT_TIMES = 8;
/** `2026-11-22T01:42:04.123456789+02:00` is 35. */
const LONGEST_KEPT = 40;
const recentTimes = new Map<string, number | undefined>();

function parseUncached(text: string): number | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1] as number;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return leap ? 29 : 28;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

const TIMESTAMP = 'an RFC3339 timestamp like "2026-11-22T01:42:04Z"';

/**
 * An RFC3339 timestamp as epoch ms; one before 2000 (Go's zero time `0001-01-01T00:00:00Z`, Unix time 0) means
 * "not set" → undefined.
 */
export const timestamp = z
  .string({ error: expected(TIMESTAMP) })
  .transform((text, ctx): number | undefined => {
    const ms = readTimestamp(text);
    if (ms === null) {
      ctx.issues.push({ code: 'custom', input: text, message: mismatch(TIMESTAMP, text) });
      return z.NEVER;
    }
    return ms;
  });

/**
 * A timestamp's text as rollbot keeps it: epoch ms; undefined for a sender's unset value (before 2000); null when
 * the text is not an RFC3339 timestamp.
 */
export function readTimestamp(text: string): number | undefined | null {
  const ms = parseRfc3339(text);
  if (ms === undefined) return null;
  return ms < EARLIEST_TIME_MS ? undefined : ms;
}

/** Labels or annotations: a JSON object whose values are all strings. */
export const stringMap = z.record(z.string(), z.string({ error: expected('a string value') }), {
  error: expected('a JSON object of string values, like {"model": "fraud-scorer"}'),
});

/** A non-empty string (after trimming). */
export const nonEmptyString = z
  .string({ error: expected('a non-empty string') })
  .refine((text) => text.trim().length > 0, { message: 'must not be empty' });

/**
 * An array of at most {@link MAX_ALERTS_PER_BODY} elements. The length is checked before the elements, so that
 * an oversized body is refused with one clear problem instead of one per element.
 */
export function alertList<T extends z.ZodType>(element: T, fix: string) {
  return z
    .array(z.unknown(), { error: expected('an array of alerts') })
    .max(MAX_ALERTS_PER_BODY, {
      error: (issue) =>
        `too many alerts: ${Array.isArray(issue.input) ? issue.input.length : 'more than the limit'} in one body, ` +
        `rollbot accepts at most ${MAX_ALERTS_PER_BODY}; ${fix}`,
    })
    .pipe(z.array(element));
}

/**
 * One alert as Alertmanager (and Grafana) send it. Loose: both keep adding fields, which are kept out of the
 * result rather than refused.
 */
export const wireAlert = z.looseObject(
  {
    status: z.enum(['firing', 'resolved']),
    labels: stringMap,
    // Go marshals a nil map as null; treat it like an absent one.
    annotations: stringMap.nullish().transform((map) => map ?? {}),
    startsAt: timestamp,
    endsAt: timestamp.optional(),
    generatorURL: z.string().optional(),
    // Absent from older Alertmanagers and from some relays: one is made from the labels (normalizeWireAlert).
    fingerprint: z.string({ error: expected('a string') }).nullish(),
  },
  { error: expected('an alert object') },
);

/** The validated form of {@link wireAlert}. */
export type WireAlert = z.output<typeof wireAlert>;

/**
 * How much of an alert's summary and name rollbot keeps. Both are shown as one line, and stored on the incident,
 * which every write rewrites: a 900 KB annotation would be sent to Redis with each alert joining it.
 */
export const MAX_SUMMARY_CHARS = 1_000;
export const MAX_NAME_CHARS = 200;

/** An alert's name and summary as rollbot keeps them (MAX_NAME_CHARS, MAX_SUMMARY_CHARS). */
export function shownAs(name: string, summary: string): { name: string; summary: string } {
  return { name: truncate(name, MAX_NAME_CHARS), summary: truncate(summary, MAX_SUMMARY_CHARS) };
}

/** Reduces an Alertmanager/Grafana alert to the fields rollbot routes and records. */
export function normalizeWireAlert(source: AlertIntakeSource, alert: WireAlert): NormalizedAlert {
  const { labels, annotations } = alert;
  const fingerprint = alert.fingerprint?.trim() ? alert.fingerprint : labelFingerprint(labels);
  const described = firstNonEmpty(annotations.summary, annotations.description);
  const name = firstNonEmpty(labels.alertname, described) ?? `alert ${fingerprint}`;
  const normalized: NormalizedAlert = {
    source,
    status: alert.status,
    fingerprint,
    ...shownAs(name, described ?? name),
    labels: { ...labels },
    annotations: { ...annotations },
  };
  if (alert.startsAt !== undefined) normalized.startsAt = alert.startsAt;
  if (alert.endsAt !== undefined) normalized.endsAt = alert.endsAt;
  // Alertmanager sends "" for alerts that came without a generator URL.
  if (alert.generatorURL) normalized.generatorURL = alert.generatorURL;
  return normalized;
}

/** The first argument that is a string with something other than whitespace in it. */
export function firstNonEmpty(...values: (string | undefined)[]): string | undefined {
  return values.find((value) => value !== undefined && value.trim().length > 0);
}
