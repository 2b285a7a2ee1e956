/**
 * A drill's scorecard marks a stage ✓ only when the stage completed within its target. A stage the drill's end cut
 * short — a rollback that failed on the drill target, a confirmation of a rollback that never landed, a triage
 * nobody decided before a real alert ended the drill — did not complete: it reads "not completed", neither ✓ nor a
 * missed target, and what went wrong says why the drill ended.
 */
import { describe, expect, it } from 'vitest';
import { drillHistory } from '../../../src/engine/drill.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { DRY, STAGING, drillDeps, scorecards } from '../../helpers/drill-deps.js';
import { permanent } from '../../helpers/fake-serving.js';

describe("a drill's scorecard", () => {
  it('does not pass a rollback that failed on the drill target, nor the confirmation it never reached', async () => {
    const { deps, staging } = drillDeps(STAGING);
    staging.executeErrors.push(permanent('HTTP 403: forbidden in ml-staging'));
    await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });

    const [card] = scorecards(deps);
    expect(card).toContain('triage 0ms/10m ✓');
    expect(card).toContain('rollback 0ms/5m not completed');
    expect(card).toContain('confirm 0ms/15m not completed');
    expect(card).toMatch(/what went wrong: the rollback failed: HTTP 403: forbidden in ml-staging$/);
    const [result] = await drillHistory(deps, 'fraud-scorer');
    expect(result?.stages.filter((stage) => stage.stage === 'rollback' || stage.stage === 'confirm')).toEqual(
      [
        { stage: 'rollback', elapsedMs: 0, targetMs: 300_000, met: false, cutShort: true },
        { stage: 'confirm', elapsedMs: 0, targetMs: 900_000, met: false, cutShort: true },
      ],
    );
    expect(result?.problems).toEqual(['the rollback failed: HTTP 403: forbidden in ml-staging']);
  });

  it('does not pass a triage nobody decided before a real alert ended the drill', async () => {
    const { deps } = drillDeps(DRY);
    await startDrill(deps, 'fraud-scorer', { by: 'U0ONCALL', auto: false });
    deps.clock.advance(120_000);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);

    const [card] = scorecards(deps);
    expect(card).toContain('detect skipped (a drill starts at detection), triage 2m/10m not completed;');
    expect(card).toMatch(/what went wrong: interrupted by a real alert \(\w+\)$/);
  });

  it('still passes every stage of a drill whose rollback got there', async () => {
    const { deps } = drillDeps(STAGING);
    await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });
    const [result] = await drillHistory(deps, 'fraud-scorer');
    expect(result).toMatchObject({ outcome: 'passed', problems: [] });
    expect(result?.stages.every((stage) => stage.met && !('cutShort' in stage))).toBe(true);
    expect(scorecards(deps)[0]).not.toContain('not completed');
  });
});
