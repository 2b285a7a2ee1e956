import { formatDuration } from '../core/duration.js';
import { shownValue, type CheckResult } from '../core/evaluation.js';
import { describeBaselines, formatValue, type ValueUnit, type Verdict } from '../core/gates.js';
import { describeWarnings, isPartial } from '../core/partial.js';
import { stageResult, type StageResult } from '../core/stages.js';
import { oneLine } from '../core/text.js';
import { noteLink } from './notes.js';
import type { TimelineEntry } from './ports.js';
import type { IncidentDetail } from './views.js';

const iso = (ms: number) => new Date(ms).toISOString();
/** How much of a check's first Prometheus warning its row quotes: the table is a summary, the JSON has them all. */
const PARTIAL_CHARS = 120;

/**
 * An incident as a Markdown document: the header, each stage against its target, triage, the rollback,
 * confirmation, impact and the timeline. This is the skeleton of the retrospective
 * (`rollbot timeline <id> --format md`, printed to a terminal).
 *
 * Each section is a list of lines, and outside text (summaries, reasons, errors, timeline entries) sits inside
 * them: every line goes through `oneLine`, so that no such text can start a line of its own (a heading, a list
 * item, the end of a table) or act on the terminal it is printed to.
 */
export function incidentMarkdown(detail: IncidentDetail): string {
  return [
    header(detail),
    stages(detail),
    triage(detail),
    rollback(detail),
    confirmation(detail),
    impact(detail),
    retrospective(detail),
    timeline(detail),
  ]
    .filter((section) => section.length > 0)
    .map((section) => section.map(oneLine).join('\n'))
    .join('\n\n')
    .concat('\n');
}

function header(detail: IncidentDetail): string[] {
  const lines = [
    `# ${detail.id}: ${detail.model}${detail.drill ? ' (drill)' : ''}`,
    '',
    `- **Severity:** ${detail.severity}`,
    `- **Summary:** ${detail.summary}`,
    `- **Phase:** ${detail.phase}`,
    `- **Opened:** ${detail.openedAt}`,
  ];
  if (detail.resolvedAt) lines.push(`- **Resolved:** ${detail.resolvedAt}`);
  if (detail.decision) {
    const d = detail.decision;
    lines.push(`- **Decision:** ${d.kind} by ${d.by} (${d.trigger}) at ${iso(d.at)}: ${d.reason}`);
  }
  return lines;
}

/**
 * A GFM table, every cell (header included) through `cell`: the only way the report writes one, so that no cell
 * can carry text that splits it or ends the table.
 */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)];
}

/**
 * One table cell: on one line (a line break would end the table) with `|` escaped (it would split the cell).
 * Backslashes are escaped too: GitHub reads `\\|` as an escaped backslash and then a pipe that splits.
 */
function cell(text: string): string {
  return oneLine(text).replace(/[\\|]/g, '\\$&');
}

/** How each stage's result reads in the report's table (core/stages.ts decides it). */
const REPORT_RESULT: Record<StageResult, string> = {
  pending: '',
  running: 'running',
  met: 'met',
  missed: 'missed',
  'ended-by-resolution': 'ended by the resolution',
  skipped: 'skipped',
};

function stages(detail: IncidentDetail): string[] {
  const rows = detail.stages.map((stage) => {
    const said = stage.skipped === undefined ? '' : ` (${stage.skipped})`;
    const result = `${REPORT_RESULT[stageResult(stage)]}${said}`;
    const time =
      stage.state === 'pending' || stage.skipped !== undefined ? '—' : formatDuration(stage.elapsedMs);
    return [stage.stage, stage.state, time, formatDuration(stage.targetMs), result];
  });
  return ['## Stages against targets', '', ...table(['stage', 'state', 'time', 'target', 'result'], rows)];
}

/** The unit of each check, by name, as the measured results carry it (the report has no runbook). */
function unitsOf(detail: IncidentDetail): Map<string, ValueUnit | undefined> {
  const measured = [...(detail.triage?.checks ?? []), ...(detail.confirmation?.last?.checks ?? [])];
  return new Map(measured.map((check) => [check.name, check.unit]));
}

/** The checks, each with its verdict and, when Prometheus flagged its answer as possibly partial, why. */
function checkTable(checks: readonly CheckResult[]): string[] {
  const rows = checks.map((check) => {
    const trend = check.trend
      ? `${check.trend.sparkline} ${check.trend.direction} (${formatDuration(check.trend.windowMs)})`
      : '';
    const partial = isPartial(check)
      ? ` ⚠ partial answer: ${describeWarnings(check.warnings ?? [], PARTIAL_CHARS)}`
      : '';
    return [
      `${check.name} (${check.kind})`,
      check.error ?? shownValue(check),
      check.threshold,
      `${check.verdict}${partial}`,
      trend,
    ];
  });
  return table(['check', 'value', 'threshold', 'verdict', 'trend'], rows);
}

