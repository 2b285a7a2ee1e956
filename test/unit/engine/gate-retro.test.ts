import { describe, expect, it } from 'vitest';
import { deploymentGate, overrideGate } from '../../../src/engine/gate.js';
import { notePlanned } from '../../../src/engine/drill-overdue.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { closeActionItem, completeRetrospective, getRetrospective } from '../../../src/engine/retro.js';
import { firing } from '../../helpers/alerts.js';
import type { Runbook } from '../../../src/runbooks/schema.js';
import { makeDeps, makeRunbook, metricValue } from '../../helpers/engine.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { retroCounts } from '../../../src/engine/retro.js';
import { Registry } from 'prom-client';

const DAY = 86_400_000;
/** Tier 2: no approval needed for each deployment, so that only the reasons under test close the gate. */
const tierTwo = (runbook: Runbook): Runbook => ({ ...runbook, tier: 2 });

async function resolvedWithItem() {
  const deps = makeDeps({ runbooks: [tierTwo(makeRunbook('fraud-scorer', 'drill: { dryRun: true }'))] });
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'back to normal' });
  await completeRetrospective(deps, 'INC-1', {
    by: 'U0ANA',
    rootCause: 'a feature pipeline change shifted inputs',
    actionItemsText: '@ana | add an input-drift check to triage | 2026-12-15',
  });
  return deps;
}

describe('deployment gate and retrospectives', () => {
  it('is closed by an open action item and reopens when it is closed', async () => {
    const deps = await resolvedWithItem();
    const closed = await deploymentGate(deps, 'fraud-scorer');
    expect(closed.allowed).toBe(false);
    expect(closed.reasons).toEqual([
      expect.stringMatching(
        /^open retrospective action item .* of INC-1 \(@ana, due 2026-12-15\): add an input-drift check to triage$/,
      ),
    ]);
    const retro = await getRetrospective(deps, 'INC-1');
    await closeActionItem(deps, 'INC-1', retro!.actionItems[0]!.id, 'U0ANA');
    expect(await deploymentGate(deps, 'fraud-scorer')).toEqual({
      model: 'fraud-scorer',
      allowed: true,
      status: 'open',
      reasons: [],
    });
  });

  it('reopens with an approver’s override, recorded on the timeline, for 24 hours', async () => {
    const deps = await resolvedWithItem();
    await expect(
      overrideGate(deps, 'fraud-scorer', { actor: { id: 'U0LEAD', groups: [] }, reason: ' ' }),
    ).rejects.toThrow('an override needs a reason');
    const gate = await overrideGate(deps, 'fraud-scorer', {
      actor: { id: 'U0LEAD', groups: [] },
      reason: 'security fix cannot wait',
    });
    expect(gate).toMatchObject({
      allowed: true,
      override: { by: 'U0LEAD', reason: 'security fix cannot wait' },
    });
    expect(gate.reasons).toHaveLength(1);
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
      type: 'gate.overridden',
      actor: 'U0LEAD',
    });
    deps.clock.advance(DAY);
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(false);
  });

  it('never overrides an open incident', async () => {
    const deps = makeDeps();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await expect(
      overrideGate(deps, 'fraud-scorer', { actor: { id: 'U0LEAD', groups: [] }, reason: 'please' }),
    ).rejects.toThrow(
      /^nothing to override: .* closed only by open incident INC-1 .*, which no override waives$/,
    );
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(false);
  });

  it('is closed by a drill overdue for 100 days', async () => {
    const deps = makeDeps({ runbooks: [tierTwo(makeRunbook('fraud-scorer', 'drill: { dryRun: true }'))] });
    await notePlanned(deps, 'fraud-scorer');
    deps.clock.advance(100 * DAY - 1);
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(true);
    deps.clock.advance(1);
    const gate = await deploymentGate(deps, 'fraud-scorer');
    expect(gate.reasons).toEqual([
      'rollback drill overdue: no successful rollback drill since drills were planned 100d ago',
    ]);
  });
});

describe('retrospective gauges', () => {
  it('count open and overdue retrospectives per model, read from the store', async () => {
    const deps = makeDeps();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'ok' });
    const metrics = createMetrics(new Registry(), {
      state: {
        drillLastSuccess: async () => ({}),
        retroCounts: () => retroCounts(deps, deps.clock.now()),
        deadlinesOverdue: async () => 0,
      },
    });
    expect(await metricValue(metrics, 'rollbot_retros_open', { model: 'fraud-scorer' })).toBe(1);
    expect(await metricValue(metrics, 'rollbot_retros_overdue', { model: 'fraud-scorer' })).toBe(0);
    deps.clock.advance(2 * DAY);
    expect(await metricValue(metrics, 'rollbot_retros_overdue', { model: 'fraud-scorer' })).toBe(1);
  });
});

describe('retrospective export', () => {
  it('puts the retrospective in the Markdown document', async () => {
    const { incidentDetail } = await import('../../../src/engine/views.js');
    const { incidentMarkdown } = await import('../../../src/engine/report.js');
    const deps = await resolvedWithItem();
    const md = incidentMarkdown(await incidentDetail(deps, 'INC-1'));
    expect(md).toContain('## Retrospective');
    expect(md).toContain('- **Root cause:** a feature pipeline change shifted inputs');
    expect(md).toContain('| add an input-drift check to triage | @ana | 2026-12-15 | open |');
  });
});

describe('an override and action items written after it', () => {
  it('waives only what was open when it was given: a retrospective completed since closes the gate again', async () => {
    const deps = await resolvedWithItem();
    const lead = { id: 'U0LEAD', groups: [] };
    expect(
      (await overrideGate(deps, 'fraud-scorer', { actor: lead, reason: 'security fix cannot wait' })).allowed,
    ).toBe(true);

    // Two hours later the model fails again; its retrospective asks for a fix before the next deployment.
    deps.clock.advance(2 * 3_600_000);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const second = (await deps.store.openIncidentFor('fraud-scorer'))!.id;
    await resolve(deps, second, { by: 'U0ANA', reason: 'back to normal' });
    await completeRetrospective(deps, second, {
      by: 'U0ANA',
      rootCause: 'the same pipeline change, again',
      actionItemsText: '@bo | pin the feature pipeline version | 2026-12-20',
    });

    const gate = await deploymentGate(deps, 'fraud-scorer');
    expect(gate).toMatchObject({ allowed: false, status: 'closed' });
    // The new item first, with the incident-like reasons the override cannot waive; the waived one after it.
    expect(gate.reasons).toEqual([
      `open retrospective action item A1 of ${second} (@bo, due 2026-12-20): pin the feature pipeline version (not covered by the override of U0LEAD, given before it)`,
      'open retrospective action item A1 of INC-1 (@ana, due 2026-12-15): add an input-drift check to triage',
    ]);
  });
});
