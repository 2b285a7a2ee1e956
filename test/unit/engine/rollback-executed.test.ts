/**
 * The record of a rollback attempt's change when the incident moved on between the attempt's start and its
 * execute's answer: the data execute kept goes on that attempt only, and the change is on the timeline either way.
 */
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../../src/core/incident.js';
import { beginRollback, finishRollback, type RollbackPlan } from '../../../src/core/rollback.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { recordExecuted } from '../../../src/engine/rollback-executed.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, type TestDeps } from '../../helpers/engine.js';

const KEPT = { operation: 'operations/42' };

function plan(data: Record<string, unknown>): RollbackPlan {
  return { from: 'v42', to: 'v41', regime: 'redeploy', etaMs: 600_000, actions: [], data };
}

/** INC-1 with rollback attempt 1 begun, as the rollback stored it. */
async function begun(deps: TestDeps): Promise<Incident> {
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  const start = { target: 'fake ml-prod/model', by: 'U0ONCALL', trigger: 'slack' as const, reason: 'errors' };
  const { incident } = await mutateIncident(deps.store, 'INC-1', (current) =>
    beginRollback(current, { ...start, plan: plan({ planned: true }), at: deps.clock.now() }),
  );
  return incident;
}

const executedEntries = async (deps: TestDeps) =>
  (await deps.store.list('INC-1')).filter((entry) => entry.type === 'rollback.executed');

describe('recording a change whose incident was written since the attempt began', () => {
  it("still keeps the data with the attempt's plan, when it is the latest attempt", async () => {
    const deps = makeDeps();
    const started = await begun(deps);
    // Another replica marked it unknown meanwhile (its lock lapsed): its next look needs the data too.
    await mutateIncident(deps.store, 'INC-1', (current) =>
      finishRollback(current, 'unknown', deps.clock.now(), 'rollbot stopped during the rollback'),
    );

    await recordExecuted(deps, { incident: started, attempt: 1, text: 'change made' }, KEPT);

    expect((await deps.store.getIncident('INC-1'))?.rollback).toMatchObject({
      attempt: 1,
      status: 'unknown',
      plan: { data: { planned: true, ...KEPT } },
    });
    expect(await executedEntries(deps)).toMatchObject([{ text: 'change made' }]);
  });

  it('leaves a later attempt’s plan alone, and still records the change', async () => {
    const deps = makeDeps();
    const started = await begun(deps);
    await mutateIncident(deps.store, 'INC-1', (current) =>
      beginRollback(finishRollback(current, 'unknown', deps.clock.now()), {
        plan: plan({ retried: true }),
        target: 'fake ml-prod/model',
        by: 'U0SECOND',
        trigger: 'slack',
        reason: 'again',
        at: deps.clock.now(),
      }),
    );

    await recordExecuted(deps, { incident: started, attempt: 1, text: 'change made' }, KEPT);

    expect((await deps.store.getIncident('INC-1'))?.rollback).toMatchObject({
      attempt: 2,
      plan: { data: { retried: true } },
    });
    expect((await deps.store.getIncident('INC-1'))?.rollback?.plan.data).not.toHaveProperty('operation');
    expect(await executedEntries(deps)).toMatchObject([{ text: 'change made' }]);
  });
});