function triage(detail: IncidentDetail): string[] {
  if (!detail.triage) return [];
  const t = detail.triage;
  return [
    '## Triage',
    '',
    `${t.finding} at ${iso(t.at)}: ${t.summary}`,
    ...(t.checks.length ? ['', ...checkTable(t.checks)] : []),
  ];
}

function rollback(detail: IncidentDetail): string[] {
  const r = detail.rollback;
  if (!r) return [];
  const took = r.endedAt === undefined ? 'still running' : formatDuration(r.endedAt - r.startedAt);
  const lines = [
    '## Rollback',
    '',
    `- **Attempt ${r.attempt}:** ${r.plan.from ?? '(unknown)'} → ${r.plan.to} on ${r.target}, ${r.plan.regime}, ETA ${formatDuration(r.plan.etaMs)}`,
    `- **Requested by:** ${r.by} (${r.trigger}): ${r.reason}`,
    `- **Outcome:** ${r.status} (${took})${r.error ? `: ${r.error}` : ''}`,
  ];
  return lines;
}

/**
 * A confirmation's state: its verdict, `running` while the incident confirms, or what ended it before a verdict:
 * a person who resolved by hand, or a further rollback (whose own confirmation replaces this one once it lands).
 */
function confirmationState(detail: IncidentDetail, verdict: Verdict | undefined): string {
  if (verdict) return verdict;
  if (detail.phase === 'confirm') return 'running';
  return `no verdict (ended by ${detail.phase === 'rollback' ? 'a further rollback' : 'the resolution'})`;
}

function confirmation(detail: IncidentDetail): string[] {
  const c = detail.confirmation;
  if (!c) return [];
  const lines = [
    '## Confirmation',
    '',
    `${confirmationState(detail, c.verdict)} after ${c.outcomes.length} measurement(s): ${c.outcomes.join(', ') || 'none yet'}`,
  ];
  const baselines = describeBaselines(c.baselines, unitsOf(detail));
  if (baselines.length) lines.push('', `Pre-deployment baselines: ${baselines.join(', ')}`);
  if (c.last) lines.push('', ...checkTable(c.last.checks));
  return lines;
}

function impact(detail: IncidentDetail): string[] {
  const i = detail.impact;
  if (!i) return [];
  const unit = unitsOf(detail).get(i.check);
  const lines = [
    '## Impact (estimate)',
    '',
    `- **Window:** ${formatDuration(i.windowMs)}, check "${i.check}"`,
  ];
  lines.push(
    `- **Average during the incident:** ${formatValue(i.averageDuringIncident, unit)}; baseline ${formatValue(i.baseline, unit)}`,
  );
  if (i.excessFailedRequests !== undefined)
    lines.push(`- **Excess failed requests:** about ${i.excessFailedRequests}`);
  if (isPartial(i))
    lines.push(`- **Partial answer** (Prometheus warnings): ${describeWarnings(i.warnings ?? [])}`);
  lines.push(`- **Formula:** ${i.formula}`);
  return lines;
}

function retrospective(detail: IncidentDetail): string[] {
  const r = detail.retrospective;
  if (!r) return [];
  const status = r.completedAt
    ? `completed by ${r.completedBy} at ${iso(r.completedAt)}`
    : `open, due ${iso(r.dueAt)}`;
  const lines = ['## Retrospective', '', `- **Status:** ${status}`];
  if (r.rootCause) lines.push(`- **Root cause:** ${r.rootCause}`);
  if (r.wentWell) lines.push(`- **Went well:** ${r.wentWell}`);
  if (r.wentBadly) lines.push(`- **Went badly:** ${r.wentBadly}`);
  if (r.actionItems.length) {
    const rows = r.actionItems.map((item) => [
      item.text,
      item.owner,
      iso(item.due).slice(0, 10),
      item.status,
    ]);
    lines.push('', ...table(['action item', 'owner', 'due', 'status'], rows));
  }
  return lines;
}

/**
 * One timeline entry: when, what, who and its text as recorded; a note captured from Slack (📌) links to its
 * message after the text (the link is escaped so that it stays one: engine/notes.ts `noteLink`).
 */
function timelineLine(entry: TimelineEntry): string {
  const link = noteLink(entry);
  const source = link ? ` ([in Slack](${link}))` : '';
  return `- \`${iso(entry.at)}\` **${entry.type}** (${entry.actor}): ${entry.text}${source}`;
}

function timeline(detail: IncidentDetail): string[] {
  return ['## Timeline', '', ...detail.timeline.map(timelineLine)];
}
