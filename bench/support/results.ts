/**
 * One line of the final table. `rollbot` and `baseline` are already formatted (the unit differs per line);
 * `ratio` is rollbot ÷ baseline, the figure of merit on a shared, noisy machine.
 */
export interface Figure {
  benchmark: string;
  metric: string;
  rollbot: string;
  baseline: string;
  ratio: number | undefined;
  goal: string;
  /** undefined: informational, no goal. */
  met: boolean | undefined;
}

export function ratio(rollbot: number, baseline: number): number | undefined {
  return baseline > 0 && Number.isFinite(rollbot) && Number.isFinite(baseline)
    ? rollbot / baseline
    : undefined;
}

/** A Markdown table, so that the printed output can be pasted into bench/README.md as it is. */
export function formatTable(figures: readonly Figure[]): string {
  const header = ['benchmark', 'metric', 'rollbot', 'bare baseline', 'ratio', 'goal', 'met'];
  const rows = figures.map((figure) => [
    figure.benchmark,
    figure.metric,
    figure.rollbot,
    figure.baseline,
    figure.ratio === undefined ? '—' : `${figure.ratio.toFixed(2)}×`,
    figure.goal || '—',
    figure.met === undefined ? '—' : figure.met ? 'yes' : '**NO**',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
