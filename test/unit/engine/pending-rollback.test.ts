import { describe, expect, it } from 'vitest';
import { isRollbotError } from '../../../src/core/errors.js';
import type { Actor } from '../../../src/core/policy.js';
import { dismiss } from '../../../src/engine/decisions.js';
import { approveRollback, requestRollback } from '../../../src/engine/rollback-request.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pendingKey, readPending } from '../../../src/engine/pending-rollback.js';
import type { Store } from '../../../src/engine/ports.js';
import { rollback } from '../../../src/engine/rollback.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { afterFirstRead, sameInstant, waitingAndRefused } from '../../helpers/same-instant.js';

const ana = { id: 'U0ANA', groups: [] };
const bo = { id: 'U0BO', groups: [] };
const carol = { id: 'U0CAROL', groups: [] };
const runbooks = [makeRunbook('fraud-scorer', 'rollback: { policy: two-person, approvers: [] }')];

async function withIncident(): Promise<TestDeps> {
  const deps = makeDeps({ runbooks });
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  return deps;
}

/** The same process and store, from here on with its next two requests interleaved: both read, then write. */
function interleaved(deps: TestDeps): TestDeps {
  const together = sameInstant(2, pendingKey('fraud-scorer'));
  return makeDeps({ runbooks, clock: deps.clock, fake: deps.fake, store: together(deps.store) });
}

const ask = (deps: TestDeps, actor: Actor, to: string) =>
  requestRollback(deps, { model: 'fraud-scorer', reason: `roll back to ${to}`, actor, trigger: 'slack', to });

describe('two-person requests made at the same instant', () => {
  it('let the first wait and refuse the second with whose is waiting, as if it came a moment later', async () => {
    const deps = interleaved(await withIncident());
    const { waiting, refused } = waitingAndRefused(
      await Promise.allSettled([ask(deps, ana, 'v41'), ask(deps, bo, 'v40')]),
    );
    expect(waiting).toHaveLength(1);
    const first = waiting[0]!;
    expect(refused).toEqual([
      expect.objectContaining({
        code: 'CONFLICT',
        message: `${first.requestedBy} requested a rollback of fraud-scorer to ${first.to} at 2026-11-22T02:00:00.000Z (roll back to ${first.to}); it is waiting for approval`,
      }),
    ]);
    // Approvers were asked once, about the request that waits, and approving runs that one.
    expect(deps.notifier.ofType('decision.requested')).toHaveLength(1);
    const requested = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'rollback.requested');
    expect(requested).toHaveLength(1);
    const approved = await approveRollback(deps, { model: 'fraud-scorer', actor: carol, trigger: 'slack' });
    expect(approved.plan.to).toBe(first.to);
  });

  it('let one replace a request that no longer counts, and refuse the other', async () => {
    const setup = await withIncident();
    await ask(setup, carol, 'v41');
    // A rollback ran on the incident after Carol asked: her request no longer counts and may be replaced.
    await rollback(setup, { model: 'fraud-scorer', reason: 'errors', by: 'cli:dan', trigger: 'cli' });
    const deps = interleaved(setup);
    const { waiting, refused } = waitingAndRefused(
      await Promise.allSettled([ask(deps, ana, 'v40'), ask(deps, bo, 'v39')]),
    );
    expect(waiting).toHaveLength(1);
    const first = waiting[0]!;
    expect(refused).toEqual([
      expect.objectContaining({
        code: 'CONFLICT',
        message: expect.stringContaining(
          `${first.requestedBy} requested a rollback of fraud-scorer to ${first.to}`,
        ),
      }),
    ]);
    expect(await readPending(deps, 'fraud-scorer')).toEqual(first);
  });

  it('give up after a few tries when another request is saved between every read and write', async () => {
    const setup = await withIncident();
    // Another writer wins every compare-and-set: a contention that should never last, and must not loop.
    const store: Store = { ...setup.store, compareAndSetValue: async () => false };
    const deps = makeDeps({ runbooks, clock: setup.clock, fake: setup.fake, store });
    const refusal = await ask(deps, ana, 'v41').catch((error: unknown) => error);
    expect(isRollbotError(refusal) && [refusal.code, refusal.message, refusal.hint]).toEqual([
      'CONFLICT',
      'the waiting rollback request of fraud-scorer changed each time yours was about to be saved (3 tries): yours was not saved',
      'others are requesting or approving a rollback of fraud-scorer right now: see its incident thread or channel, then request again (/rollback fraud-scorer) if it is still needed',
    ]);
    expect(await readPending(deps, 'fraud-scorer')).toBeUndefined();
    expect(deps.notifier.events).toEqual([]);
  });
});

/** The same store and clock, on which the first read of the waiting request is followed by `meanwhile`. */
function readThen(deps: TestDeps, meanwhile: () => Promise<unknown>): TestDeps {
  const store = afterFirstRead(pendingKey('fraud-scorer'), meanwhile)(deps.store);
  return makeDeps({ runbooks, clock: deps.clock, fake: deps.fake, store });
}

describe('a waiting request that changes while it is approved or dropped', () => {
  it('is not approved: the approver is told what waits now, nothing runs, and it still waits', async () => {
    const setup = await withIncident();
    await ask(setup, ana, 'v40');
    // Ana replaces her request (she was told "Requested") after Carol's approval read the first one. The clock
    // has not moved: the replacement is saved a millisecond after the request it replaces, which it must be told from.
    const deps = readThen(setup, () => ask(setup, ana, 'v41'));
    const refusal = await approveRollback(deps, {
      model: 'fraud-scorer',
      actor: carol,
      trigger: 'slack',
    }).catch((error: unknown) => error);
    expect(isRollbotError(refusal) && [refusal.code, refusal.message, refusal.hint]).toEqual([
      'CONFLICT',
      'the waiting request changed while you approved it: U0ANA requested a rollback of fraud-scorer to v41 at 2026-11-22T02:00:00.001Z (roll back to v41); nothing was rolled back',
      'approve it again if you agree with it',
    ]);
    expect(deps.fake.mutations).toBe(0);
    expect((await readPending(deps, 'fraud-scorer'))?.to).toBe('v41');
    const approved = await approveRollback(deps, { model: 'fraud-scorer', actor: carol, trigger: 'slack' });
    expect(approved.plan.to).toBe('v41');
  });

  it('is kept by a dismissal when it was made, not for that incident, after the dismissal read it', async () => {
    const setup = await withIncident();
    await ask(setup, ana, 'v41');
    // While INC-1 is being dismissed, it stops counting: Bo's request, made with no incident open, replaces Ana's.
    const deps = readThen(setup, () => ask(setup, bo, 'v40'));
    await dismiss(deps, 'INC-1', { actor: carol, reason: 'upstream outage', trigger: 'slack' });
    const waiting = await readPending(deps, 'fraud-scorer');
    expect(waiting).toMatchObject({ requestedBy: 'U0BO', to: 'v40' });
    expect(waiting?.incidentId).toBeUndefined();
    expect(deps.notifier.events.at(-1)).toMatchObject({
      text: 'not a rollback — decided by U0CAROL: upstream outage',
    });
    const approved = await approveRollback(deps, { model: 'fraud-scorer', actor: carol, trigger: 'slack' });
    expect(approved.plan.to).toBe('v40');
  });
});
