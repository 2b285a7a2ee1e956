import { formatDuration } from '../core/duration.js';
import { RollbotError } from '../core/errors.js';
import { printableBlock } from '../core/text.js';
import type { IncidentListItem } from '../engine/views.js';
import { usageOf, type Command } from './usage.js';

/**
 * The `--format` of a list (`incidents`, `drill list`): `table` (the default) for people, `json` for scripts. Any
 * other is refused with the command's usage, never taken for the default: a script asking for `yaml` would parse
 * a table. `what` names the list in the refusal.
 */
export function listFormat(given: string | undefined, what: string, command: Command): 'table' | 'json' {
  const format = given ?? 'table';
  if (format === 'table' || format === 'json') return format;
  throw new RollbotError(
    'BAD_REQUEST',
    `--format "${format}" is not a format of ${what}\n${usageOf(command)}`,
    {
      hint: 'write table (the default) or json',
    },
  );
}

/** Incidents as an aligned table: the stage each is in, and its time against the target. */
export function incidentTable(incidents: readonly IncidentListItem[]): string {
  if (incidents.length === 0) return 'no incidents';
  const rows = incidents.map((incident) => {
    const current = incident.stages.find((stage) => stage.state === 'running');
    const clock = current
      ? `${current.stage} ${formatDuration(current.elapsedMs)} / ${formatDuration(current.targetMs)}`
      : '—';
    return [
      incident.id,
      incident.model,
      incident.severity,
      incident.drill ? `${incident.phase} (drill)` : incident.phase,
      clock,
      incident.breaches.join(',') || '—',
      incident.openedAt,
    ];
  });
  const header = ['ID', 'MODEL', 'SEV', 'PHASE', 'STAGE CLOCK', 'MISSED', 'OPENED'];
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * A failure for the terminal: the message, then `fix: <hint>`. Both may carry outside text (a serving layer's
 * error, a bot's answer) within rollbot's own lines (a usage), so both go through `printableBlock`: nothing in
 * them acts on the terminal, and only rollbot's own `fix:` starts at the margin.
 */
export function failureText(message: string, hint?: string): string {
  return `${printableBlock(message)}${hint ? `\nfix: ${printableBlock(hint)}` : ''}`;
}
