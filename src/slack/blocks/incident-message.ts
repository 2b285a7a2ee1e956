import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import { BRIEF_ERROR_CHARS, briefCheckError } from '../../core/check-error.js';
import { formatDuration } from '../../core/duration.js';
import { shownValue, type CheckResult, type TriageRecord } from '../../core/evaluation.js';
import type { Verdict } from '../../core/gates.js';
import type { Link } from '../../core/links.js';
import { describeWarnings, isPartial } from '../../core/partial.js';
import { stageResult, type StageView } from '../../core/stages.js';
import type { IncidentView } from '../../engine/views.js';
import { ACTIONS } from '../ids.js';
import { actionValue, button, contextLine, field, linksLine, section, slackDate } from './elements.js';
import { escapeLine, escapeText, fitLines, inlineCode, LIMITS, truncate } from './limits.js';
import { mention, mentions } from './thread.js';

/** Where the message goes and who is responsible, from the model's runbook. */
export interface IncidentMessageContext {
  /** The channel the message is posted in (not rendered: readers are already there). */
  channel: string;
  owner: string;
  escalation: string[];
  /** A short plain-text note under the checklist, e.g. what the confirmation loop is waiting for. */
  watchNote?: string;
  /** The runbook's links (dashboards, playbooks), shown under the summary before the alert's own. */
  links?: readonly Link[];
}

/** The view plus who acknowledged the incident (stored on the Incident; IncidentView may not carry it yet). */
export type IncidentMessageView = IncidentView & { acknowledged?: { by: string; at: number } };

const SEVERITY_EMOJI: Record<string, string> = { 'SEV-1': '🔴', 'SEV-2': '🟠', 'SEV-3': '🟡', 'SEV-4': '🔵' };
const VERDICT_MARK: Record<Verdict, string> = { FAIL: '❌', ERROR: '⚠️', INCONCLUSIVE: '❔', PASS: '✅' };
// Failing checks first: with 60 checks only the first rows are shown, and those must be the ones that matter.
const VERDICT_ORDER: Verdict[] = ['FAIL', 'ERROR', 'INCONCLUSIVE', 'PASS'];
/** Check rows in one message; more are counted, not shown (`/incident show` and the API have them all). */
export const MAX_CHECK_ROWS = 10;
/**
 * Budgets of the parts that carry outside text, so that the whole message stays under LIMITS.messageText
 * (about 8.5k at most) whatever the alert or the runbook says.
 */
const BUDGET = { summary: 1500, triage: 2500, reason: 800, watchNote: 500, links: 1000 } as const;

/** `🔴 SEV-1 fraud-scorer · INC-7 · triage`, with a DRILL label first for drills (plain text, header-sized). */
export function headline(view: IncidentView): string {
  const emoji = SEVERITY_EMOJI[view.severity] ?? '⚪';
  const drill = view.drill ? '🧪 DRILL · ' : '';
  return truncate(
    `${drill}${emoji} ${view.severity} ${view.model} · ${view.id} · ${view.phase}`,
    LIMITS.headerText,
  );
}

/** The notification text: `SEV-1 INC-7 fraud-scorer: <summary>` (`[DRILL] ` first for drills). */
export function fallbackText(view: IncidentView): string {
  const head = `${view.drill ? '[DRILL] ' : ''}${view.severity} ${view.id} ${view.model}: `;
  return escapeLine(`${head}${view.summary}`, LIMITS.fallbackText);
}

/**
 * One runbook stage: ✓ done in time, ✗ missed, ⏳ running, · pending; elapsed against target. A running stage
 * also says when it is due, as a Slack date in each reader's time zone: exact at any moment, while the elapsed
 * time is as of the last redraw (an event, or the minute tick of src/engine/message-tick.ts).
 */
