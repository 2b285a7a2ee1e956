/**
 * `rollbot_drill_last_success_timestamp_seconds` is what RollbotDrillOverdue (deploy/prometheus) alerts on. A
 * model whose drills have never passed — every one failed, or none ran — is the one most in need of that alert,
 * and the gate already calls it overdue 100 days after its drills were first planned. Without a series for it,
 * `time() - … > 100 * 86400` has nothing to compare and the alert never fires.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { drillOverdue, drillSuccesses } from '../../../src/engine/drill-overdue.js';
import { scheduleDrillOccurrence } from '../../../src/engine/drill-schedule.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { DRY } from '../../helpers/drill-deps.js';

const DAY = 86_400_000;
const GAUGE = 'rollbot_drill_last_success_timestamp_seconds';

/** The gauge's value per model, as a scrape reads it. */
async function gauge(deps: TestDeps): Promise<Record<string, number>> {
  const metrics = createMetrics(new Registry(), {
    state: {
      drillLastSuccess: () => drillSuccesses(deps, deps.runbooks),
      retroCounts: async () => [],
      deadlinesOverdue: async () => 0,
    },
  });
  const { values } = await metrics.registry.getSingleMetric(GAUGE)!.get();
  return Object.fromEntries(values.map((value) => [String(value.labels['model']), value.value]));
}

describe('the drill recency gauge', () => {
  it('counts a model that never passed a drill from when its drills were first planned, as the gate does', async () => {
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', DRY), makeRunbook('search-ranker')] });
    const plannedAt = deps.clock.now();
    const runbook = deps.runbooks.require('fraud-scorer');
    await scheduleDrillOccurrence(deps, runbook, plannedAt + 30 * DAY);

    deps.clock.advance(101 * DAY);
    expect(await drillOverdue(deps, runbook)).toMatch(
      /no successful rollback drill since drills were planned/,
    );
    // search-ranker has no drills: nothing to be overdue on, no series.
    expect(await gauge(deps)).toEqual({ 'fraud-scorer': Math.floor(plannedAt / 1000) });
  });

  it('drops a model whose drills were taken out of its runbook: no drills, nothing to be overdue on, as the gate says', async () => {
    const drilled = makeDeps({ runbooks: [makeRunbook('fraud-scorer', DRY)] });
    await startDrill(drilled, 'fraud-scorer', { by: 'cli:ana', auto: true });
    expect(Object.keys(await gauge(drilled))).toEqual(['fraud-scorer']);

    // The team takes the drill block out (the model moves to a tier without drills) and restarts on the same store.
    const after = makeDeps({
      runbooks: [makeRunbook('fraud-scorer')],
      store: drilled.store,
      clock: drilled.clock,
    });
    after.clock.advance(101 * DAY);
    expect(await drillOverdue(after, after.runbooks.require('fraud-scorer'))).toBeUndefined();
    // A series would fire RollbotDrillOverdue 100 days on, for good, for drills nobody is to run any more.
    expect(await gauge(after)).toEqual({});
  });
});
