import { describe, expect, it } from 'vitest';
import type { Incident } from '../../../src/core/incident.js';
import { incidentMarkdown } from '../../../src/engine/report.js';
import { viewIncident } from '../../../src/engine/views.js';
import { T0 } from '../../helpers/incidents.js';
import { check, MINUTE, triaged } from '../slack/fixtures.js';

describe('incident Markdown', () => {
  it('shows checks, baselines and the impact average in each check’s unit', () => {
    const errorRate = check({ value: 0.079, threshold: '≤ 2%', unit: 'ratio' });
    const incident: Incident = {
      ...triaged(),
      triage: { at: T0, finding: 'breach', summary: 'error rate 7.9% outside ≤ 2%', checks: [errorRate] },
      confirmation: {
        startedAt: T0 + MINUTE,
        baselines: { 'error rate': 0.004 },
        outcomes: ['pass'],
        last: { at: T0 + 2 * MINUTE, checks: [{ ...errorRate, value: 0.0041, verdict: 'PASS' }] },
      },
      impact: {
        windowMs: 10 * MINUTE,
        check: 'error rate',
        averageDuringIncident: 0.033,
        baseline: 0.004,
        formula: 'Σ …',
      },
    };
    const md = incidentMarkdown({ ...viewIncident(incident, T0 + 3 * MINUTE), timeline: [] });
    expect(md).toContain('| error rate (error) | 7.9% | ≤ 2% | FAIL |');
    expect(md).toContain('Pre-deployment baselines: error rate 0.4%');
    expect(md).toContain('| error rate (error) | 0.41% | ≤ 2% | PASS |');
    expect(md).toContain('- **Average during the incident:** 3.3%; baseline 0.4%');
  });

  it('does not call a confirmation "running" once the incident was resolved by hand before its verdict', () => {
    const confirmation = { startedAt: T0 + MINUTE, baselines: {}, outcomes: ['pass' as const] };
    const at = T0 + 3 * MINUTE;
    const section = (incident: Incident) =>
      incidentMarkdown({ ...viewIncident(incident, at), timeline: [] })
        .split('## Confirmation\n\n')[1]
        ?.split('\n')[0];
    expect(section({ ...triaged(), phase: 'confirm', confirmation })).toBe(
      'running after 1 measurement(s): pass',
    );
    expect(section({ ...triaged(), phase: 'resolved', confirmation })).toBe(
      'no verdict (ended by the resolution) after 1 measurement(s): pass',
    );
    expect(section({ ...triaged(), phase: 'closed', confirmation })).toBe(
      'no verdict (ended by the resolution) after 1 measurement(s): pass',
    );
    expect(section({ ...triaged(), phase: 'rollback', confirmation })).toBe(
      'no verdict (ended by a further rollback) after 1 measurement(s): pass',
    );
    expect(
      section({ ...triaged(), phase: 'resolved', confirmation: { ...confirmation, verdict: 'PASS' } }),
    ).toBe('PASS after 1 measurement(s): pass');
  });

  it("lists people's notes in the timeline, on their own lines, as their author's", () => {
    const at = T0 + 5 * MINUTE;
    const note = { seq: 4, at, incidentId: 'INC-1', type: 'note', actor: 'U0ANA' };
    const md = incidentMarkdown({
      ...viewIncident(triaged(), at),
      timeline: [
        { ...note, text: 'feature store stale since 01:40' },
        { ...note, seq: 5, text: 'backfill paused\n## Root cause\nnone' },
      ],
    });
    const timeline = md.split('## Timeline\n\n')[1]?.trimEnd().split('\n');
    expect(timeline).toEqual([
      '- `2023-11-14T22:18:20.000Z` **note** (U0ANA): feature store stale since 01:40',
      '- `2023-11-14T22:18:20.000Z` **note** (U0ANA): backfill paused ## Root cause none',
    ]);
  });

  it('links a note captured from Slack (📌) to its message, the note’s text as it is', () => {
    const at = T0 + 5 * MINUTE;
    const link =
      'https://acme.slack.com/archives/C0TEST0001/p1700000050000200?thread_ts=1700000000.000100&cid=C0TEST0001';
    const note = { seq: 4, at, incidentId: 'INC-1', type: 'note', actor: 'U0ANA' };
    const where = { pinnedBy: 'U0BO', channel: 'C0TEST0001', ts: '1700000050.000200' };
    const md = incidentMarkdown({
      ...viewIncident(triaged(), at),
      timeline: [
        { ...note, text: 'feature store stale since 01:40', data: { ...where, permalink: link } },
        { ...note, seq: 5, text: 'paused the backfill', data: where },
        // A link Markdown would misread: its brackets and spaces are escaped, so it stays one link.
        { ...note, seq: 6, text: 'odd', data: { ...where, permalink: 'https://acme.slack.com/a b)(c<d>' } },
        { ...note, seq: 7, text: 'not a link', data: { ...where, permalink: 'javascript:alert(1)' } },
      ],
    });
    const timeline = md.split('## Timeline\n\n')[1]?.trimEnd().split('\n');
    expect(timeline).toEqual([
      `- \`2023-11-14T22:18:20.000Z\` **note** (U0ANA): feature store stale since 01:40 ([in Slack](${link}))`,
      '- `2023-11-14T22:18:20.000Z` **note** (U0ANA): paused the backfill',
      '- `2023-11-14T22:18:20.000Z` **note** (U0ANA): odd ([in Slack](https://acme.slack.com/a%20b%29%28c%3Cd%3E))',
      '- `2023-11-14T22:18:20.000Z` **note** (U0ANA): not a link',
    ]);
  });

  it('says when the impact estimate rests on an answer Prometheus flagged as partial', () => {
    const impact = { windowMs: 10 * MINUTE, check: 'error rate', excessFailedRequests: 1200, formula: 'Σ …' };
    const view = (warnings?: string[]) =>
      viewIncident({ ...triaged(), impact: { ...impact, ...(warnings ? { warnings } : {}) } }, T0);
    const md = incidentMarkdown({ ...view(['store down', 'limit hit']), timeline: [] });
    expect(md).toContain(
      '- **Excess failed requests:** about 1200\n- **Partial answer** (Prometheus warnings): "store down" (+1 more)',
    );
    expect(incidentMarkdown({ ...view(), timeline: [] })).not.toContain('Partial answer');
  });
});

