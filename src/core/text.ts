/**
 * Text from outside (alert summaries and names, labels, query errors, Prometheus' warnings, reasons people
 * typed) as rollbot shows it in terminals and documents. The one place that decides what such text may not
 * carry: whoever writes an alert must not be able to rewrite an operator's terminal or break a report's layout.
 */

// C0/C1 controls (escape sequences, bells, carriage returns, line breaks) and bidi overrides and isolates,
// which could reorder what a line shows.
const UNPRINTABLE = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;

/**
 * `text` on one line with nothing a terminal would act on: controls and bidi overrides become spaces, runs of
 * white space one space, trimmed. For a piece of outside text placed inside a line of rollbot's own.
 */
export function oneLine(text: string): string {
  return text.replace(UNPRINTABLE, ' ').replace(/\s+/g, ' ').trim();
}

/** How far the lines of a block after its first stand in: only rollbot's own lines start at the margin. */
export const INDENT = '    ';

/**
 * A block rollbot wrote (its own line breaks, outside text within its lines: a retrospective template, an
 * error message with its usage) for a terminal. A line break that came with the outside text cannot be told
 * from rollbot's, so each line goes through `oneLine` and every line after the first is indented: outside text
 * can at worst start an indented line, never one that looks like rollbot's next event or its `fix:`.
 */
export function printableBlock(text: string): string {
  return text
    .split('\n')
    .map(oneLine)
    .map((line, index) => (index === 0 || line === '' ? line : `${INDENT}${line}`))
    .join('\n');
}

const ELLIPSIS = '…';

/**
 * `text` cut to at most `max` UTF-16 units, ending with `…` when cut. Never splits a surrogate pair (an emoji
 * cut in half is invalid text that Slack may refuse).
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let end = max - ELLIPSIS.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, Math.max(0, end))}${ELLIPSIS}`;
}

/** `text` with its first letter upper case: a clause made the start of a sentence. */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
