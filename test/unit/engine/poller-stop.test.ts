/**
 * Stopping the deadline poller (SIGTERM) while a claim is on its way to the store: the deadlines that claim hands
 * out are handled before stop() resolves, not after, when the bot goes on to flush Slack and close the store.
 */
import { describe, expect, it } from 'vitest';
import { STAGE_TARGET } from '../../../src/engine/escalation.js';
import { startDeadlinePoller } from '../../../src/engine/poller.js';
import { makeDeps } from '../../helpers/engine.js';

describe('stopping the deadline poller', () => {
  it('waits for the deadlines of a claim in flight, which would otherwise be handled after it stopped', async () => {
    const deps = makeDeps();
    // Its incident was never stored: handled at once, and completed.
    await deps.store.schedule({
      id: 'INC-7:triage',
      kind: STAGE_TARGET,
      dueAt: deps.clock.now(),
      payload: { incidentId: 'INC-7', stage: 'triage' },
    });
    const claimDue = deps.store.claimDue.bind(deps.store);
    let claiming!: () => void;
    let answer!: () => void;
    const claimStarted = new Promise<void>((resolve) => (claiming = resolve));
    const answered = new Promise<void>((resolve) => (answer = resolve));
    deps.store.claimDue = async (...args) => {
      claiming();
      await answered;
      return claimDue(...args);
    };
    let stopped = false;
    const completedAfterStop: string[] = [];
    const complete = deps.store.complete.bind(deps.store);
    deps.store.complete = async (deadline, claimedUntil) => {
      if (stopped) completedAfterStop.push(deadline.id);
      return complete(deadline, claimedUntil);
    };

    const poller = startDeadlinePoller(deps, 5);
    await claimStarted;
    const stopping = poller.stop().then(() => (stopped = true));
    answer();
    await stopping;
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(completedAfterStop).toEqual([]);
    expect(await deps.store.pending()).toEqual([]);
  });
});