export function stageLine(stage: StageView): string {
  const target = formatDuration(stage.targetMs);
  if (stage.state === 'pending') return `· *${stage.stage}* — / ${target}`;
  // It did not happen (core/stages.ts): no time to show against its target.
  if (stageResult(stage) === 'skipped')
    return `– *${stage.stage}* skipped (${escapeLine(stage.skipped ?? '', 120)})`;
  const elapsed = `${formatDuration(stage.elapsedMs)} / ${target}`;
  if (stage.breached) {
    const over = stage.state === 'running' ? `${formatDuration(-stage.remainingMs)} over` : 'missed';
    return `✗ *${stage.stage}* ${elapsed} (${over})`;
  }
  if (stage.state === 'running') {
    const due = stage.startedAt === undefined ? '' : `, due ${slackDate(stage.startedAt + stage.targetMs)}`;
    return `⏳ *${stage.stage}* ${elapsed} (${formatDuration(stage.remainingMs)} left${due})`;
  }
  // Cut short by the resolution (core/stages.ts): not met, and not missed either.
  if (stageResult(stage) === 'ended-by-resolution')
    return `· *${stage.stage}* ${elapsed} (ended by the resolution)`;
  return `✓ *${stage.stage}* ${elapsed}`;
}

/**
 * One check: verdict, value against threshold (or, when its query failed, what went wrong and what to do), the
 * recent trend, and — when Prometheus flagged its answer as possibly partial — its first warning, escaped (text
 * from outside) and short.
 */
export function checkLine(check: CheckResult): string {
  const error = briefCheckError(check, BRIEF_ERROR_CHARS, escapeText);
  const value = error !== undefined ? `error: ${error}` : shownValue(check);
  const trend = check.trend
    ? ` ${check.trend.sparkline.slice(-40)} ${check.trend.direction} over ${formatDuration(check.trend.windowMs)}`
    : '';
  const threshold = escapeLine(check.threshold, 40);
  const partial = isPartial(check)
    ? ` ⚠️ partial answer: ${escapeLine(describeWarnings(check.warnings ?? []), 200)}`
    : '';
  return `${VERDICT_MARK[check.verdict]} *${escapeLine(check.name, 80)}* ${value} (${threshold}) ${check.verdict}${trend}${partial}`;
}

/** The triage section's text: finding, summary and the checks, failing first, at most MAX_CHECK_ROWS. */
export function triageText(triage: TriageRecord | undefined, max: number = BUDGET.triage): string {
  if (!triage) return '*Triage*: measuring…';
  const head = `*Triage* (${triage.finding}): ${escapeLine(triage.summary, Math.floor(max / 4))}`;
  const checks = [...triage.checks].sort(
    (a, b) => VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict),
  );
  const rows = fitLines(checks.map(checkLine), {
    max: max - head.length - 1,
    maxLines: MAX_CHECK_ROWS,
    noun: 'checks',
  });
  return rows ? `${head}\n${rows}` : head;
}

/** `v2 → v1 (traffic-flip, succeeded)`, or a note that nothing was rolled back. */
export function versionsText(view: IncidentView): string {
  const rollback = view.rollback;
  if (!rollback) return '_no rollback yet_';
  const from = inlineCode(rollback.plan.from ?? 'current', 152);
  const to = inlineCode(rollback.plan.to, 152);
  const error = rollback.error ? `: ${escapeLine(rollback.error, 300)}` : '';
  return `${from} → ${to} (${rollback.plan.regime}, ${rollback.status}${error})`;
}

/** What happened to a finished incident; shown instead of the buttons. */
export function outcomeText(view: IncidentView): string {
  const decision = view.decision;
  if (view.phase === 'dismissed') {
    const by = decision ? ` by ${mention(decision.by)}: ${escapeLine(decision.reason, BUDGET.reason)}` : '';
    return `🚫 *Dismissed: not a rollback*${by}`;
  }
  const resolved = view.resolvedAt === undefined ? undefined : Date.parse(view.resolvedAt);
  const after =
    resolved === undefined
      ? ''
      : ` ${slackDate(resolved)}, ${formatDuration(resolved - Date.parse(view.openedAt))} after opening`;
  const rolledBack = view.rollback ? `; rollback ${view.rollback.status}` : '';
  const confirmed = view.confirmation?.verdict ? `; confirmation ${view.confirmation.verdict}` : '';
  const head = view.phase === 'closed' ? '📕 *Closed*: retrospective done' : '✅ *Resolved*';
  return `${head}${after}${rolledBack}${confirmed}`;
}

