import { describe, expect, it } from 'vitest';
import type { NotifierEvent } from '../../../src/engine/notifier-port.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { approveRollback, requestRollback } from '../../../src/engine/rollback-request.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';

/**
 * A two-person request nobody sees blocks everyone else's requests for its hour (they are told to approve it),
 * so its post must not die queued with the requester's replica: a deadline a minute on posts it if it did not
 * arrive.
 */

const MINUTE = 60_000;
const ana = { id: 'U0ANA', groups: [] };
const bo = { id: 'U0BO', groups: [] };
const runbooks = [makeRunbook('fraud-scorer', 'rollback: { policy: two-person, approvers: [] }')];

const ask = (deps: TestDeps, to = 'v41') =>
  requestRollback(deps, { model: 'fraud-scorer', reason: 'errors', actor: ana, trigger: 'slack', to });

/** The requests for a second person handed to the notifier to deliver (a triage's own requests aside). */
const requestsDelivered = (deps: TestDeps): NotifierEvent[] =>
  deps.notifier.delivered.filter(
    (event) =>
      (event.type === 'decision.requested' && event.requestedAt !== undefined) ||
      (event.type === 'channel.message' && event.approveRollback !== undefined),
  );

/** The requester's replica dies with the post queued: its delivery never ends. */
function dyingWithItQueued(deps: TestDeps): void {
  deps.notifier.arrival = () => new Promise<boolean>(() => undefined);
}

/** Another replica, a minute on: its deliveries arrive. */
async function aMinuteOn(deps: TestDeps): Promise<void> {
  deps.notifier.arrival = async () => true;
  deps.clock.advance(MINUTE);
  await pollDeadlines(deps);
}

describe("a two-person request's post", () => {
  it('is posted in the incident thread by its deadline when the replica that saved it died with it queued', async () => {
    const deps = makeDeps({ runbooks });
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    dyingWithItQueued(deps);
    const asked = await ask(deps);
    expect(asked.status).toBe('awaiting-approval');

    await aMinuteOn(deps);
    const requests = requestsDelivered(deps);
    expect(requests).toHaveLength(2);
    expect(requests[1]).toMatchObject({
      type: 'decision.requested',
      incident: { id: 'INC-1' },
      policy: 'two-person',
      requestedAt: asked.status === 'awaiting-approval' ? asked.pending.at : -1,
      text: expect.stringContaining('requested by U0ANA: errors. Two-person rule'),
    });

    // Posted now: a later look posts nothing more.
    await aMinuteOn(deps);
    expect(requestsDelivered(deps)).toHaveLength(2);
  });

  it('is posted in the channel, with its Approve button, when the model had no incident', async () => {
    const deps = makeDeps({ runbooks });
    dyingWithItQueued(deps);
    await ask(deps);

    await aMinuteOn(deps);
    const requests = requestsDelivered(deps);
    expect(requests).toHaveLength(2);
    expect(requests[1]).toMatchObject({
      type: 'channel.message',
      channel: 'C0TEST0001',
      approveRollback: { model: 'fraud-scorer' },
    });
  });

  it('is posted once when it arrived: the deadline finds it posted', async () => {
    const deps = makeDeps({ runbooks });
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await ask(deps);
    await aMinuteOn(deps);
    expect(requestsDelivered(deps)).toHaveLength(1);
  });

  it('is not posted again once the request was approved, or replaced by a newer one', async () => {
    const deps = makeDeps({ runbooks });
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    dyingWithItQueued(deps);
    await ask(deps);
    deps.notifier.arrival = async () => true;
    await approveRollback(deps, { model: 'fraud-scorer', actor: bo, trigger: 'slack' });
    await aMinuteOn(deps);
    expect(requestsDelivered(deps)).toHaveLength(1);

    const other = makeDeps({ runbooks });
    dyingWithItQueued(other);
    await ask(other, 'v41');
    other.clock.advance(10_000);
    other.notifier.arrival = async () => true;
    await ask(other, 'v40'); // Ana changed her mind: the first request is gone, the second was posted
    await aMinuteOn(other);
    expect(requestsDelivered(other).map((event) => ('text' in event ? event.text : ''))).toEqual([
      expect.stringContaining('to v41'),
      expect.stringContaining('to v40'),
    ]);
  });

  it('is not posted once its incident was resolved: nobody may approve it any more', async () => {
    const deps = makeDeps({ runbooks });
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    dyingWithItQueued(deps);
    await ask(deps);
    // Resolving does not drop the waiting request (only a dismissal does): an approval of it is refused.
    await resolve(deps, 'INC-1', { by: 'U0BO', reason: 'recovered by itself' });
    await expect(
      approveRollback(deps, { model: 'fraud-scorer', actor: bo, trigger: 'slack' }),
    ).rejects.toThrow(/resolved/);

    await aMinuteOn(deps);
    expect(requestsDelivered(deps)).toHaveLength(1);
  });
});

describe('a two-person request nobody has approved', () => {
  const HALF_HOUR = 30 * MINUTE;

  /** The request's posts handed to the notifier, whether delivered or only notified. */
  const requestPosts = (deps: TestDeps) =>
    deps.notifier.events.filter(
      (event) => event.type === 'decision.requested' && event.requestedAt !== undefined,
    );

  it('is put before approvers again halfway through its hour, with its button, saying when it lapses', async () => {
    const deps = makeDeps({ runbooks });
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const asked = await ask(deps);
    if (asked.status !== 'awaiting-approval') throw new Error('not waiting');
    deps.clock.advance(HALF_HOUR);
    await pollDeadlines(deps);

    const [first, reminder, ...more] = requestPosts(deps);
    expect(more).toEqual([]);
    expect(reminder).toMatchObject({
      requestedAt: first?.type === 'decision.requested' ? first.requestedAt : -1,
      policy: 'two-person',
      text: expect.stringMatching(
        /^still waiting for a second approver: rollback of fraud-scorer to v41 requested by U0ANA: errors\..*lapses at 2026-11-22T03:00:00\.000Z unless approved/,
      ),
    });
    const entries = await deps.store.list('INC-1');
    expect(entries.filter((entry) => entry.type === 'rollback.request.reminded')).toHaveLength(1);
  });

  it('is not put before anyone again once approved, replaced, or its incident ended', async () => {
    const approved = makeDeps({ runbooks });
    await ingestAlerts(approved, [firing('fraud-scorer', approved.clock.now())]);
    await ask(approved);
    await approveRollback(approved, { model: 'fraud-scorer', actor: bo, trigger: 'slack' });
    approved.clock.advance(HALF_HOUR);
    await pollDeadlines(approved);
    expect(requestPosts(approved)).toHaveLength(1);

    const replaced = makeDeps({ runbooks });
    await ask(replaced, 'v41');
    replaced.clock.advance(MINUTE);
    await ask(replaced, 'v40');
    replaced.clock.advance(HALF_HOUR - MINUTE);
    await pollDeadlines(replaced); // the first's reminder is due; the second's is a minute off
    const reminders = replaced.notifier
      .ofType('channel.message')
      .filter((event) => event.text.startsWith('still waiting'));
    expect(reminders).toEqual([]);

    const ended = makeDeps({ runbooks });
    await ingestAlerts(ended, [firing('fraud-scorer', ended.clock.now())]);
    await ask(ended);
    await resolve(ended, 'INC-1', { by: 'U0BO', reason: 'recovered on its own' });
    ended.clock.advance(HALF_HOUR);
    await pollDeadlines(ended);
    expect(requestPosts(ended)).toHaveLength(1);
  });
});
