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
