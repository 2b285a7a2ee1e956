import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dismiss } from '../../src/engine/decisions.js';
import { approveRollback, requestRollback } from '../../src/engine/rollback-request.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { pendingKey, readPending } from '../../src/engine/pending-rollback.js';
import { firing } from '../helpers/alerts.js';
import { makeDeps, makeRunbook, TestClock } from '../helpers/engine.js';
import { FakeServing } from '../helpers/fake-serving.js';
import { useRedisStores } from '../helpers/replicas.js';
import { afterFirstRead, sameInstant, waitingAndRefused } from '../helpers/same-instant.js';

const redisStore = useRedisStores();

describe('two-person requests on two replicas of one Redis', () => {
  it('let the first wait and refuse the second, made at the same instant, with whose is waiting', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const fake = new FakeServing();
    const runbooks = [makeRunbook('fraud-scorer', 'rollback: { policy: two-person, approvers: [] }')];
    const together = sameInstant(2, pendingKey('fraud-scorer'));
    const [one, two] = [0, 1].map(() =>
      makeDeps({ store: together(redisStore(prefix)), clock, fake, runbooks }),
    ) as [ReturnType<typeof makeDeps>, ReturnType<typeof makeDeps>];
    await ingestAlerts(one, [firing('fraud-scorer', clock.now())]);

    const ask = (deps: typeof one, id: string, to: string) =>
      requestRollback(deps, {
        model: 'fraud-scorer',
        reason: `roll back to ${to}`,
        actor: { id, groups: [] },
        trigger: 'slack',
        to,
      });
    const results = await Promise.allSettled([ask(one, 'U0ANA', 'v41'), ask(two, 'U0BO', 'v40')]);

    const { waiting, refused } = waitingAndRefused(results);
    expect(waiting).toHaveLength(1);
    const first = waiting[0]!;
    expect(refused).toEqual([
      expect.objectContaining({
        code: 'CONFLICT',
        message: `${first.requestedBy} requested a rollback of fraud-scorer to ${first.to} at 2026-11-22T02:00:00.000Z (roll back to ${first.to}); it is waiting for approval`,
      }),
    ]);
    const asked = [one, two].flatMap((deps) => deps.notifier.ofType('decision.requested'));
    expect(asked).toHaveLength(1);
    const approved = await approveRollback(two, {
      model: 'fraud-scorer',
      actor: { id: 'U0CAROL', groups: [] },
      trigger: 'slack',
    });
    expect(approved.plan.to).toBe(first.to);
    expect(fake.mutations).toBe(1);
  });
});

describe('a two-person request replaced on one replica while another approves or drops it', () => {
  const carol = { id: 'U0CAROL', groups: [] };
  /** Two replicas of one Redis; on the second, `meanwhile` runs after the first read of the waiting request. */
  async function replicas(meanwhile: (one: ReturnType<typeof makeDeps>) => Promise<unknown>) {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const fake = new FakeServing();
    const runbooks = [makeRunbook('fraud-scorer', 'rollback: { policy: two-person, approvers: [] }')];
    const [first, second] = [0, 1].map(() => redisStore(prefix));
    const one = makeDeps({ store: first!, clock, fake, runbooks });
    const two = makeDeps({
      store: afterFirstRead(pendingKey('fraud-scorer'), () => meanwhile(one))(second!),
      clock,
      fake,
      runbooks,
    });
    await ingestAlerts(one, [firing('fraud-scorer', clock.now())]);
    return { one, two };
  }
  const ask = (deps: ReturnType<typeof makeDeps>, id: string, to: string) =>
    requestRollback(deps, {
      model: 'fraud-scorer',
      reason: `roll back to ${to}`,
      actor: { id, groups: [] },
      trigger: 'slack',
      to,
    });

  it('runs nothing when the requester replaced it after the approval read it, and tells the approver', async () => {
    const { one, two } = await replicas((one) => ask(one, 'U0ANA', 'v41'));
    await ask(one, 'U0ANA', 'v40');
    await expect(
      approveRollback(two, { model: 'fraud-scorer', actor: carol, trigger: 'slack' }),
    ).rejects.toThrow(
      'the waiting request changed while you approved it: U0ANA requested a rollback of fraud-scorer to v41',
    );
    expect(two.fake.mutations).toBe(0);
    const approved = await approveRollback(two, { model: 'fraud-scorer', actor: carol, trigger: 'slack' });
    expect(approved.plan.to).toBe('v41');
  });

  it('keeps a request made, not for the incident, after its dismissal read the waiting one', async () => {
    const { one, two } = await replicas((one) => ask(one, 'U0BO', 'v40'));
    await ask(one, 'U0ANA', 'v41');
    await dismiss(two, 'INC-1', { actor: carol, reason: 'upstream outage', trigger: 'slack' });
    expect(await readPending(one, 'fraud-scorer')).toMatchObject({ requestedBy: 'U0BO', to: 'v40' });
  });
});
