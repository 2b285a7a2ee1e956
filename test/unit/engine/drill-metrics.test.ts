import { describe, expect, it } from 'vitest';
import { startDrill } from '../../../src/engine/drill-start.js';
import { requestRollback } from '../../../src/engine/rollback-request.js';
import { DRY, STAGING, drillDeps } from '../../helpers/drill-deps.js';
import { permanent } from '../../helpers/fake-serving.js';
import { metricValue, type TestDeps } from '../../helpers/engine.js';

const ana = { id: 'U0ANA', groups: [] };

/** How many rollbacks the production dashboards see: every rollbacks_total series but trigger="drill". */
async function productionRollbacks(deps: TestDeps): Promise<number> {
  const all = await metricValue(deps.metrics, 'rollbot_rollbacks_total');
  return all - (await metricValue(deps.metrics, 'rollbot_rollbacks_total', { trigger: 'drill' }));
}

/** Observations of the mean-time-to-rollback histogram, which has no drill label. */
async function rollbackDurations(deps: TestDeps): Promise<number> {
  const metric = deps.metrics.registry.getSingleMetric('rollbot_rollback_duration_seconds');
  if (!metric) throw new Error('no metric rollbot_rollback_duration_seconds');
  const { values } = await metric.get();
  return values
    .filter(
      (value) => (value as { metricName?: string }).metricName === 'rollbot_rollback_duration_seconds_count',
    )
    .reduce((sum, value) => sum + value.value, 0);
}

describe('a drill decided by a person, as the quarterly schedule has it', () => {
  it('counts its rollback as a drill, not as a production rollback from Slack, and keeps it out of the duration histogram', async () => {
    const { deps } = drillDeps(STAGING);
    await startDrill(deps, 'fraud-scorer', { by: 'schedule', auto: false });
    await requestRollback(deps, { model: 'fraud-scorer', reason: 'drill', actor: ana, trigger: 'slack' });
    expect(await metricValue(deps.metrics, 'rollbot_drills_total', { outcome: 'passed' })).toBe(1);
    expect(
      await metricValue(deps.metrics, 'rollbot_rollbacks_total', { trigger: 'drill', outcome: 'succeeded' }),
    ).toBe(1);
    expect(await productionRollbacks(deps)).toBe(0);
    expect(await rollbackDurations(deps)).toBe(0);
  });

  it('counts a failed drill rollback as a drill too', async () => {
    const { deps, staging } = drillDeps(STAGING);
    staging.executeErrors.push(permanent('HTTP 403: forbidden in ml-staging'));
    await startDrill(deps, 'fraud-scorer', { by: 'schedule', auto: false });
    await requestRollback(deps, {
      model: 'fraud-scorer',
      reason: 'drill',
      actor: ana,
      trigger: 'slack',
    }).catch(() => undefined);
    expect(await metricValue(deps.metrics, 'rollbot_drills_total', { outcome: 'failed' })).toBe(1);
    expect(
      await metricValue(deps.metrics, 'rollbot_rollbacks_total', { trigger: 'drill', outcome: 'failed' }),
    ).toBe(1);
    expect(await productionRollbacks(deps)).toBe(0);
    expect(await rollbackDurations(deps)).toBe(0);
  });

  it('keeps an automatic drill out of the duration histogram as well', async () => {
    const { deps } = drillDeps(DRY);
    await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });
    expect(await metricValue(deps.metrics, 'rollbot_rollbacks_total', { trigger: 'drill' })).toBe(1);
    expect(await rollbackDurations(deps)).toBe(0);
  });
});
