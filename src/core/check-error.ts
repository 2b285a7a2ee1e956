/**
 * A check whose query failed, as people read it. Whole (`error`), on the timeline and in the report: the query it
 * names, what went wrong and what to do. Brief, where a line is capped (Slack's check row, a confirmation poll's
 * line, a triage summary): those already name the check, so the query is left out, and what went wrong and what to do share the
 * room. The quoted query alone (~120 characters) would fill a capped line and push both out. The one place for
 * that rule.
 */
import { errorText, RollbotError } from './errors.js';
import type { CheckResult } from './evaluation.js';
import { oneLine, truncate } from './text.js';

/**
 * Characters of a failed query's reason on a line that names its check: Slack's check row, a confirmation poll's
 * line, a triage summary, a baseline's. Room for Prometheus' own reason (where a parse error is) and the whole of
 * every hint rollbot gives; at half this, both were cut to ~58 characters and the parse error's position was lost.
 */
export const BRIEF_ERROR_CHARS = 200;

/** What a check keeps of the error its query failed with: the whole text and its parts. */
export function checkError(error: unknown): Pick<CheckResult, 'error' | 'errorParts'> {
  if (!(error instanceof RollbotError)) return { error: errorText(error) };
  const { problem, hint } = error;
  return { error: errorText(error), errorParts: hint ? { problem, hint } : { problem } };
}

/**
 * `what went wrong (what to do)` within `max` characters, without the query: when both do not fit, what went wrong
 * keeps at least half the room and the hint what is left (a hint leads with what to do, so its start says it).
 * `cut` shortens one part to a length, as the surface shows it: Slack's escapes what mrkdwn would act on. Records
 * from before the parts were kept: their whole text, cut. Undefined when the query did not fail.
 */
export function briefCheckError(
  check: Pick<CheckResult, 'error' | 'errorParts'>,
  max: number,
  cut: (text: string, max: number) => string = truncate,
): string | undefined {
  if (check.error === undefined) return undefined;
  if (!check.errorParts) return cut(oneLine(check.error), max);
  const problem = oneLine(check.errorParts.problem);
  const hint = oneLine(check.errorParts.hint ?? '');
  if (hint === '') return cut(problem, max);
  const room = max - ' ()'.length;
  const hintLength = cut(hint, room).length;
  const problemRoom = Math.min(cut(problem, room).length, Math.max(Math.ceil(room / 2), room - hintLength));
  return `${cut(problem, problemRoom)} (${cut(hint, room - problemRoom)})`;
}

/**
 * Checks a line that names several of them (a triage summary, the baselines' note) names: the rest are counted.
 * Such a line is one entry on the timeline, a decision request, an automatic rollback's reason; a runbook may
 * have 60 checks, each of which is on the incident message's rows, `rollbot timeline` and the report.
 */
export const NAMED_CHECKS = 5;

/** `a; b; c; d; e; and 3 more checks breached`: the first NAMED_CHECKS parts, the rest counted as `rest`. */
export function someParts(parts: readonly string[], rest: string): string {
  const named = parts.slice(0, NAMED_CHECKS);
  const more = parts.length - named.length;
  return more > 0 ? `${named.join('; ')}; and ${more} more ${rest}` : named.join('; ');
}

/** `a, b, c, d, e and 25 more checks`: the first NAMED_CHECKS names, the rest counted. */
export function someChecks(names: readonly string[]): string {
  const named = names.slice(0, NAMED_CHECKS).join(', ');
  return names.length > NAMED_CHECKS ? `${named} and ${names.length - NAMED_CHECKS} more checks` : named;
}
