/**
 * A triage's decision request is recorded on the timeline (its done-mark) only once it has reached Slack, or
 * Slack gave up on it: never while it merely waits in a replica's queue, which dies with the replica.
 */
import { describe, expect, it } from 'vitest';
import { requestRollback } from '../../../src/engine/rollback-request.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { firing } from '../../helpers/alerts.js';
import { STAGING } from '../../helpers/drill-deps.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';

const MINUTE = 60_000;
/** The decision's stand-in comes due a minute after its triage (triage-decision.ts). */
const STAND_IN_GRACE = MINUTE;

/** Slack is down: nothing handed to this replica's notifier arrives, and it stops waiting almost at once. */
function slackDown(deps: TestDeps): void {
  deps.timing = { ...deps.timing, arrivalWaitMs: 5 };
  deps.notifier.arrival = () => new Promise<boolean>(() => undefined);
}

async function requests(deps: TestDeps) {
  return (await deps.store.list('INC-1')).filter((entry) => entry.type === 'decision.requested');
}

const pendingIds = async (deps: TestDeps) =>
  (await deps.store.pending()).map((deadline) => deadline.id).sort();

describe("a triage's decision request", () => {
  it('is recorded only once it has arrived: a replica killed with it still queued leaves it to another', async () => {
    const first = makeDeps();
    const second = makeDeps({ store: first.store, clock: first.clock });
    slackDown(first);
    // The alert is answered without anything waiting for Slack: triage (and its decision) is the poller's.
    await ingestAlerts(first, [firing('fraud-scorer', first.clock.now())]);
    expect(first.notifier.delivered).toEqual([]);

    // The triage run asks, waits in vain, and leaves the request on its way and its stand-in in place; the
    // triage itself is done and does not run again.
    expect(await pollDeadlines(first)).toBe(1);
    const triageAt = (await first.store.getIncident('INC-1'))?.triage?.at;
    expect(first.notifier.delivered).toMatchObject([{ type: 'decision.requested', triageAt }]);
    expect(await requests(first)).toEqual([]);
    expect(await pendingIds(first)).toEqual([`INC-1:decision:${triageAt}`, 'INC-1:triage']);

    // The first replica is SIGKILLed with the request in its queue. Its stand-in comes due on the second.
    first.clock.advance(STAND_IN_GRACE);
    expect(await pollDeadlines(second)).toBe(1);
    expect(second.notifier.delivered).toMatchObject([{ type: 'decision.requested', triageAt }]);
    expect(await requests(second)).toMatchObject([{ data: { triageAt, delivered: true } }]);
    expect(second.notifier.ofType('triage.completed')).toEqual([]);
    expect(await pendingIds(second)).toEqual(['INC-1:triage']);
  });

  it('comes round again while it is still on its way, and is recorded once it arrives', async () => {
    const deps = makeDeps();
    deps.timing = { ...deps.timing, arrivalWaitMs: 5 };
    let arrive = (_delivered: boolean): void => undefined;
    const arrival = new Promise<boolean>((resolve) => (arrive = resolve));
    deps.notifier.arrival = () => arrival;
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    expect(await pollDeadlines(deps)).toBe(1);

    // The stand-in finds it still on its way: it fails, to come round again after its lease.
    deps.clock.advance(STAND_IN_GRACE);
    expect(await pollDeadlines(deps)).toBe(0);
    expect(await requests(deps)).toEqual([]);

    // It arrives, and is recorded then (see below); the stand-in that comes round next finds it recorded.
    arrive(true);
    await new Promise((resolve) => setImmediate(resolve));
    deps.clock.advance(MINUTE);
    expect(await pollDeadlines(deps)).toBe(1);
    expect(await requests(deps)).toMatchObject([{ data: { delivered: true } }]);
    expect(await pendingIds(deps)).toEqual(['INC-1:triage']);
  });

  it('that arrives after its sender stopped waiting is recorded then, and not posted again by its stand-in', async () => {
    const deps = makeDeps();
    deps.timing = { ...deps.timing, arrivalWaitMs: 5 };
    let arrive = (_delivered: boolean): void => undefined;
    deps.notifier.arrival = () => new Promise<boolean>((resolve) => (arrive = resolve));
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    expect(await pollDeadlines(deps)).toBe(1);
    expect(await requests(deps)).toEqual([]);

    // Slack is back within the minute: the request arrives, with nothing left on its way for the stand-in to join.
    arrive(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await requests(deps)).toMatchObject([{ data: { delivered: true } }]);

    deps.clock.advance(STAND_IN_GRACE);
    expect(await pollDeadlines(deps)).toBe(1);
    expect(deps.notifier.delivered).toHaveLength(1);
    expect(await requests(deps)).toHaveLength(1);
    expect(await pendingIds(deps)).toEqual(['INC-1:triage']);
  });

  it('that Slack gave up on is recorded as such, and the triage target escalates as the fallback', async () => {
    const deps = makeDeps();
    deps.notifier.arrival = async () => false;
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    expect(await pollDeadlines(deps)).toBe(1);
    const [request, ...more] = await requests(deps);
    expect(more).toEqual([]);
    expect(request).toMatchObject({ data: { delivered: false } });
    expect(request?.text).toContain('could not be delivered');
    expect(request?.text).toContain('the triage target escalation');
    expect(await pendingIds(deps)).toEqual(['INC-1:triage']);

    deps.clock.advance(10 * MINUTE);
    expect(await pollDeadlines(deps)).toBe(1);
    expect(deps.notifier.ofType('escalation')).toMatchObject([{ stage: 'triage' }]);
  });
});

describe('decision requests made on a request path', () => {
  it('a two-person rollback request is handed over without waiting for Slack', async () => {
    const deps = makeDeps({
      runbooks: [makeRunbook('fraud-scorer', 'rollback: { policy: two-person, approvers: [] }')],
    });
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    slackDown(deps);
    const actor = { id: 'U0ANA', groups: [] };
    const result = await requestRollback(deps, {
      model: 'fraud-scorer',
      reason: 'errors',
      actor,
      trigger: 'slack',
    });
    // Answered while its post is still on its way (Slack never answers here); a deadline a minute on looks
    // again (rollback-request-post.test.ts).
    expect(result.status).toBe('awaiting-approval');
    expect(deps.notifier.ofType('decision.requested')).toHaveLength(1);
    expect(deps.notifier.delivered).toEqual([expect.objectContaining({ policy: 'two-person' })]);
  });

  it("a drill's request is handed over without waiting for Slack", async () => {
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', STAGING)] });
    slackDown(deps);
    const drill = await startDrill(deps, 'fraud-scorer', { by: 'U0ANA', auto: false });
    expect(deps.notifier.ofType('decision.requested')).toHaveLength(1);
    expect(deps.notifier.delivered).toEqual([]);
    expect((await deps.store.list(drill.id)).map((entry) => entry.type)).toContain('decision.requested');
  });
});
