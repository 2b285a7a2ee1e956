import { formatDuration } from '../core/duration.js';
import { shownValue, type CheckResult } from '../core/evaluation.js';
import type { Incident } from '../core/incident.js';
import { viewStages } from '../core/incident-stages.js';
import { describeWarnings, isPartial } from '../core/partial.js';
import { formatSeverity } from '../core/severity.js';
import { stageResult, type StageResult } from '../core/stages.js';
import { INDENT, oneLine, printableBlock } from '../core/text.js';
import type { Clock } from '../engine/ports.js';
import type { Notifier, NotifierEvent } from '../engine/notifier-port.js';

/**
 * The notifier for running without Slack: one readable line (or a short block) per event on a stream, with
 * the same content a Slack message would carry. Outside text (alert summaries, query errors, reasons) goes
 * through `oneLine`, and an event's text (the engine's lines with outside text inside them) through
 * `printableBlock`: it can neither move the cursor of the operator's terminal nor start a line that looks like
 * another event.
 */
export function createConsoleNotifier(options: { out?: NodeJS.WritableStream; clock: Clock }): Notifier {
  const out = options.out ?? process.stdout;
  const write = (event: NotifierEvent): void => {
    out.write(`${render(event, options.clock.now())}\n`);
  };
  return {
    async notify(event: NotifierEvent) {
      // The console is a log of what happened; a tick (a Slack message redraw) adds nothing to it.
      if (event.type !== 'incident.tick') write(event);
    },
    async deliver(event) {
      // Written is delivered: the line is on the stream once write() returns.
      write(event);
      return { arrived: true };
    },
  };
}

/** The text of one event; exported for tests and for the CLI. */
export function render(event: NotifierEvent, now: number): string {
  const where = `[${event.channel || 'no channel'}]`;
  if (event.type === 'channel.message') {
    const approve = event.approveDeployment
      ? ` [approve: POST /api/gate/${event.approveDeployment.model}/approve]`
      : '';
    return `${where} 📣 ${printableBlock(event.text)}${approve}`;
  }
  const head = `${formatSeverity(event.incident.severity)} ${event.incident.id} ${event.incident.model}${event.incident.drill ? ' (DRILL)' : ''}`;
  switch (event.type) {
    case 'incident.opened':
      return [
        `${where} 🚨 ${head}: ${oneLine(event.incident.summary)}`,
        ...checklist(event.incident, now),
      ].join('\n');
    case 'incident.updated': {
      const who = event.mention?.length ? `${atIds(event.mention)} ` : '';
      return `${where} ℹ️  ${head}: ${who}${printableBlock(event.text)}`;
    }
    case 'incident.tick':
      return [`${where} ⏱ ${head}`, ...checklist(event.incident, now)].join('\n');
    case 'retro.opened':
      return `${where} 📝 ${head} retrospective: ${printableBlock(event.text)}`;
    case 'triage.completed':
      return [
        `${where} 🔎 ${head} triage: ${oneLine(event.triage.summary)}`,
        ...event.triage.checks.map(checkLine),
      ].join('\n');
    case 'decision.requested': {
      const who = event.approvers.length ? atIds(event.approvers) : 'anyone in the channel';
      return `${where} ❓ DECISION NEEDED (policy ${event.policy}; ${who}) ${head}: ${printableBlock(event.text)}${decideHint(event.incident, event.approvers)}`;
    }
    case 'escalation': {
      const who = event.mention.length ? atIds(event.mention) : '(no escalation target)';
      return `${where} ⏰ ESCALATION ${who} ${head}: ${printableBlock(event.text)}`;
    }
  }
}

/**
 * How a person at this terminal decides, there being no buttons here: the CLI's rollback (its operators are
 * trusted), or its "not a rollback", which acts as one of the runbook's approvers (`--as`) when it lists any, as
 * the Slack button would. A drill's decision is its own (`/drill`).
 */
function decideHint(
  incident: { id: string; model: string; drill: boolean },
  approvers: readonly string[],
): string {
  if (incident.drill) return '';
  const reason = '--reason "…"';
  const as = approvers.length ? ' --as <your Slack user ID>' : '';
  return ` [decide: rollbot rollback ${oneLine(incident.model)} ${reason} | rollbot dismiss ${oneLine(incident.id)} ${reason}${as}]`;
}

/** People named by their Slack IDs, as a terminal shows them: `@U0ANA @S0ONCALL`. */
function atIds(ids: readonly string[]): string {
  return ids.map((id) => `@${oneLine(id)}`).join(' ');
}

/**
 * One check: value against threshold, verdict, the trend over its window, and the first of Prometheus'
 * warnings when its answer may be partial (`describeWarnings` keeps it to one line without control characters).
 */
function checkLine(check: CheckResult): string {
  const trend = check.trend
    ? `  ${check.trend.sparkline} ${check.trend.direction} over ${formatDuration(check.trend.windowMs)}`
    : '';
  const value = check.error ? `error: ${oneLine(check.error)}` : shownValue(check);
  const partial = isPartial(check) ? `  ⚠ partial answer: ${describeWarnings(check.warnings ?? [])}` : '';
  return `${INDENT}${check.verdict.padEnd(12)} ${oneLine(check.name)} ${value} (${oneLine(check.threshold)})${trend}${partial}`;
}

/** Each stage's mark in the checklist (core/stages.ts decides the result). */
const CONSOLE_MARK: Record<StageResult, string> = {
  pending: ' ',
  running: '…',
  met: '✓',
  missed: '✗',
  'ended-by-resolution': '·',
  skipped: '–',
};

/** The runbook checklist: each stage's time against its target. */
function checklist(incident: Incident, now: number): string[] {
  return viewStages(incident, now).map((stage) => {
    const result = stageResult(stage);
    const time = stage.state === 'pending' || result === 'skipped' ? '—' : formatDuration(stage.elapsedMs);
    const cut =
      result === 'ended-by-resolution'
        ? ' (ended by the resolution)'
        : result === 'skipped'
          ? ` (skipped: ${oneLine(stage.skipped ?? '')})`
          : '';
    return `${INDENT}${CONSOLE_MARK[result]} ${stage.stage.padEnd(8)} ${time.padStart(8)} / ${formatDuration(stage.targetMs)}${cut}`;
  });
}
