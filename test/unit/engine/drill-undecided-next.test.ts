/**
 * A drill nobody decides ends, failed, DRILL_DECISION_WAIT_MS (a day) after it started (drill-undecided.ts). On a
 * daily schedule that is the instant of the next occurrence: the occurrence must find the model free, not refused by
 * the drill whose wait ends with it.
 */
import { describe, expect, it } from 'vitest';
import { DRILL_DECISION_WAIT_MS } from '../../../src/engine/drill-decision-wait.js';
import { drillHistory } from '../../../src/engine/drill.js';
import { scheduleDrillOccurrence } from '../../../src/engine/drill-schedule.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { drillDeps } from '../../helpers/drill-deps.js';

const DAY_1 = Date.parse('2026-11-23T10:00:00Z');

describe('a daily drill nobody decided', () => {
  it("ends as the next day's occurrence comes due, which then starts instead of being skipped", async () => {
    const { deps } = drillDeps("drill: { dryRun: true, schedule: '0 10 * * *', remind: [] }");
    const runbook = deps.runbooks.require('fraud-scorer');
    deps.clock.set(DAY_1 - 3_600_000);
    await scheduleDrillOccurrence(deps, runbook, DAY_1);
    await scheduleDrillOccurrence(deps, runbook, DAY_1 + DRILL_DECISION_WAIT_MS);
    deps.clock.set(DAY_1);
    while ((await pollDeadlines(deps)) > 0);

    deps.clock.set(DAY_1 + DRILL_DECISION_WAIT_MS);
    while ((await pollDeadlines(deps)) > 0);
    const drills = await deps.store.listIncidents({});
    expect(drills.map((drill) => [drill.id, drill.phase, drill.openedAt])).toEqual([
      ['INC-2', 'triage', DAY_1 + DRILL_DECISION_WAIT_MS],
      ['INC-1', 'resolved', DAY_1],
    ]);
    expect((await drillHistory(deps, 'fraud-scorer'))[0]).toMatchObject({
      incidentId: 'INC-1',
      problems: ['nobody decided within 24 h', 'triage took 1d against 10m'],
    });
    expect(deps.notifier.ofType('channel.message').map((event) => event.text)).toEqual([]);
  });
});
