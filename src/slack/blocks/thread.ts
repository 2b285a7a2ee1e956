import type { IncidentEvent } from '../../engine/notifier-port.js';
import { escapeLine, LIMITS } from './limits.js';

/**
 * A Slack ID as a mention: users (U…/W…) as `<@U…>`, user groups (S…) as `<!subteam^S…>`, channels as `<#C…>`.
 * Anything else (an owner written as `@fraud-ml`, a typo) is shown as escaped text, so it can never become a
 * special mention such as `<!here>`.
 */
export function mention(id: string): string {
  if (/^[UW][A-Z0-9]{2,}$/.test(id)) return `<@${id}>`;
  if (/^S[A-Z0-9]{2,}$/.test(id)) return `<!subteam^${id}>`;
  if (/^[CG][A-Z0-9]{2,}$/.test(id)) return `<#${id}>`;
  return escapeLine(id, 80);
}

/** A user's or a user group's ID: what `mentionIds` writes as a mention. */
const PERSON_OR_GROUP = /^[UWS][A-Z0-9]{2,}$/;

/**
 * `text` (rollbot's words, escaped already) with each of `ids` (user and user-group IDs from the runbooks) that
 * stands in it as a word written as a mention: Slack shows the person's or the group's name, which someone
 * refused can ask, where the bare `U04ABC123` the engine writes for every surface says nothing. Only the given
 * IDs, so outside text is never turned into markup; an ID inside a word or a mention already is left alone.
 */
export function mentionIds(text: string, ids: readonly string[]): string {
  const known = [...new Set(ids)].filter((id) => PERSON_OR_GROUP.test(id));
  if (known.length === 0) return text;
  const word = new RegExp(`(?<![A-Za-z0-9_@^])(${known.join('|')})(?![A-Za-z0-9_>])`, 'g');
  return text.replace(word, (id) => mention(id));
}

/**
 * Mentions for a list of IDs, within `max` characters (`+N more` for the rest: an escalation list that long is a
 * runbook bug, and the message must still post); `fallback` when the list is empty.
 */
export function mentions(ids: readonly string[], fallback: string, max = 600): string {
  if (ids.length === 0) return fallback;
  const shown: string[] = [];
  let length = 0;
  for (const id of ids) {
    const text = mention(id);
    if (length + text.length + 1 > max - 16) break;
    shown.push(text);
    length += text.length + 1;
  }
  const rest = ids.length - shown.length;
  return rest > 0 ? `${shown.join(' ')} +${rest} more`.trim() : shown.join(' ');
}

/**
 * The one-line thread reply for an event worth a line in the incident's thread, or undefined for events shown
 * elsewhere: `incident.opened` is the parent message itself, `decision.requested` gets the richer
 * `decisionRequest` message, and `incident.tick` only redraws the parent. The line is sent as plain message
 * text, so it stays within the fallback limit.
 */
export function threadLine(event: IncidentEvent): string | undefined {
  const budget = LIMITS.fallbackText - 200;
  switch (event.type) {
    case 'incident.opened':
    case 'decision.requested':
    case 'incident.tick':
      return undefined;
    case 'incident.updated': {
      const who = mentions(event.mention ?? [], '');
      return who
        ? `ℹ️ ${who} ${escapeLine(event.text, budget - who.length)}`
        : `ℹ️ ${escapeLine(event.text, budget)}`;
    }
    case 'triage.completed':
      return `🔎 Triage (${event.triage.finding}): ${escapeLine(event.triage.summary, budget)}`;
    case 'escalation': {
      const who = mentions(event.mention, '(no one to escalate to: set escalation.mention in the runbook)');
      // A missed target says so; any other escalation (a rollback that failed, …) says what happened, in its text.
      const what = event.about === undefined ? `*${event.stage}* is over its target` : `*${event.stage}*`;
      return `⏰ ${who} ${what}: ${escapeLine(event.text, budget - who.length)}`;
    }
  }
}
