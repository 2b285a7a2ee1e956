import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pollDeadlines } from '../../src/engine/poller.js';
import { CONFIRM_POLL } from '../../src/engine/confirm-poll.js';
import { resolve } from '../../src/engine/resolve.js';
import { rollback } from '../../src/engine/rollback.js';
import { TestClock, type TestDeps } from '../helpers/engine.js';
import { confirmingReplicas, timelineTypes, useRedisStores } from '../helpers/replicas.js';

const redisStore = useRedisStores();
/** Two replicas of a bot whose runbook confirms on the error rate, which is back under its threshold. */
function replicas(prefix: string, clock: TestClock) {
  const { first, survivor } = confirmingReplicas(redisStore(prefix), redisStore(prefix), clock);
  return [first, survivor];
}

const request = {
  model: 'fraud-scorer',
  reason: 'p99 doubled after v42',
  by: 'cli:ana',
  trigger: 'cli',
} as const;

async function pollBoth(deps: TestDeps[], steps: number): Promise<void> {
  for (let step = 0; step < steps; step++) {
    deps[0]!.clock.advance(10_000);
    await Promise.all(deps.map((replica) => pollDeadlines(replica)));
  }
}

const pendingKinds = async (deps: TestDeps) => (await deps.store.pending()).map((deadline) => deadline.kind);

describe('a confirmation with two replicas polling', () => {
  it('polls each time once, resolves once and leaves no poll behind', async () => {
    const [first, second] = replicas(`test:${randomUUID()}:`, new TestClock());
    expect(await rollback(first!, request)).toMatchObject({ outcome: 'succeeded' });

    await pollBoth([first!, second!], 30);
    const types = await timelineTypes(first!.store);
    expect(types.filter((type) => type === 'confirm.poll')).toHaveLength(3);
    expect(types.filter((type) => type === 'incident.resolved')).toHaveLength(1);
    expect(await first!.store.getIncident('INC-1')).toMatchObject({
      phase: 'resolved',
      confirmation: { verdict: 'PASS' },
    });
    expect(await pendingKinds(first!)).not.toContain(CONFIRM_POLL);
  });

  it('stops polling once a person resolves the incident', async () => {
    const [first, second] = replicas(`test:${randomUUID()}:`, new TestClock());
    await rollback(first!, request);
    await pollBoth([first!, second!], 4);
    expect(await pendingKinds(first!)).toContain(CONFIRM_POLL);

    await resolve(second!, 'INC-1', { by: 'U0ONCALL', reason: 'dashboards are back to normal' });
    expect(await pendingKinds(first!)).not.toContain(CONFIRM_POLL);
    const polls = (await timelineTypes(first!.store)).filter((type) => type === 'confirm.poll');
    await pollBoth([first!, second!], 6);
    expect((await timelineTypes(first!.store)).filter((type) => type === 'confirm.poll')).toEqual(polls);
  });
});
