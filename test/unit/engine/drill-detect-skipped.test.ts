/**
 * A drill's synthetic alert starts with the drill: nothing degraded, nothing was detected, so its detect stage
 * measured nothing. Shown as "0ms, met" it would read as the fastest detection of the quarter and pass a drill on
 * a stage it never rehearsed; it reads "skipped" everywhere instead, as a declared incident's does.
 */
import { describe, expect, it } from 'vitest';
import { stageResult } from '../../../src/core/stages.js';
import { drillHistory } from '../../../src/engine/drill.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { incidentMarkdown } from '../../../src/engine/report.js';
import { retroTemplate } from '../../../src/engine/retro-template.js';
import { incidentDetail } from '../../../src/engine/views.js';
import { stageLine } from '../../../src/slack/blocks/incident-message.js';
import { DRY, STAGING, drillDeps, scorecards } from '../../helpers/drill-deps.js';
import { permanent } from '../../helpers/fake-serving.js';
import { metricValue } from '../../helpers/engine.js';

const WHY = 'a drill starts at detection';

describe("a drill's detect stage", () => {
  it('reads skipped in the incident message and the CLI/API views, and is no ✓ on the scorecard', async () => {
    const { deps } = drillDeps(DRY);
    await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });

    const detail = await incidentDetail(deps, 'INC-1');
    const [detect] = detail.stages;
    expect(detect && stageResult(detect)).toBe('skipped');
    expect(detect).toMatchObject({ stage: 'detect', skipped: WHY, breached: false });
    expect(detect && stageLine(detect)).toBe(`– *detect* skipped (${WHY})`);
    expect(incidentMarkdown(detail)).toContain(`| detect | done | — | 5m | skipped (${WHY}) |`);

    const [result] = await drillHistory(deps, 'fraud-scorer');
    expect(result?.stages.map((stage) => stage.stage)).toEqual(['triage', 'rollback', 'confirm']);
    expect(result?.skipped).toEqual([{ stage: 'detect', why: WHY }]);
    const [card] = scorecards(deps);
    expect(card).toContain(`): detect skipped (${WHY}), triage 0ms/10m ✓,`);
    expect(card).not.toContain('detect 0ms');
  });

  it('stays out of the stage duration histogram', async () => {
    const { deps } = drillDeps(DRY);
    await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });
    expect(
      await metricValue(deps.metrics, 'rollbot_stage_duration_seconds', { stage: 'detect', le: '+Inf' }),
    ).toBe(0);
    // The drill's other stages are observed (drill="true"): only the one that did not happen is left out.
    expect(
      await metricValue(deps.metrics, 'rollbot_stage_duration_seconds', {
        stage: 'triage',
        drill: 'true',
        le: '+Inf',
      }),
    ).toBe(1);
  });

  it("reads skipped in a failed drill's retrospective", async () => {
    const { deps, staging } = drillDeps(STAGING);
    staging.executeErrors.push(permanent('HTTP 403: forbidden in ml-staging'));
    await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });
    const drill = await deps.store.getIncident('INC-1');
    expect(drill?.phase).toBe('resolved');
    expect(drill && retroTemplate(drill, deps.clock.now(), [])).toContain(
      `- detect: skipped, ${WHY} (target 5m)`,
    );
  });
});