/**
 * The buttons an open incident offers. Acknowledge disappears once someone has; "Not a rollback" exists only
 * in triage, because the engine refuses to dismiss a decided incident; "Roll back" stays (a retry).
 */
function actions(view: IncidentMessageView): ActionsBlock {
  const value = actionValue({ incidentId: view.id, model: view.model });
  const elements: Button[] = [];
  if (!view.acknowledged) elements.push(button(ACTIONS.acknowledge, 'Acknowledge', value, 'primary'));
  elements.push(button(ACTIONS.rollback, 'Roll back', value, 'danger'));
  if (view.phase === 'triage') elements.push(button(ACTIONS.notRollback, 'Not a rollback', value));
  elements.push(button(ACTIONS.runbook, 'Runbook', value));
  return { type: 'actions', block_id: 'incident_actions', elements };
}

/** `🔗 Grafana · alert source`: the runbook's links, then the alert's own; no block when there is none. */
function linksBlock(view: IncidentView, context: IncidentMessageContext): KnownBlock[] {
  const links = [...(context.links ?? [])];
  if (view.sourceUrl) links.push({ name: 'alert source', url: view.sourceUrl });
  const shown = linksLine(links, BUDGET.links);
  return shown ? [contextLine('incident_links', `🔗 ${shown}`)] : [];
}

/**
 * The one message per incident, posted when it opens and updated in place: header, summary, who is on it,
 * versions, triage checks, the runbook checklist, and either the buttons (open) or the outcome (finished).
 * Pure: `now` is only used for "opened 12m ago".
 */
export function incidentMessage(
  view: IncidentMessageView,
  context: IncidentMessageContext,
  now: number,
): { text: string; blocks: KnownBlock[] } {
  const opened = Date.parse(view.openedAt);
  const alerts = `${view.alertCount} alert${view.alertCount === 1 ? '' : 's'}`;
  const ack = view.acknowledged
    ? `${mention(view.acknowledged.by)} ${slackDate(view.acknowledged.at)}`
    : '_nobody yet_';
  const fields = [
    field('Versions', versionsText(view)),
    field('Acknowledged by', ack),
    field('Owner', mention(context.owner)),
    field('Escalation', mentions(context.escalation, '_none configured_')),
  ];
  // A dismissal's reason is in the outcome line; a rollback decision's reason goes here.
  if (view.decision?.kind === 'rollback') {
    const { by, reason } = view.decision;
    fields.push(field('Decision', `roll back, by ${mention(by)}: ${escapeLine(reason, BUDGET.reason)}`));
  }
  const blocks: KnownBlock[] = [
    { type: 'header', block_id: 'incident_header', text: { type: 'plain_text', text: headline(view) } },
    contextLine(
      'incident_context',
      `Opened ${slackDate(opened)} (${formatDuration(now - opened)} ago) · ${alerts}`,
    ),
    section('incident_summary', escapeLine(view.summary, BUDGET.summary) || '_no summary_'),
    ...linksBlock(view, context),
    { type: 'section', block_id: 'incident_fields', fields },
    section('incident_triage', triageText(view.triage)),
    section('incident_checklist', `*Runbook*\n${view.stages.map(stageLine).join('\n')}`),
  ];
  if (context.watchNote) {
    blocks.push(contextLine('incident_watch', `👀 ${escapeLine(context.watchNote, BUDGET.watchNote)}`));
  }
  blocks.push(view.open ? actions(view) : section('incident_outcome', outcomeText(view)));
  return { text: fallbackText(view), blocks };
}
