import { describe, expect, it } from 'vitest';
import { deploymentGate } from '../../../src/engine/gate.js';
import { runDrillNow } from '../../../src/engine/drill-start.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { closeActionItem, completeRetrospective } from '../../../src/engine/retro.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook } from '../../helpers/engine.js';

const DAY = 86_400_000;

/** fraud-scorer (tier 2, so that no approval is needed) after a rollback whose retrospective left one item open. */
async function afterRetroWithItem() {
  const runbook = { ...makeRunbook('fraud-scorer', 'drill: { dryRun: true }'), tier: 2 as const };
  const deps = makeDeps({ runbooks: [runbook] });
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'back to normal' });
  await completeRetrospective(deps, 'INC-1', {
    by: 'U0ANA',
    rootCause: 'a feature pipeline change shifted inputs',
    actionItemsText: '@ana | add an input-drift check to triage',
  });
  return deps;
}

describe('the deployment gate and action items of older incidents', () => {
  it('stays closed by an open action item after the model has had 60 more incidents (a year of weekly drills)', async () => {
    const deps = await afterRetroWithItem();
    for (let week = 0; week < 60; week++) {
      deps.clock.advance(7 * DAY);
      await runDrillNow(deps, 'fraud-scorer', { by: 'schedule', dryRun: true });
    }
    const gate = await deploymentGate(deps, 'fraud-scorer');
    expect(gate.allowed).toBe(false);
    expect(gate.reasons).toEqual([
      expect.stringMatching(
        /^open retrospective action item A1 of INC-1 .*: add an input-drift check to triage$/,
      ),
    ]);

    await closeActionItem(deps, 'INC-1', 'A1', 'U0ANA');
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({ allowed: true, reasons: [] });
  });
});