/**
 * The cells of a GFM table row as GitHub splits them: a backslash before ASCII punctuation escapes it (so `\\|`
 * is an escaped backslash, then a pipe that splits), and an escaped pipe stays in its cell.
 */
function gfmCells(row: string): string[] {
  const cells: string[] = [];
  let cell = '';
  for (let i = 0; i < row.length; i++) {
    const char = row[i] ?? '';
    const next = row[i + 1] ?? '';
    if (char === '\\' && /[!-/:-@[-`{-~]/.test(next)) {
      cell += char + next;
      i += 1;
    } else if (char === '|') {
      cells.push(cell);
      cell = '';
    } else cell += char;
  }
  cells.push(cell);
  // A row's leading and trailing pipes open and close it; they do not make cells.
  return cells.slice(1, -1).map((text) => text.trim());
}

/** The rows of the first table whose header row is `header`, up to the first line that is not a row. */
function tableAfter(md: string, header: string): string[] {
  const lines = md.split('\n');
  const start = lines.indexOf(header);
  expect(start).toBeGreaterThanOrEqual(0);
  const rows: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  return rows;
}

describe('incident Markdown tables with outside text', () => {
  const CHECK_HEADER = '| check | value | threshold | verdict | trend |';

  it('keeps each check on one row of five cells whatever its name, error or threshold say', () => {
    const hostile = check({
      name: 'errors | 5xx',
      error: 'parse error: unexpected "|" in\nrate(x[5m]) \\| more\r\n## not a heading',
      threshold: '≤ 2% | \\',
      verdict: 'ERROR',
    });
    const incident: Incident = {
      ...triaged(),
      triage: { at: T0, finding: 'unavailable', summary: 'a query failed', checks: [hostile, check()] },
    };
    const md = incidentMarkdown({ ...viewIncident(incident, T0 + MINUTE), timeline: [] });
    const rows = tableAfter(md, CHECK_HEADER);
    expect(rows).toHaveLength(2);
    expect(rows.map((row) => gfmCells(row).length)).toEqual([5, 5]);
    expect(gfmCells(rows[0] ?? '').slice(0, 3)).toEqual([
      'errors \\| 5xx (error)',
      'parse error: unexpected "\\|" in rate(x[5m]) \\\\\\| more ## not a heading',
      '≤ 2% \\| \\\\',
    ]);
    expect(md).not.toMatch(/^## not a heading/m);
  });

  it('keeps each action item on one row of four cells', () => {
    const detail = {
      ...viewIncident(triaged(), T0 + MINUTE),
      timeline: [],
      retrospective: {
        incidentId: 'INC-7',
        model: 'fraud-scorer',
        openedAt: T0,
        dueAt: T0 + 60 * MINUTE,
        remindersSent: [],
        actionItems: [
          {
            id: 'A1',
            text: 'alert on | in labels\nand newlines',
            // Slack's own mention syntax carries a pipe.
            owner: '<@U0OWNER|ana>',
            due: T0,
            status: 'open' as const,
          },
        ],
      },
    };
    const rows = tableAfter(incidentMarkdown(detail), '| action item | owner | due | status |');
    expect(rows).toHaveLength(1);
    expect(gfmCells(rows[0] ?? '')).toEqual([
      'alert on \\| in labels and newlines',
      '<@U0OWNER\\|ana>',
      '2023-11-14',
      'open',
    ]);
  });

  it('shows the first Prometheus warning of a check whose answer may be partial, briefly', () => {
    const partial = check({
      value: 0.004,
      verdict: 'PASS',
      warnings: [`remote read | failed ${'x'.repeat(400)}`, 'results truncated'],
    });
    const incident: Incident = {
      ...triaged(),
      triage: { at: T0, finding: 'ok', summary: 'no threshold breached', checks: [partial, check()] },
    };
    const md = incidentMarkdown({ ...viewIncident(incident, T0 + MINUTE), timeline: [] });
    const [partialRow, completeRow] = tableAfter(md, CHECK_HEADER).map(gfmCells);
    expect(partialRow?.[3]).toMatch(/^PASS ⚠ partial answer: "remote read \\\| failed x+…" \(\+1 more\)$/);
    expect(partialRow?.[3]?.length).toBeLessThanOrEqual(160);
    expect(completeRow?.[3]).toBe('FAIL');
  });
});
