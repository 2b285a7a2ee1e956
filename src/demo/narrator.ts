import type { SimulationCall } from './simulation-report.js';

/** The demo's chapters, in order. */
const CHAPTERS = {
  start: 'Start rollbot',
  deploy: 'Deploy v2 (v1 becomes the last known good)',
  degrade: 'v2 degrades',
  detect: 'Detect: the alert reaches rollbot',
  triage: 'Triage: error rate, approval rate, p99 latency against thresholds',
  rollback: 'Roll back (policy auto: no committee at 2am)',
  confirm: 'Confirm from metrics (not from Alertmanager "resolved")',
  resolved: 'Resolved, impact estimated, retrospective opened',
  report: 'Each stage against its target',
} as const;

export type Chapter = keyof typeof CHAPTERS;
const ORDER = Object.keys(CHAPTERS) as Chapter[];

/** The widest the walkthrough draws its headers, however wide the terminal. */
const MAX_WIDTH = 100;

/**
 * How wide the headers may be: the terminal's width when the output is one, else `COLUMNS` (piped, or run under
 * `script`), else 100. A fixed 100 wrapped every header's run of ━ onto a line of its own in a narrow terminal.
 */
export function terminalWidth(out: object, env: Readonly<Record<string, string | undefined>>): number {
  const columns =
    'columns' in out && typeof out.columns === 'number'
      ? out.columns
      : Number(env['COLUMNS']?.trim() || Number.NaN);
  return Number.isInteger(columns) && columns > 0 ? Math.min(columns, MAX_WIDTH) : MAX_WIDTH;
}

/**
 * Prints the walkthrough: a header per chapter, labelled simulation lines, the demo's own HTTP calls. Chapters
 * only move forward, and most are entered when the simulations see rollbot call them (its first range query is
 * triage, its first serving call the rollback…), so a header always lands right above what rollbot does in it.
 */
export class Narrator {
  private chapter = -1;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly startedAt: number,
    private readonly now: () => number,
    private readonly width = MAX_WIDTH,
  ) {}

  line(text = ''): void {
    this.out.write(`${text}\n`);
  }

  /** Prints the chapter's header unless the walkthrough is there or further already. */
  enter(chapter: Chapter): void {
    const index = ORDER.indexOf(chapter);
    if (index <= this.chapter) return;
    this.chapter = index;
    const elapsed = `+${((this.now() - this.startedAt) / 1000).toFixed(1)}s`;
    const title = `━━ ${index + 1}. ${CHAPTERS[chapter]} `;
    // A rule of fewer than 3 ━ reads as a typo; a title wider than the terminal wraps anyway, so it gets none.
    const rule = this.width - title.length - elapsed.length - 1;
    this.line();
    this.line(rule >= 3 ? `${title}${'━'.repeat(rule)} ${elapsed}` : `${title}${elapsed}`);
  }

  /** Something the demo itself did, playing CI or Alertmanager: real HTTP calls to the running bot. */
  demo(role: string, text: string): void {
    this.line(`  [demo as ${role}] ${text}`);
  }

  /** A call rollbot made into the simulated serving layer. */
  serving(event: SimulationCall): void {
    if (event.call !== 'deploy') this.enter('rollback');
    this.line(`  [simulated serving] ${event.text}`);
  }

  /** A call rollbot made into the simulated metrics source. */
  metrics(event: SimulationCall): void {
    const at = ORDER[this.chapter];
    // Range queries are triage (and, after confirmation, the impact estimate); instant queries are confirmation.
    if (event.call === 'range' && at === 'detect') this.enter('triage');
    if (event.call === 'range' && at === 'confirm') this.enter('resolved');
    if (event.call === 'query' && at === 'rollback') this.enter('confirm');
    this.line(`  [simulated metrics] ${event.text}`);
  }
}
