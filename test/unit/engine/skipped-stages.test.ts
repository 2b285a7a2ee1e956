/**
 * A rollback started with no incident open (`rollbot rollback`, `POST /api/rollbacks`, Slack's form) opens a manual
 * incident already decided: no alert was detected and nobody triaged, so those stages were skipped. Shown as "0s,
 * met", they would read as the fastest detection and triage of the quarter.
 */
import { describe, expect, it } from 'vitest';
import { stageResult } from '../../../src/core/stages.js';
import { incidentMarkdown } from '../../../src/engine/report.js';
import { rollback } from '../../../src/engine/rollback.js';
import { incidentDetail } from '../../../src/engine/views.js';
import { stageLine } from '../../../src/slack/blocks/incident-message.js';
import { makeDeps } from '../../helpers/engine.js';

describe('a manual rollback incident', () => {
  it('shows detect and triage as skipped, not met in 0s, and escalates neither', async () => {
    const deps = makeDeps();
    await rollback(deps, {
      model: 'fraud-scorer',
      reason: 'p99 doubled after v42',
      by: 'cli:ana',
      trigger: 'cli',
    });
    const detail = await incidentDetail(deps, 'INC-1');
    const [detect, triage, rollbackStage] = detail.stages;
    expect([detect, triage].map((stage) => stage && stageResult(stage))).toEqual(['skipped', 'skipped']);
    expect(detect).toMatchObject({ stage: 'detect', skipped: true, breached: false });
    expect(rollbackStage && stageResult(rollbackStage)).toBe('met');
    expect(detect && stageLine(detect)).toBe('– *detect* skipped');
    expect(triage && stageLine(triage)).toBe('– *triage* skipped');
    const markdown = incidentMarkdown(detail);
    expect(markdown).toContain('| detect | done | — | 5m | skipped |');
    expect(markdown).toContain('| triage | done | — | 10m | skipped |');
  });
});
