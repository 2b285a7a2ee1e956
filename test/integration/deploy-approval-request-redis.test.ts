/**
 * The channel's request for a deployment approval, on Redis as deployed, with two replicas on one prefix: it is
 * marked asked only once it reached Slack, so that a request Slack gave up on (or one lost with its replica) is
 * posted again at CI's next poll of the gate instead of leaving nobody asked for a day; and replicas polled at
 * once still post one.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { recordDeployment } from '../../src/engine/deployments.js';
import { deploymentGate } from '../../src/engine/gate.js';
import type { Runbook } from '../../src/runbooks/schema.js';
import { makeDeps, makeRunbook, type TestDeps } from '../helpers/engine.js';
import { useRedisStores } from '../helpers/replicas.js';

const redisStore = useRedisStores();
const RUNBOOK: Runbook = makeRunbook('fraud-scorer'); // tier 1: every deployment needs an approval

/** Two replicas of one bot on one Redis prefix and one clock, each with its own notifier; v41 recorded. */
async function replicas(): Promise<[TestDeps, TestDeps]> {
  const prefix = `test:${randomUUID()}:`;
  const one = makeDeps({ runbooks: [RUNBOOK], store: redisStore(prefix) });
  const two = makeDeps({ runbooks: [RUNBOOK], store: redisStore(prefix), clock: one.clock, fake: one.fake });
  await recordDeployment(one, { model: 'fraud-scorer', version: 'v41', strategy: 'canary', by: 'ci' });
  return [one, two];
}

const poll = (deps: TestDeps) => deploymentGate(deps, 'fraud-scorer', { requestApproval: true });
const requests = (deps: TestDeps) =>
  deps.notifier.ofType('channel.message').filter((event) => event.approveDeployment !== undefined);

describe('the approval request of a gate CI polls, on two replicas', () => {
  it('is posted again at the next poll when Slack gave up on the first, then no more', async () => {
    const [one, two] = await replicas();
    one.notifier.arrival = async () => false; // Slack down for the notifier's whole retry budget

    expect(await poll(one)).toMatchObject({ status: 'approval required' });
    expect(requests(one)).toHaveLength(1);

    expect(await poll(two)).toMatchObject({ status: 'approval required' });
    expect(requests(two)).toHaveLength(1);
    expect(two.notifier.delivered).toHaveLength(1);

    await poll(one);
    await poll(two);
    expect(requests(one)).toHaveLength(1);
    expect(requests(two)).toHaveLength(1);
  });

  it('is posted once when both replicas are polled while it is on its way', async () => {
    const [one, two] = await replicas();
    let arrive = (_arrived: boolean): void => undefined;
    let handedOver = (): void => undefined;
    const onItsWay = new Promise<void>((resolve) => (handedOver = resolve));
    one.notifier.arrival = () => {
      handedOver();
      return new Promise<boolean>((resolve) => (arrive = resolve));
    };

    const first = poll(one);
    await onItsWay;
    expect(await poll(two)).toMatchObject({ status: 'approval required' });
    arrive(true);
    expect(await first).toMatchObject({ status: 'approval required' });
    await poll(two);

    expect(requests(one)).toHaveLength(1);
    expect(requests(two)).toEqual([]);
    expect(requests(one)[0]).toMatchObject({
      channel: 'C0TEST0001',
      approveDeployment: { model: 'fraud-scorer', askedFor: expect.stringMatching(/^deployment:\d+$/) },
    });
  });
});
