import { RollbotError } from '../core/errors.js';
import { webUrl } from '../core/links.js';
import { record, type EngineDeps } from './context.js';
import type { TimelineEntry } from './ports.js';
import { entriesOfTypes } from './timeline-types.js';

/**
 * The longest note taken, in characters once trimmed: a finding, not a log dump. Within what a Slack thread reply
 * shows of it (its fallback text) and small enough for the timeline, which is never trimmed.
 */
export const MAX_NOTE_CHARS = 3_000;

/** The timeline type of a note, for those who pick notes out of a timeline (the retrospective template). */
export const NOTE_TYPE = 'note';

/**
 * Adds a person's note ("feature store stale since 01:40") to an incident's timeline, where the exported timeline
 * and the retrospective find it, and tells the incident's channel. Any incident takes notes, open or over: notes
 * are often written for the retrospective. Refuses (BAD_REQUEST) an empty note or one over MAX_NOTE_CHARS, and
 * (NOT_FOUND) an unknown incident, recording nothing. Returns the timeline entry.
 *
 * Nobody's permission is checked beyond reaching the surface (Slack workspace, API token, the CLI on the bot's
 * store): a note changes no state, decides nothing and moves no clock or gate, and its entry names its author, so
 * the runbook's rollback.approvers (who may act) have nothing to guard here.
 */
export async function addNote(
  deps: EngineDeps,
  incidentId: string,
  note: { by: string; text: string },
): Promise<TimelineEntry> {
  const text = note.text.trim();
  if (!text)
    throw new RollbotError('BAD_REQUEST', 'a note needs text', {
      hint: 'write what you found, e.g. "feature store stale since 01:40"',
    });
  if (text.length > MAX_NOTE_CHARS)
    throw new RollbotError(
      'BAD_REQUEST',
      `a note is at most ${MAX_NOTE_CHARS} characters; this one has ${text.length}`,
      { hint: 'split it into several notes, or link to where the details are' },
    );
  const incident = await deps.store.getIncident(incidentId);
  if (!incident)
    throw new RollbotError('NOT_FOUND', `no incident ${incidentId}`, {
      hint: 'list incidents with `/incident list` or `rollbot incidents`',
    });
  const entry = await record(deps, incident, { type: NOTE_TYPE, actor: note.by, text });
  const channel = deps.runbooks.get(incident.model)?.channel ?? '';
  await deps.notifier.notify({
    type: 'incident.updated',
    incident,
    channel,
    text: `note by ${note.by}: ${text}`,
  });
  return entry;
}

/** The notes people added to an incident's timeline, oldest first (for the retrospective's template). */
export async function notesOf(deps: Pick<EngineDeps, 'store'>, incidentId: string): Promise<TimelineEntry[]> {
  return entriesOfTypes(deps, incidentId, [NOTE_TYPE]);
}

/** The field of a note's `data` that holds the address of the chat message it was captured from (a 📌). */
export const NOTE_LINK_FIELD = 'permalink';

/** Characters that would end or split a link where it is shown (Markdown's `(…)`, `<…>`, a space). */
const LINK_BREAKERS = /[\s()<>]/g;

/** One character as a URL carries it escaped (`encodeURIComponent` leaves brackets as they are). */
const percentEncoded = (character: string): string =>
  character === '(' ? '%28' : character === ')' ? '%29' : encodeURIComponent(character);

/**
 * The address of the chat message a note was captured from (engine/pinned.ts), ready to be shown beside the note
 * (the exported timeline, the retrospective's template); undefined when the note has none (written by hand, or
 * captured by a build from before links, or without one). Entries are read from a store other builds write too, so
 * only an absolute http(s) address is taken (core/links.ts `webUrl`), with what would break it in Markdown or
 * chat text percent-encoded: it stays one link wherever it is shown.
 */
export function noteLink(entry: TimelineEntry): string | undefined {
  const value = entry.data?.[NOTE_LINK_FIELD];
  const url = webUrl(typeof value === 'string' ? value : undefined);
  return url?.replace(LINK_BREAKERS, percentEncoded);
}
