/**
 * A rollback asked on an incident (its message's Roll back, or its decision request's) holds to that incident
 * until the rollback is recorded on it, also when the incident ends while the rollback plans; a `/rollback`
 * holds to what was open for the model when it was planned; and a two-person
 * request runs, once approved, only from the version it was asked from.
 */
import { describe, expect, it } from 'vitest';
import { dismiss } from '../../../src/engine/decisions.js';
import { approveRollback, requestRollback } from '../../../src/engine/rollback-request.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, recordDeployments, type TestDeps } from '../../helpers/engine.js';
import { afterCall } from '../../helpers/same-instant.js';

const ana = { id: 'U0ANA', groups: [] };
const bo = { id: 'U0BO', groups: [] };

function fraudScorer(policy: 'approve' | 'two-person'): TestDeps {
  return makeDeps({
    runbooks: [makeRunbook('fraud-scorer', `rollback: { policy: ${policy}, approvers: [U0ANA, U0BO] }`)],
  });
}

describe('a rollback asked on an incident that ends while it plans', () => {
  it.each(['over', 'decided'] as const)(
    'is refused before anything changes, and opens no incident of its own (held until %s)',
    async (until) => {
      const deps = fraudScorer('approve');
      await recordDeployments(deps, 'fraud-scorer', ['v40', 'v41', 'v42']);
      await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
      // Ana decides "not a rollback" just as Bob's rollback has taken the model's lock, before it plans.
      const planning: TestDeps = {
        ...deps,
        store: afterCall(
          'acquire',
          () => dismiss(deps, 'INC-1', { actor: ana, reason: 'upstream outage', trigger: 'slack' }),
          (name) => name.startsWith('rollback:'),
        )(deps.store),
      };

      const asked = requestRollback(planning, {
        model: 'fraud-scorer',
        reason: 'p99 doubled',
        actor: bo,
        trigger: 'slack',
        to: 'v41',
        from: 'v42',
        actedOn: { incidentId: 'INC-1', until },
      });

      await expect(asked).rejects.toThrow(
        /^INC-1: this decision was made: U0ANA decided "not a rollback" \(upstream outage\) at /,
      );
      expect(deps.fake.calls).not.toContain('execute');
      expect(await deps.store.listIncidents({})).toHaveLength(1);
      expect(await deps.store.getIncident('INC-1')).toMatchObject({ phase: 'dismissed' });
    },
  );
});

describe('a /rollback planned with no incident open, when a real alert opens one while it plans', () => {
  it('is refused before anything changes, and is not put on the real incident', async () => {
    const deps = fraudScorer('approve');
    await recordDeployments(deps, 'fraud-scorer', ['v40', 'v41', 'v42']);
    // The alert arrives just as Bob's rollback has taken the model's lock, after its scope was read.
    const planning: TestDeps = {
      ...deps,
      store: afterCall(
        'acquire',
        () => ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]),
        (name) => name.startsWith('rollback:'),
      )(deps.store),
    };

    const asked = requestRollback(planning, {
      model: 'fraud-scorer',
      reason: 'p99 doubled',
      actor: bo,
      trigger: 'slack',
      to: 'v41',
      from: 'v42',
      actedOn: { drill: false, until: 'unchanged' },
    });

    await expect(asked).rejects.toThrow(
      "fraud-scorer's open incident changed since this rollback was planned: none was open; INC-1 is open now",
    );
    expect(deps.fake.calls).not.toContain('execute');
    expect(await deps.store.getIncident('INC-1')).toMatchObject({ phase: 'triage' });
    expect((await deps.store.getIncident('INC-1'))?.rollback).toBeUndefined();
  });
});

describe('a two-person request', () => {
  it('runs, once approved, only from the version it was asked from', async () => {
    const deps = fraudScorer('two-person');
    await recordDeployments(deps, 'fraud-scorer', ['v40', 'v41', 'v42']);
    await requestRollback(deps, {
      model: 'fraud-scorer',
      reason: 'p99 doubled',
      actor: ana,
      trigger: 'slack',
      to: 'v41',
      from: 'v42',
    });
    deps.fake.current = 'v43'; // deployed before anyone approved

    await expect(
      approveRollback(deps, { model: 'fraud-scorer', actor: bo, trigger: 'slack' }),
    ).rejects.toThrow(
      'fraud-scorer serves v43 now, not v42 as when this rollback was asked for; rollbot did not roll back again',
    );
    expect(deps.fake.calls).not.toContain('execute');
  });
});
