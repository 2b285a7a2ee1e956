import type { Button, ContextBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import type { Link } from '../../core/links.js';
import { escapeLine, LIMITS, truncate } from './limits.js';

/** A mrkdwn section, its text cut to the section limit (callers pass already-escaped text). */
export function section(blockId: string, text: string): SectionBlock {
  return {
    type: 'section',
    block_id: blockId,
    text: { type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) || ' ' },
  };
}

/** A one-element mrkdwn context line. */
export function contextLine(blockId: string, text: string): ContextBlock {
  return {
    type: 'context',
    block_id: blockId,
    elements: [{ type: 'mrkdwn', text: truncate(text, LIMITS.sectionText) || ' ' }],
  };
}

/** A section field: bold title, body below, cut to the field limit. */
export function field(title: string, body: string): MrkdwnElement {
  return { type: 'mrkdwn', text: truncate(`*${title}*\n${body}`, LIMITS.fieldText) };
}

/** A button; `style` only when given (exactOptionalPropertyTypes forbids `style: undefined`). */
export function button(actionId: string, text: string, value: string, style?: Button['style']): Button {
  const element: Button = {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: truncate(text, LIMITS.buttonText), emoji: true },
    value: truncate(value, LIMITS.buttonValue),
  };
  if (style) element.style = style;
  return element;
}

/**
 * The button payload: which incident of which model, as JSON. Real IDs are short (models ≤ 63 characters);
 * the caps only guarantee the 2000 limit even if every character needed a JSON escape.
 */
export function actionValue(ids: {
  incidentId: string;
  model: string;
  requestedAt?: number;
  askedFor?: string;
}): string {
  return JSON.stringify({
    incidentId: truncate(ids.incidentId, 150),
    model: truncate(ids.model, 150),
    // Button values are read back as strings only (readJsonObject).
    ...(ids.requestedAt === undefined ? {} : { requestedAt: String(ids.requestedAt) }),
    // Short (an incident ID and a time); a cut one would match nothing, and be refused rather than misapplied.
    ...(ids.askedFor === undefined ? {} : { askedFor: truncate(ids.askedFor, 150) }),
  });
}

/** A Slack date token: shown in each reader's own time zone, with an ISO fallback. */
export function slackDate(ms: number): string {
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

/** A mrkdwn link. `|`, `<` and `>` in the URL are percent-encoded, so that none of them can end it early. */
export function slackLink({ url, name }: Link): string {
  const safe = url.replace(/[|<>]/g, (c) => encodeURIComponent(c));
  return `<${safe}|${escapeLine(name, 80)}>`;
}

/** Links joined by ` · `, as many as fit in `max` characters, in order; the rest are left out. */
export function linksLine(links: readonly Link[], max: number): string {
  const shown: string[] = [];
  let used = 0;
  for (const link of links) {
    const text = slackLink(link);
    if (used + text.length + 3 > max) continue;
    shown.push(text);
    used += text.length + 3;
  }
  return shown.join(' · ');
}
