import { formatDuration } from '../core/duration.js';
import type { Incident } from '../core/incident.js';
import { viewStages } from '../core/incident-stages.js';
import { describeWarnings, isPartial } from '../core/partial.js';
import { stageResult, type StageResult, type StageView } from '../core/stages.js';
import { oneLine, truncate } from '../core/text.js';
import { noteLink } from './notes.js';
import type { TimelineEntry } from './ports.js';

/** Longest piece of outside text (summaries, reasons, versions) the template quotes. */
const CLIP = 300;
/**
 * The notes the template quotes, and how much of each: enough to remind the retrospective of the findings, few and
 * short enough to keep the template within a Slack block; the timeline has them all.
 */
const NOTES_SHOWN = 5;
const NOTE_CLIP = 200;

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
/**
 * A piece of outside text as the template quotes it: on the line rollbot puts it on (`oneLine`: a line break in
 * an alert's summary could otherwise start a line that looks like one of the template's headings), and short,
 * cut with `…` and never through a character (half an emoji is text Slack may refuse, and the post with it).
 */
const clip = (text: string, max = CLIP): string => truncate(oneLine(text), max);

/** How each stage's result reads in the template (core/stages.ts decides it). */
const RESULT_WORDS: Record<Exclude<StageResult, 'pending' | 'skipped'>, string> = {
  met: 'met',
  missed: 'MISSED',
  running: 'running',
  'ended-by-resolution': 'ended by the resolution before it completed (not measured against its target)',
};

function stageLine(stage: StageView): string {
  const result = stageResult(stage);
  if (result === 'pending')
    return `- ${stage.stage}: did not happen (target ${formatDuration(stage.targetMs)})`;
  if (result === 'skipped')
    return `- ${stage.stage}: skipped, ${stage.skipped ?? 'not measured'} (target ${formatDuration(stage.targetMs)})`;
  return `- ${stage.stage}: ${formatDuration(stage.elapsedMs)} against ${formatDuration(stage.targetMs)}, ${RESULT_WORDS[result]}`;
}

function trigger(incident: Incident): string {
  // A drill's alert is synthetic and starts with it (drill-start.ts): nothing degraded, so it says when it began.
  if (incident.drill)
    return `Trigger: DRILL started ${iso(incident.openedAt)}, nothing degraded: ${clip(incident.summary)}`;
  const first = incident.alerts[0];
  const more = incident.alerts.length - 1 + incident.droppedAlerts;
  const also = more > 0 ? ` (+${more} more alert${more === 1 ? '' : 's'})` : '';
  if (!first) return `Trigger: ${clip(incident.summary)}`;
  // Its detection skipped (core/incident-stages.ts skipStages), the alert's start time is no onset: when the
  // incident opened by a rollback or a declaration, or the source gave none, so it is not said to be one.
  const skipped = incident.stages.detect.skipped;
  const onset =
    skipped === undefined
      ? `degrading since ${iso(first.startsAt)}, received ${iso(first.receivedAt)}`
      : `received ${iso(first.receivedAt)}, onset not measured (${clip(skipped, 120)})`;
  return `Trigger: ${clip(first.name, 120)} from ${first.source}, ${onset}${also}: ${clip(incident.summary)}`;
}

function decisions(incident: Incident): string[] {
  const lines: string[] = [];
  const d = incident.decision;
  if (d)
    lines.push(`Decision: ${d.kind} by ${clip(d.by, 120)} (${d.trigger}) at ${iso(d.at)}: ${clip(d.reason)}`);
  else lines.push('Decision: none recorded (resolved without a triage decision)');
  const r = incident.rollback;
  if (r) {
    const took = r.endedAt === undefined ? 'not finished' : formatDuration(r.endedAt - r.startedAt);
    const from = clip(r.plan.from ?? '(unknown)', 120);
    lines.push(
      `Rollback: ${from} → ${clip(r.plan.to, 120)} on ${clip(r.target, 120)} (${r.plan.regime}), attempt ${r.attempt}, ` +
        `${r.status} in ${took}; requested by ${clip(r.by, 120)} (${r.trigger})${r.error ? `; error: ${clip(r.error)}` : ''}`,
    );
  } else lines.push('Rollback: none');
  if (incident.acknowledged)
    lines.push(`Acknowledged by ${clip(incident.acknowledged.by, 120)} at ${iso(incident.acknowledged.at)}`);
  return lines;
}

function impact(incident: Incident): string {
  const i = incident.impact;
  if (!i) return 'Impact (estimate): not measured (no metrics source or no error check)';
  const excess =
    i.excessFailedRequests !== undefined
      ? `about ${i.excessFailedRequests} excess failed requests`
      : 'request count unknown';
  const partial = isPartial(i) ? `; partial answer ${describeWarnings(i.warnings ?? [], 120)}` : '';
  return `Impact (estimate): ${excess} over ${formatDuration(i.windowMs)} (check "${clip(i.check, 120)}"${partial})`;
}

/** A note's line: when, who, what (clipped), and the message it was captured from (whole, or it leads nowhere). */
function noteLine(note: TimelineEntry): string {
  const link = noteLink(note);
  return `- ${iso(note.at)} ${clip(note.actor, 120)}: ${clip(note.text, NOTE_CLIP)}${link ? ` (${link})` : ''}`;
}

/** The first notes people added to the timeline, each on a line of its own, and how many more there are. */
function notes(incident: Incident, entries: readonly TimelineEntry[]): string[] {
  if (entries.length === 0) return [];
  const rest = entries.length - NOTES_SHOWN;
  return [
    '',
    'Notes from the timeline:',
    ...entries.slice(0, NOTES_SHOWN).map(noteLine),
    ...(rest > 0
      ? [`+${rest} more note${rest === 1 ? '' : 's'}: \`rollbot timeline ${incident.id}\` shows them all`]
      : []),
  ];
}

/**
 * The retrospective pre-filled from what rollbot recorded: trigger, each stage against its target, who
 * decided what, the versions, the impact estimate, and the first of the `notes` people added to the timeline
 * (engine/notes.ts), each captured from Slack (📌) with the link to its message. People then only write what
 * rollbot cannot know (root cause, what went well or badly, action items). Plain text (callers escape it for
 * mrkdwn), under ~3000 characters because every piece of outside text is clipped. Blameless by construction: it
 * lists decisions and times, never a verdict on a person.
 */
export function retroTemplate(incident: Incident, now: number, notesAdded: readonly TimelineEntry[]): string {
  const resolved =
    incident.resolvedAt !== undefined
      ? `Resolved ${iso(incident.resolvedAt)}, ${formatDuration(incident.resolvedAt - incident.openedAt)} after opening`
      : `Not resolved (${incident.phase})`;
  const stages = viewStages(incident, now).filter((stage) => stage.stage !== 'retro');
  return [
    `Retrospective: ${incident.id} ${clip(incident.model, 120)}${incident.drill ? ' (drill)' : ''}, severity ${incident.severity}`,
    trigger(incident),
    resolved,
    '',
    'Stages against targets:',
    ...stages.map(stageLine),
    '',
    ...decisions(incident),
    impact(incident),
    ...notes(incident, notesAdded),
  ].join('\n');
}
