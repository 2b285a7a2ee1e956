/**
 * A deploy freeze's rules, in one place: what a valid request is, when a freeze is in force, and how it reads
 * to people. A freeze closes the deployment gate of one model, or of every model (`*`), until a set time; no
 * override waives it (a freeze is a deliberate decision of its own: lifting it is the way). No I/O: time is passed in.
 */
import { RollbotError } from '../core/errors.js';
import { oneLine } from '../core/text.js';

/** The target of a freeze of every model, as the API's `:model` and the stored freeze name it. */
export const EVERY_MODEL = '*';

/** A freeze ends by itself at most this long after it is set: a forgotten one must not block for good. */
export const MAX_FREEZE_MS = 30 * 86_400_000;

export interface Freeze {
  /** The model it freezes, or `*` for every model. */
  model: string;
  /** Who froze it: a Slack user ID, `cli:<login>`, or a script's name where the runbook lists nobody. */
  by: string;
  reason: string;
  /** When it ends by itself (ms since the epoch): deployments may go again from this instant on. */
  until: number;
  /** When it was set. */
  at: number;
}

/**
 * An ISO 8601 date and time with its zone (`Z` or `±hh:mm`): one without a zone would be read in the server's
 * zone, which the person setting a freeze cannot see.
 */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** For a date that names a day its month does not have. */
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

/**
 * Checks a freeze request against the clock: `until` an ISO time of a real date in the future, at most MAX_FREEZE_MS away, and
 * a reason. BAD_REQUEST names the field and the fix, before anything is stored.
 */
export function checkFreezeRequest(
  request: { until: string; reason: string },
  now: number,
): { until: number; reason: string } {
  const reason = request.reason.trim();
  if (!reason)
    throw invalid('reason', 'say why deployments must wait', 'give a reason, e.g. "year-end freeze"');
  const given = oneLine(request.until);
  const match = ISO_TIME.exec(request.until.trim());
  const until = match ? Date.parse(request.until.trim()) : NaN;
  if (!match || !Number.isFinite(until)) {
    throw invalid(
      'until',
      `"${given}" is not an ISO time with a time zone`,
      'write it like 2026-12-27T09:00:00Z (UTC) or 2026-12-27T10:00:00+01:00',
    );
  }
  // Date.parse rolls a day the month does not have (30 February) over into the next month: a freeze would end on a
  // day nobody wrote.
  const [year, month, day] = match.slice(1, 4).map(Number) as [number, number, number];
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > days) {
    const named = MONTHS[month - 1] ?? String(month);
    throw invalid(
      'until',
      `"${given}" is not a date: ${named} ${year} has ${days} days`,
      'check the day of the month',
    );
  }
  const at = new Date(until).toISOString();
  if (until <= now) {
    throw invalid(
      'until',
      `${at} is not in the future (now ${new Date(now).toISOString()})`,
      'give the time the freeze ends, later than now',
    );
  }
  if (until - now > MAX_FREEZE_MS) {
    throw invalid(
      'until',
      `${at} is more than 30d from now`,
      'freeze for at most 30 days; freeze again before it ends to extend it',
    );
  }
  return { until, reason };
}

function invalid(field: 'until' | 'reason', message: string, hint: string): RollbotError {
  return new RollbotError('BAD_REQUEST', `invalid deploy freeze: ${field}: ${message}`, {
    hint: `${hint}; nothing was changed`,
    details: [{ path: field, message }],
  });
}

/** True while the freeze holds: up to, not including, `until`. */
export function inForce(freeze: Freeze, now: number): boolean {
  return now < freeze.until;
}

/** What it freezes, for people: `fraud-scorer`, or `every model`. */
export function frozenWhat(model: string): string {
  return model === EVERY_MODEL ? 'every model' : model;
}

/** The gate's reason: who froze it, until when, and why. */
export function freezeReason(freeze: Freeze): string {
  const what = freeze.model === EVERY_MODEL ? ' of every model' : '';
  return `deploy freeze${what} by ${freeze.by} until ${new Date(freeze.until).toISOString()}: ${oneLine(freeze.reason)}`;
}

/**
 * After the freeze of every model is lifted, the models whose own freeze still closes their gate, each with its
 * freeze (who, until when, why), and how to lift it: `lift(model)` is the command that does, in the words of the
 * surface that asked (CLI, Slack). Said to whoever lifted it, so that "lifted" is not read as "open".
 */
export function stillFrozenText(freezes: readonly Freeze[], lift: (model: string) => string): string {
  const [only] = freezes;
  if (freezes.length === 1 && only)
    return `${only.model} stays frozen on its own (${freezeReason(only)}): lift it with ${lift(only.model)}`;
  const models = freezes.map((freeze) => freeze.model);
  const names = `${models.slice(0, -1).join(', ')} and ${models.at(-1)}`;
  const each = freezes.map((freeze) => `${freeze.model}: ${freezeReason(freeze)}`).join('; ');
  return `${names} stay frozen on their own (${each}): lift each with ${lift('<model>')}`;
}

/** A stored freeze, or undefined when there is none or it is not one (then it freezes nothing). */
export function readFreeze(raw: string | undefined): Freeze | undefined {
  if (raw === undefined) return undefined;
  try {
    return asFreeze(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

/** A freeze read back (from the store, or a deadline's payload), or undefined when it is not one. */
export function asFreeze(parsed: unknown): Freeze | undefined {
  const { model, by, reason, until, at } = (parsed ?? {}) as Partial<Record<keyof Freeze, unknown>>;
  const valid =
    typeof model === 'string' &&
    typeof by === 'string' &&
    typeof reason === 'string' &&
    typeof until === 'number' &&
    typeof at === 'number';
  return valid ? { model, by, reason, until, at } : undefined;
}
