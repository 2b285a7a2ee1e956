/**
 * A digest or a two-person request's post still on its way after `arrivalWaitMs` fails its deadline, which comes
 * round again after its lease. One that arrives in between must be recorded then (its incidents listed, the
 * request marked posted), as an escalation is: by the time the deadline comes round there is nothing left on its
 * way to join, and it would be posted a second time.
 */
import { describe, expect, it } from 'vitest';
import { scheduleDigest } from '../../../src/engine/digest.js';
import { DEADLINE_LEASE_MS, pollDeadlines } from '../../../src/engine/poller.js';
import { requestRollback } from '../../../src/engine/rollback-request.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { makeIncident } from '../../helpers/incidents.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Deps whose deliveries wait `arrivalWaitMs` (5 ms) and whose next delivery is held until `arrive(outcome)`. */
function withSlowSlack(deps: TestDeps) {
  deps.timing = { ...deps.timing, arrivalWaitMs: 5 };
  let arrive = (_outcome: boolean): void => undefined;
  let holding = true;
  deps.notifier.arrival = () =>
    holding
      ? new Promise<boolean>((resolve) => {
          arrive = (outcome) => {
            holding = false;
            resolve(outcome);
          };
        })
      : Promise.resolve(true);
  return (outcome: boolean) => arrive(outcome);
}

/** Lets what an arrival sets off (its record in the store) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('a daily digest that Slack holds past arrivalWaitMs', () => {
  async function digestOnItsWay() {
    const deps = makeDeps();
    const now = deps.clock.now();
    await deps.store.createIfNoneOpen(makeIncident({ model: 'fraud-scorer', severity: 4, at: now }));
    await scheduleDigest(deps, 'C0TEST0001', now + HOUR);
    const arrive = withSlowSlack(deps);
    deps.clock.advance(HOUR);
    expect(await pollDeadlines(deps)).toBe(0); // still on its way: the deadline comes round again
    return { deps, arrive, digests: () => deps.notifier.ofType('channel.message') };
  }

  it('is recorded once it arrives, and not posted again when its deadline comes round', async () => {
    const { deps, arrive, digests } = await digestOnItsWay();
    arrive(true);
    await settle();
    deps.clock.advance(DEADLINE_LEASE_MS);
    expect(await pollDeadlines(deps)).toBe(1);
    expect(digests()).toHaveLength(1);
    expect(await deps.store.pending()).toEqual([]);
  });

  it('is posted again when its deadline comes round if it was given up on after all', async () => {
    const { deps, arrive, digests } = await digestOnItsWay();
    arrive(false);
    await settle();
    deps.clock.advance(DEADLINE_LEASE_MS);
    expect(await pollDeadlines(deps)).toBe(1);
    expect(digests()).toHaveLength(2);
  });
});

describe("a two-person request's post that Slack holds past arrivalWaitMs", () => {
  const runbooks = [makeRunbook('fraud-scorer', 'rollback: { policy: two-person, approvers: [] }')];
  const requestsDelivered = (deps: TestDeps) =>
    deps.notifier.delivered.filter(
      (event) => event.type === 'channel.message' && event.approveRollback !== undefined,
    );

  async function postOnItsWay() {
    const deps = makeDeps({ runbooks });
    // The requester's replica died with its post queued: the deadline a minute on posts it, and Slack is slow.
    deps.notifier.arrival = () => new Promise<boolean>(() => undefined);
    const actor = { id: 'U0ANA', groups: [] };
    await requestRollback(deps, {
      model: 'fraud-scorer',
      reason: 'errors',
      actor,
      trigger: 'slack',
      to: 'v41',
    });
    const arrive = withSlowSlack(deps);
    deps.clock.advance(MINUTE);
    await pollDeadlines(deps);
    expect(requestsDelivered(deps)).toHaveLength(2);
    return { deps, arrive, requestsDelivered: () => requestsDelivered(deps) };
  }

  it('is recorded once it arrives, and not posted again when its deadline comes round', async () => {
    const { deps, arrive, requestsDelivered } = await postOnItsWay();
    arrive(true);
    await settle();
    deps.clock.advance(DEADLINE_LEASE_MS);
    await pollDeadlines(deps);
    expect(requestsDelivered()).toHaveLength(2);
  });

  it('is posted again when its deadline comes round if it was given up on after all', async () => {
    const { deps, arrive, requestsDelivered } = await postOnItsWay();
    arrive(false);
    await settle();
    deps.clock.advance(DEADLINE_LEASE_MS);
    await pollDeadlines(deps);
    expect(requestsDelivered()).toHaveLength(3);
  });
});
