/**
 * Slack's Block Kit limits (shared/reference/slack-platform.md §4) and the few text helpers every builder uses
 * to stay inside them by construction: Slack rejects the whole message or modal when one field is too long, and
 * at 2am a rejected incident message is worse than a shortened one.
 */
import { oneLine, truncate } from '../../core/text.js';

// Slack's cuts and the engine's (a digest's summaries) are the same cut.
export { truncate };

export const LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  /** Header block text (plain_text). */
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  /** action_id, block_id and callback_id. */
  id: 255,
  /** Modal title, submit and close. */
  modalText: 24,
  privateMetadata: 3000,
  /**
   * All text across a message's blocks. Undocumented: Slack answers `msg_blocks_too_long` somewhere between
   * 11k and 13.3k characters (bolt-js #2509, #2867), so builders budget their parts to stay under this.
   */
  messageText: 10_000,
  /** The top-level `text` of chat.postMessage (notifications, screen readers). */
  fallbackText: 4000,
  inputLabel: 2000,
  placeholder: 150,
  optionText: 75,
  optionValue: 150,
} as const;

/**
 * Text from outside (alert summaries, reasons, check names, versions) made safe for mrkdwn: `&`, `<` and `>`
 * are escaped so that a summary containing `<!channel>` cannot ping a channel, then cut to `max` without
 * leaving half an entity (`&am…`) behind.
 */
export function escapeText(text: string, max: number = LIMITS.sectionText): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (escaped.length <= max) return escaped;
  const cut = truncate(escaped, max);
  return cut.replace(/&[a-z]*…$/, '…');
}

const FENCE = '```';
/** U+02CB MODIFIER LETTER GRAVE ACCENT: reads as a backtick, and Slack does not take it for one. */
const BACKTICK_LOOKALIKE = '\u02CB';

/**
 * Text (outside text within it: a retrospective template quotes alert summaries and reasons) as a mrkdwn code
 * block, `escapeText`ed, fences included within `max`. Slack ends a code block at the next ``` it finds, and shows
 * what follows as formatted text, so every backtick inside becomes a look-alike: all of them rather than runs of
 * three, because a backtick or two next to a fence joins it (a text ending in `` makes the closing fence five
 * long, which Slack may close after its first three) and a look-alike in a block people read, not run, costs
 * nothing. The one place that decides what a code block may carry.
 */
export function codeBlock(text: string, max: number = LIMITS.sectionText): string {
  const inside = escapeText(text, max - 2 * FENCE.length).replace(/`/g, BACKTICK_LOOKALIKE);
  return `${FENCE}${inside}${FENCE}`;
}

const TICK = '`';

/**
 * Outside text (a version, a model name) as mrkdwn inline code, `escapeLine`d, backticks included within `max`.
 * Slack ends the span at the next backtick, and shows what follows as formatted text, so every backtick inside
 * becomes the look-alike `codeBlock` uses. The one place that decides what an inline code span may carry.
 */
export function inlineCode(text: string, max: number = LIMITS.sectionText): string {
  const inside = escapeLine(text, max - 2 * TICK.length).replace(/`/g, BACKTICK_LOOKALIKE);
  return `${TICK}${inside}${TICK}`;
}

/**
 * Outside text that has a line of rollbot's to itself, or sits inside one (an alert's summary or name, a check's
 * error, a version, a reason after `by <@U…>:`, the engine's one-line event texts): `escapeText` of its `oneLine`,
 * so that a line break in it cannot start a line that looks like rollbot's (a field, a bullet, a check, an
 * outcome). The builders' default for outside text; `escapeText` alone only for a paragraph people wrote under
 * its own heading (a retrospective's root cause), `codeBlock` for a code block and `inlineCode` for a code span.
 */
export function escapeLine(text: string, max: number = LIMITS.sectionText): string {
  return escapeText(oneLine(text), max);
}

/**
 * Joins lines with newlines within `max` characters; lines that do not fit (or beyond `maxLines`) are counted
 * in a final `+N more <noun>` line. Each line should already be short (truncated by its builder). `total`:
 * how many there are when `lines` holds only some of them (an incident keeps its first alerts, counts the rest).
 */
export function fitLines(
  lines: readonly string[],
  options: { max: number; maxLines?: number; noun?: string; total?: number },
): string {
  const { max, maxLines = lines.length, noun = '', total = lines.length } = options;
  // Room for the "+N more" line, so that adding it can never break the limit.
  const reserve = 32 + noun.length;
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    const fitted = truncate(line, max - reserve);
    const next = length + (kept.length ? 1 : 0) + fitted.length;
    if (kept.length >= maxLines || next > max - reserve) break;
    kept.push(fitted);
    length = next;
  }
  const rest = Math.max(total, lines.length) - kept.length;
  if (rest > 0) kept.push(`+${rest} more${noun ? ` ${noun}` : ''}`);
  return kept.join('\n');
}
