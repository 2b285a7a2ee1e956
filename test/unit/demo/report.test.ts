/**
 * The demo's closing table reads each stage's result as every other view does (core/stages.ts stageResult): a
 * stage that did not happen is skipped and says why, one the resolution cut short is not completed. Neither is
 * "✓ within target", which would pass a run on a stage it never measured.
 */
import { describe, expect, it } from 'vitest';
import { decide, resolve } from '../../../src/core/incident.js';
import { skipStages } from '../../../src/core/incident-stages.js';
import { stageTable } from '../../../src/demo/report.js';
import { viewIncident } from '../../../src/engine/views.js';
import { makeIncident, T0 } from '../../helpers/incidents.js';

const MINUTE = 60_000;
const WHY = 'declared by U0ANA, so when it began is unknown';

/** The table's row of `stage` (its first cell). */
function rowOf(lines: readonly string[], stage: string): string {
  const row = lines.find((line) => line.trim().split(/\s+/)[0] === stage);
  if (row === undefined) throw new Error(`no row for ${stage} in:\n${lines.join('\n')}`);
  return row;
}

describe('the demo stage table', () => {
  it('says a skipped stage was skipped and why, with no time, and a cut-short one was not completed', () => {
    // Declared (detect skipped), then resolved by hand 2 minutes in, before anyone decided: triage cut short.
    const declared = skipStages(makeIncident({ at: T0 }), ['detect'], WHY);
    const resolved = resolve(declared, T0 + 2 * MINUTE);
    const lines = stageTable({ ...viewIncident(resolved, T0 + 3 * MINUTE), timeline: [] });

    const detect = rowOf(lines, 'detect');
    expect(detect).toContain(`– skipped (${WHY})`);
    expect(detect).toMatch(/^\s+detect\s+—\s+5m\s/);
    expect(detect).not.toContain('within target');

    const triage = rowOf(lines, 'triage');
    expect(triage).toMatch(/^\s+triage\s+2m\s+10m\s/);
    expect(triage).toContain('· not completed');
    expect(triage).not.toContain('within target');

    expect(rowOf(lines, 'rollback')).toContain('did not run');
  });

  it('reads a completed stage within target or missed, and one still running past its target missed', () => {
    const opened = makeIncident({ at: T0, alert: { startsAt: T0 - 6 * MINUTE } });
    const decided = decide(opened, {
      kind: 'not-rollback',
      by: 'U0ONCALL',
      at: T0 + MINUTE,
      reason: 'noisy alert',
      trigger: 'slack',
    });
    const lines = stageTable({ ...viewIncident(decided, T0 + 2 * MINUTE), timeline: [] });
    expect(rowOf(lines, 'detect')).toContain('✗ MISSED');
    expect(rowOf(lines, 'triage')).toContain('✓ within target');

    // Nobody decided, 11 minutes in: triage is past its 10-minute target and still running.
    const undecided = stageTable({ ...viewIncident(opened, T0 + 11 * MINUTE), timeline: [] });
    expect(rowOf(undecided, 'triage')).toContain('✗ MISSED, still running');
  });

  it('keeps the measured-from column aligned when a result is longer than the column', () => {
    const declared = skipStages(makeIncident({ at: T0 }), ['detect'], WHY);
    const lines = stageTable({ ...viewIncident(declared, T0 + MINUTE), timeline: [] });
    // Where each row's last column starts: the header's, and each stage's "measured from".
    const firstWords = {
      stage: 'measured from',
      detect: 'degradation onset',
      triage: 'alert received',
      rollback: 'decision',
      confirm: 'rollback initiated',
      retro: 'resolved',
    };
    const starts = Object.entries(firstWords).map(([stage, words]) => rowOf(lines, stage).indexOf(words));
    expect(starts.every((start) => start > 0)).toBe(true);
    expect(new Set(starts).size).toBe(1);
  });
});
