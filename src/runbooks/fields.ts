import { parse as parseCron, validate as validateCron } from 'node-cron';
import { z } from 'zod';
import { DRILL_OVERDUE_MS } from '../core/drill-cadence.js';
import { MAX_URL_LENGTH, webUrl } from '../core/links.js';
import { formatDuration, parseDuration } from '../core/duration.js';
import { longestDrillGap } from './drill-cadence.js';

const DAY_MS = 86_400_000;

/**
 * The longest each kind of runbook duration may be, and what the error calls it: the one place for the bounds
 * (runbooks/README.md "Durations" lists them). Unbounded, `watch: 1000000000d` loaded and every deadline computed
 * from it fell past the last date JavaScript can hold, and a `timeout` over 2^31-1 ms (24.8 days) given to
 * setTimeout fires at once: the command was killed the moment it started. Each bound is far above any sensible
 * value of its field, and a wait that a timer takes (a timeout) stays well below 24.8 days.
 */
export const DURATION_LIMITS = {
  /** detect, triage, rollback, confirm: a stage nobody is called about within a week is not being watched. */
  stageTarget: { maxMs: 7 * DAY_MS, name: 'stage target' },
  /** targets.retro and retro.due: a retrospective a month on has lost what people remember. */
  retro: { maxMs: 30 * DAY_MS, name: 'retrospective due time' },
  /** triage.interval, confirm.interval, confirm.initialDelay: waits within one incident's stage. */
  interval: { maxMs: DAY_MS, name: 'interval or delay' },
  /** triage.trend: the sparkline's reach back. */
  trend: { maxMs: 7 * DAY_MS, name: 'trend' },
  /** drill.remind: drills are at most 100 days apart, and quarterly by default. */
  drillReminder: { maxMs: 30 * DAY_MS, name: 'drill reminder' },
  /** watch: a month covers any weekly pattern; longer pins an old version as the rollback target for good. */
  watch: { maxMs: 30 * DAY_MS, name: 'watch' },
  /** serving timeouts (per request, per command run), waited for with a timer. */
  timeout: { maxMs: DAY_MS, name: 'timeout' },
  /** serving eta: a rollback waits up to twice it for traffic to move. */
  eta: { maxMs: DAY_MS, name: 'ETA' },
} as const;

/** Which bound of DURATION_LIMITS a duration field has. */
export type DurationKind = keyof typeof DURATION_LIMITS;

/**
 * A duration written like `30s`, `5m`, `48h`, `7d`; parsed to milliseconds, zero included, at most the `kind`'s
 * maximum. Only for a wait that may sensibly be skipped: say why where it is used. Everything else is a `duration`.
 */
