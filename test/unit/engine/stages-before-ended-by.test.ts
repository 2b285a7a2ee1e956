/**
 * Incidents resolved before stages recorded `endedBy` (core/stages.ts): every stage the resolution ended has only
 * its end time, the resolution's. What the incident recorded besides tells which of them the resolution cut short
 * — triage without a decision, a rollback whose latest attempt had not succeeded, a confirmation of rollbot's that
 * had not passed — and those read as ended by the resolution, as they would on an incident resolved today, not as
 * met. The ones that completed on their own still read as met.
 */
import { describe, expect, it } from 'vitest';
import { decide, resolve, trafficRestored, type Incident } from '../../../src/core/incident.js';
import { STAGES, stageResult } from '../../../src/core/stages.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { incidentMarkdown } from '../../../src/engine/report.js';
import { incidentDetail } from '../../../src/engine/views.js';
import { stageLine } from '../../../src/slack/blocks/incident-message.js';
import { makeDeps, type TestDeps } from '../../helpers/engine.js';
import { makeIncident, TEST_TARGETS } from '../../helpers/incidents.js';

const MINUTE = 60_000;

/** The incident as a build before `endedBy` stored its resolution: the same stage clocks, without `endedBy`. */
function oldShape(incident: Incident): Incident {
  const stages = Object.fromEntries(
    STAGES.map((stage) => {
      const { endedBy: _dropped, ...clock } = incident.stages[stage];
      return [stage, clock];
    }),
  ) as Incident['stages'];
  return { ...incident, stages };
}

/** Stores an incident opened 5m ago, brought along by `before`, then resolved 1m ago as an old build stored it. */
async function storedOld(
  deps: TestDeps,
  before: (incident: Incident, now: number) => Incident,
): Promise<string> {
  const now = deps.clock.now();
  const id = await deps.store.nextIncidentId();
  await deps.store.createIfNoneOpen(makeIncident({ id, at: now - 5 * MINUTE, targets: TEST_TARGETS }));
  await mutateIncident(deps.store, id, (current) => ({
    ...oldShape(resolve(before(current, now), now - MINUTE)),
    resolution: { by: 'U0LEAD', reason: 'fixed upstream' },
  }));
  const stored = await deps.store.getIncident(id);
  expect(STAGES.some((stage) => stored?.stages[stage].endedBy !== undefined)).toBe(false);
  return id;
}

const decided = (incident: Incident, now: number): Incident =>
  decide(incident, {
    kind: 'rollback',
    by: 'U0ONCALL',
    at: now - 4 * MINUTE,
    reason: 'v2',
    trigger: 'slack',
  });

const rolledBack = (incident: Incident, now: number, status: 'succeeded' | 'failed'): Incident => {
  const next: Incident = {
    ...decided(incident, now),
    rollback: {
      attempt: 1,
      status,
      plan: { from: 'v2', to: 'v1', regime: 'traffic-flip', etaMs: 5_000, actions: [], data: {} },
      target: 'kserve ml-prod/fraud-scorer',
      by: 'U0ONCALL',
      trigger: 'slack',
      reason: 'v2',
      startedAt: now - 4 * MINUTE,
      endedAt: now - 3 * MINUTE,
    },
  };
  return status === 'succeeded' ? trafficRestored(next, now - 3 * MINUTE) : next;
};

async function results(deps: TestDeps, id: string): Promise<Record<string, string>> {
  const detail = await incidentDetail(deps, id);
  return Object.fromEntries(detail.stages.map((stage) => [stage.stage, stageResult(stage)]));
}

describe('an incident resolved before stages recorded how they ended', () => {
  it('shows a triage the resolution ended without a decision as ended by it, in every view', async () => {
    const deps = makeDeps();
    const id = await storedOld(deps, (incident) => incident);

    expect(await results(deps, id)).toMatchObject({ detect: 'met', triage: 'ended-by-resolution' });
    const detail = await incidentDetail(deps, id);
    const triage = detail.stages.find((stage) => stage.stage === 'triage')!;
    expect(stageLine(triage)).toContain('ended by the resolution');
    expect(stageLine(triage)).not.toContain('✓');
    expect(incidentMarkdown(detail)).toMatch(/\| triage \| done \| 4m \| 10m \| ended by the resolution \|/);
  });

  it("shows a rollback whose attempt failed, and a confirmation of rollbot's that had not passed, as ended by it", async () => {
    const deps = makeDeps();
    const failed = await storedOld(deps, (incident, now) => rolledBack(incident, now, 'failed'));
    expect(await results(deps, failed)).toMatchObject({ triage: 'met', rollback: 'ended-by-resolution' });

    const polling = await storedOld(deps, (incident, now) => {
      const confirming = rolledBack(incident, now, 'succeeded');
      return {
        ...confirming,
        confirmation: { startedAt: now - 4 * MINUTE, baselines: {}, outcomes: ['fail'] },
      };
    });
    expect(await results(deps, polling)).toMatchObject({
      triage: 'met',
      rollback: 'met',
      confirm: 'ended-by-resolution',
    });
  });

  it('still shows stages that completed on their own as met', async () => {
    const deps = makeDeps();
    const passed = await storedOld(deps, (incident, now) => {
      const confirming = rolledBack(incident, now, 'succeeded');
      return {
        ...confirming,
        confirmation: { startedAt: now - 4 * MINUTE, baselines: {}, outcomes: ['pass'], verdict: 'PASS' },
      };
    });
    expect(await results(deps, passed)).toMatchObject({
      detect: 'met',
      triage: 'met',
      rollback: 'met',
      confirm: 'met',
      retro: 'running',
    });
  });
});
