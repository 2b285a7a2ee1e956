/**
 * The triage stage ends once, with the decision that is stored: its duration is observed once, by whoever stored
 * it, not also by a rollback refused because another had begun meanwhile.
 */
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../../src/core/incident.js';
import { startRollbackOnIncident } from '../../../src/engine/rollback-incident.js';
import { makeDeps, metricValue } from '../../helpers/engine.js';
import { makeIncident } from '../../helpers/incidents.js';

const MINUTE = 60_000;

describe('the triage duration of an incident two people roll back at once', () => {
  it('is observed once, for the rollback that was stored', async () => {
    const deps = makeDeps();
    const opened = makeIncident({ id: await deps.store.nextIncidentId(), at: deps.clock.now() });
    await deps.store.createIfNoneOpen(opened);
    const runbook = deps.runbooks.require('fraud-scorer');
    const scope = { model: 'fraud-scorer', serving: runbook.serving, executes: true };
    const start = (by: string) => ({
      plan: { from: 'v2', to: 'v1', regime: 'traffic-flip' as const, etaMs: 5_000, actions: [], data: {} },
      target: 'kserve ml-prod/fraud-scorer',
      by,
      trigger: 'slack' as const,
      reason: 'accuracy fell after v2',
      at: deps.clock.now(),
    });
    deps.clock.advance(3 * MINUTE);

    // The second person's replica read the incident in triage, before the first rollback was stored.
    const stale: Incident = opened;
    const second = { ...deps, store: { ...deps.store, openIncidentFor: async () => stale } };
    await startRollbackOnIncident(deps, runbook, scope, start('U0ANA'));
    await expect(startRollbackOnIncident(second, runbook, scope, start('U0BO'))).rejects.toMatchObject({
      code: 'LOCKED',
    });

    // The +Inf bucket counts every observation.
    const observed = await metricValue(deps.metrics, 'rollbot_stage_duration_seconds', {
      stage: 'triage',
      le: '+Inf',
    });
    expect(observed).toBe(1);
  });
});