export function durationOrZero(kind: DurationKind) {
  const { maxMs, name } = DURATION_LIMITS[kind];
  return z.string({ error: 'expected a duration like 30s, 5m, 48h or 7d' }).transform((text, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(text);
    } catch {
      ctx.issues.push({
        code: 'custom',
        input: text,
        message: `"${text}" is not a duration: write a number with a unit, like 30s, 5m, 48h or 7d`,
      });
      return z.NEVER;
    }
    // Not `>`: a value too long to be a finite number (hundreds of digits) is no more a duration than one too big.
    if (!(ms <= maxMs)) {
      const max = formatDuration(maxMs);
      ctx.issues.push({
        code: 'custom',
        input: text,
        message: `"${text}" is above the maximum ${name} of ${max}; write ${max} or less`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

/**
 * A duration above zero, and at most the `kind`'s maximum. Targets, intervals, windows and timeouts of zero load
 * without a word otherwise (`0s` is a well-formed duration) and then misbehave at 2am. `zeroMeans` says what a zero
 * would do, for the error.
 */
export function duration(zeroMeans: string, kind: DurationKind) {
  return durationOrZero(kind).refine((ms) => ms > 0, {
    message: `${zeroMeans}; write a duration above zero, like 30s, 5m or 48h`,
  });
}

/**
 * Someone who can approve or be mentioned: a Slack user (U…/W…) or user group (S…) ID. A channel ID would load
 * but match nobody: with it as the only approver, no one could roll back from Slack.
 */
export const slackId = z
  .string()
  .regex(
    /^[UWS][A-Z0-9]{2,}$/,
    'expected a Slack user ID (U…/W…) or user-group ID (S…) such as U024BE7LH or S0614TZR7; a channel (C…/G…) cannot approve or be mentioned',
  );

/**
 * A list of people (`slackId`): approvers, escalation and retrospective mentions. A single ID written without the
 * brackets is the likely slip, so the error shows the list form.
 */
export const slackIds = z.array(slackId, {
  error: 'expected a list of Slack user (U…/W…) or user-group (S…) IDs, like [U024BE7LH, S0614TZR7]',
});

/** A model name as used in alerts, URLs and Redis keys. */
export const modelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected lower-case letters, digits, ".", "_" or "-" (at most 63)');

/** A channel ID (C…/G…) or a `#name`, resolved to an ID when the bot starts talking to Slack. */
export const channel = z
  .string()
  .regex(
    /^([CG][A-Z0-9]{2,}|#[a-z0-9._-]{1,80})$/,
    'expected a channel ID like C0FRAUD01 or a name like #ml-alerts',
  );

/** The most links a runbook shows on each incident message: more would crowd out the incident itself. */
const MAX_RUNBOOK_LINKS = 5;

/** Links people need at 2am (the model's dashboard, its playbook): a short name and an http(s) URL. */
export const links = z
  .array(
    z.strictObject({
      name: z
        .string()
        .trim()
        .min(1)
        .max(40, 'a link name is at most 40 characters: it is a button-sized label'),
      url: z.string().refine((text) => webUrl(text) !== undefined, {
        message: `expected an http(s) URL of at most ${MAX_URL_LENGTH} characters, like https://grafana.example.com/d/fraud-scorer`,
      }),
    }),
  )
  .max(MAX_RUNBOOK_LINKS, `at most ${MAX_RUNBOOK_LINKS} links: keep the ones people open first`);

/** The name of an environment variable that holds a secret, so that no secret is written in a runbook. */
export const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected the NAME of an environment variable (secrets never go in runbooks)');

/**
 * Keys that name members of Object.prototype. zod's record drops `__proto__` without a word (it would replace
 * the copy's prototype), so `match: {__proto__: x}` would load as an empty matcher; the others would shadow
 * what every object has. None is a sensible label name or value, so they are refused.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A map from names (alert label names, label values) to `value`, refusing reserved keys with a problem at the
 * key itself. The check runs on the input, before zod copies it: the copy no longer has `__proto__`.
 * `caseInsensitive`: the keys are lower-cased later, so `Constructor` is refused too.
 */
export function nameMap<T extends z.ZodType>(value: T, caseInsensitive = false) {
  return z.preprocess(
    (input, ctx) => {
      if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
      // Keys lower-cased later would collapse into one, the last silently winning: `{ P1: 1, p1: 2 }`.
      const seen = new Map<string, string>();
      for (const key of Object.keys(input)) {
        const earlier = caseInsensitive ? seen.get(key.toLowerCase()) : undefined;
        seen.set(key.toLowerCase(), earlier ?? key);
        if (earlier !== undefined) {
          ctx.issues.push({
            code: 'custom',
            input: key,
            path: [key],
            message: `the same value as "${earlier}" (values are compared in lower case): keep one`,
          });
        }
        if (!RESERVED_KEYS.has(caseInsensitive ? key.toLowerCase() : key)) continue;
        ctx.issues.push({
          code: 'custom',
          input: key,
          path: [key],
          message: `"${key}" cannot be used as a name here (it is reserved in JavaScript objects); rename or remove it`,
        });
      }
      return input;
    },
    z.record(z.string(), value),
  );
}

/**
 * A drill schedule: `quarterly` or a node-cron expression (five fields, or six with seconds). Checked at load so
 * that a typo stops start-up instead of failing the hourly drill planner later, and so that a schedule too sparse
 * for the gate's 100 days (twice a year) stops it instead of closing every deployment between drills. More than
 * one time a day (a `*` for the minute) would start one drill and skip the rest, each skip said in the channel: a
 * drill waits up to a day for its decision (drill-undecided.ts), and while it is open the model's next is refused.
 */
export const drillSchedule = z.string().superRefine((text, ctx) => {
  if (text === 'quarterly') return;
  if (!validateCron(text)) {
    ctx.addIssue({
      code: 'custom',
      input: text,
      message: `"${text}" is not a cron expression: write quarterly, or five cron fields like "0 10 * * 2" (10:00 every Tuesday)`,
    });
    return;
  }
  const parsed = parseCron(text);
  const perDay = parsed.second.length * parsed.minute.length * parsed.hour.length;
  if (perDay > 1) {
    ctx.addIssue({
      code: 'custom',
      input: text,
      message: `"${text}" drills ${perDay} times on each day it runs (every second, minute and hour it lists), while a drill waits up to a day for its decision and each further one would be skipped: give one minute and one hour, like "0 10 15 1,4,7,10 *"`,
    });
    return;
  }
  const gap = longestDrillGap(parsed, Date.now());
  if (gap === undefined || gap <= DRILL_OVERDUE_MS) return;
  ctx.addIssue({
    code: 'custom',
    input: text,
    message: `"${text}" leaves up to ${formatDuration(gap)} between drills, but a model with no successful drill in ${formatDuration(DRILL_OVERDUE_MS)} has its deployment gate closed: schedule a drill at least every 100 days (quarterly, or a cron expression like "0 10 15 1,4,7,10 *")`,
  });
});

/** An IANA time zone that this Node (and so node-cron) knows, such as Europe/Dublin or UTC. */
export const timeZone = z.string().superRefine((zone, ctx) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    ctx.addIssue({
      code: 'custom',
      input: zone,
      message: `"${zone}" is not a time zone: write an IANA name such as Europe/Dublin, America/New_York or UTC`,
    });
  }
});

/**
 * The one rule for a runbook's own text values, as src/env.ts has for variables: empty or only blanks is unset,
 * and a value is trimmed. An empty value is what a templated runbook gives as easily as none (`endpoint: "${X}"`
 * with X undefined), and it means "not set": taken literally, "" would reach the serving layer at the first
 * rollback (MLflow refuses an empty alias; the AWS SDK refuses an empty region on every call, even with
 * AWS_REGION set).
 */
const blankAsUnset = (input: unknown): unknown => {
  if (typeof input !== 'string') return input;
  const trimmed = input.trim();
  return trimmed === '' ? undefined : trimmed;
};

/**
 * Text a runbook must give: a blank value is refused as a missing one is, with the field's path and `what` to
 * write (`the endpoint name, like fraud-prod`).
 */
export function requiredText(what: string) {
  return z.string().trim().min(1, `is empty: write ${what}`);
}

/** Optional text (`schema` with its `.optional()` or `.default(…)`): a blank value is as if not written. */
export function optionalText<T extends z.ZodType>(schema: T) {
  return z.preprocess(blankAsUnset, schema);
}
