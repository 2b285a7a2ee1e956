import { describe, expect, it } from 'vitest';
import { approveRollback, requestRollback } from '../../../src/engine/rollback-request.js';
import { actingAs } from '../../../src/engine/group-membership.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, snapshotGroups } from '../../helpers/engine.js';

/** Two-person: U0ANA is listed herself, the rest of the on-call through S0ONCALL1, of which no snapshot exists. */
function world() {
  const deps = makeDeps({
    runbooks: [
      makeRunbook('fraud-scorer', 'rollback: { policy: two-person, approvers: [U0ANA, S0ONCALL1] }'),
    ],
  });
  return { deps, context: { runbooks: deps.runbooks, groupsOf: snapshotGroups(deps) } };
}

describe('actingAs: a refusal says a group could not be checked only when the group could have let them in', () => {
  it('explains the refusal of someone not listed while S0ONCALL1 could not be checked', async () => {
    const { deps, context } = world();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const asked = actingAs(context, { userId: 'U0BO', model: 'fraud-scorer' }, (actor) =>
      requestRollback(deps, { model: 'fraud-scorer', reason: 'p99', actor, trigger: 'api' }),
    );
    await expect(asked).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(
        /^U0BO may not roll back fraud-scorer: the runbook allows U0ANA, S0ONCALL1; membership of S0ONCALL1 could not be checked: /,
      ),
    });
  });

  it("keeps the two-person rule's refusal as it is: it is not about groups", async () => {
    const { deps, context } = world();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const asAna = <T>(work: (actor: { id: string; groups: readonly string[] }) => Promise<T>) =>
      actingAs(context, { userId: 'U0ANA', model: 'fraud-scorer' }, work);
    await asAna((actor) =>
      requestRollback(deps, { model: 'fraud-scorer', reason: 'p99', actor, trigger: 'api' }),
    );
    await expect(
      asAna((actor) => approveRollback(deps, { model: 'fraud-scorer', actor, trigger: 'api' })),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message:
        'U0ANA may not approve their own rollback request: the two-person rule needs a different approver',
    });
  });

  it('passes other errors on unchanged', async () => {
    const { context } = world();
    const failure = new Error('store down');
    await expect(
      actingAs(context, { userId: 'U0BO', model: 'fraud-scorer' }, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
  });
});
