import { formatDuration } from '../core/duration.js';
import { stageResult, type StageResult, type StageView } from '../core/stages.js';
import type { IncidentDetail } from '../engine/views.js';

/** What each stage measures (DESIGN §1), for the table. */
const MEASURES: Record<StageView['stage'], string> = {
  detect: 'degradation onset (alert startsAt) → alert received',
  triage: 'alert received → decision recorded',
  rollback: 'decision → traffic on the known-good version',
  confirm: 'rollback initiated → confirmation gates PASS',
  retro: 'resolved → retrospective done (the people part)',
};

/** Seconds with a tenth below a minute: the demo's stages take seconds, and `5s` would hide `5.9s`. */
function took(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : formatDuration(ms);
}

/** How each stage's result reads in the table (core/stages.ts decides it, as for every other view). */
const RESULT_WORDS: Record<Exclude<StageResult, 'running' | 'skipped'>, string> = {
  pending: 'did not run',
  met: '✓ within target',
  missed: '✗ MISSED',
  'ended-by-resolution': '· not completed',
};

function resultOf(stage: StageView): string {
  const result = stageResult(stage);
  if (result === 'skipped') return `– skipped (${stage.skipped ?? 'not measured'})`;
  if (result === 'running')
    return stage.stage === 'retro' ? `open, due in ${formatDuration(stage.remainingMs)}` : 'running';
  if (result === 'missed' && stage.state === 'running') return `${RESULT_WORDS.missed}, still running`;
  return RESULT_WORDS[result];
}

/** A stage's time, or a dash for one that did not run or did not happen (skipped: nothing was measured). */
function tookOf(stage: StageView): string {
  const result = stageResult(stage);
  return result === 'pending' || result === 'skipped' ? '—' : took(stage.elapsedMs);
}

/** The result column is as wide as its longest cell, so that a skipped stage's reason keeps the last column aligned. */
function row(cells: [string, string, string, string, string], resultWidth: number): string {
  const [stage, time, target, result, measures] = cells;
  return `  ${stage.padEnd(9)} ${time.padStart(6)}  ${target.padStart(6)}   ${result.padEnd(resultWidth)} ${measures}`;
}

/** The final table: each stage's time against its target, then the rollback and the impact as recorded. */
export function stageTable(incident: IncidentDetail): string[] {
  const rows = incident.stages.map((stage): [string, string, string, string, string] => [
    stage.stage,
    tookOf(stage),
    formatDuration(stage.targetMs),
    resultOf(stage),
    MEASURES[stage.stage],
  ]);
  const width = Math.max(20, ...rows.map((cells) => cells[3].length));
  const lines = [
    row(['stage', 'took', 'target', 'result', 'measured from → to'], width),
    ...rows.map((cells) => row(cells, width)),
    '',
  ];
  const rollback = incident.rollback;
  if (rollback) {
    const duration =
      rollback.endedAt === undefined ? '' : ` in ${took(rollback.endedAt - rollback.startedAt)}`;
    lines.push(
      `  rollback: ${rollback.plan.from ?? '?'} → ${rollback.plan.to} on ${rollback.target} (${rollback.plan.regime}), ` +
        `${rollback.status}${duration}, by ${rollback.by} via ${rollback.trigger}`,
    );
  }
  const impact = incident.impact;
  if (impact) {
    const percent = (value: number) => `${(value * 100).toFixed(2)}%`;
    const parts = [
      impact.excessFailedRequests === undefined
        ? ''
        : `about ${impact.excessFailedRequests} excess failed requests`,
      impact.averageDuringIncident === undefined
        ? ''
        : `${impact.check} averaged ${percent(impact.averageDuringIncident)}`,
      impact.baseline === undefined ? '' : `against ${percent(impact.baseline)} before v2`,
    ];
    lines.push(`  impact:   over ${took(impact.windowMs)}: ${parts.filter(Boolean).join(', ')}`);
  }
  return lines;
}

/** The append-only timeline, each entry timed from the degradation onset (the alert's startsAt). */
export function timeline(incident: IncidentDetail): string[] {
  const zero =
    incident.stages.find((stage) => stage.stage === 'detect')?.startedAt ?? incident.timeline[0]?.at ?? 0;
  return incident.timeline.map(
    (entry) =>
      `  +${took(entry.at - zero).padStart(6)}  ${entry.type.padEnd(19)} ${entry.actor.padEnd(8)} ${clip(entry.text)}`,
  );
}

/** One terminal line per entry; the full text is in the API answer and in the retrospective. */
function clip(text: string, max = 140): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
