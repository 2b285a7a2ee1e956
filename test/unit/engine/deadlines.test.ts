import { describe, expect, it } from 'vitest';
import { decide, recordBreach, resolve } from '../../../src/core/incident.js';
import { STAGE_TARGET } from '../../../src/engine/escalation.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { DEADLINE_LEASE_MS, pollDeadlines } from '../../../src/engine/poller.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, metricValue } from '../../helpers/engine.js';

const MINUTE = 60_000;

/** An incident in triage whose triage run (no metrics source here: "a person decides") is done. */
async function openOne() {
  const deps = makeDeps();
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  expect(await pollDeadlines(deps)).toBe(1);
  return deps;
}

describe('triage deadline', () => {
  it('does nothing at 9:59 and escalates exactly once at 10:00', async () => {
    const deps = await openOne();
    const opened = deps.clock.now();

    deps.clock.set(opened + 10 * MINUTE - 1_000);
    expect(await pollDeadlines(deps)).toBe(0);
    expect(deps.notifier.ofType('escalation')).toHaveLength(0);

    deps.clock.set(opened + 10 * MINUTE);
    expect(await pollDeadlines(deps)).toBe(1);
    const [escalation] = deps.notifier.ofType('escalation');
    expect(escalation).toMatchObject({ stage: 'triage', mention: ['S0PLATFORM'], channel: 'C0TEST0001' });
    expect(escalation?.text).toContain(
      'triage target missed for fraud-scorer (INC-1): 10m against a target of 10m',
    );

    deps.clock.advance(MINUTE);
    expect(await pollDeadlines(deps)).toBe(0);
    expect(deps.notifier.ofType('escalation')).toHaveLength(1);
    const breaches = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached');
    expect(breaches).toHaveLength(1);
    expect(breaches[0]?.text).toContain('escalated to S0PLATFORM');
    expect((await deps.store.getIncident('INC-1'))?.stages.triage.breachedAt).toBe(opened + 10 * MINUTE);
    expect(
      await metricValue(deps.metrics, 'rollbot_target_breaches_total', {
        stage: 'triage',
        model: 'fraud-scorer',
      }),
    ).toBe(1);
    expect(await deps.store.pending()).toEqual([]);
  });

  it('does not escalate when the decision came in time', async () => {
    const deps = await openOne();
    const opened = deps.clock.now();
    await mutateIncident(deps.store, 'INC-1', (incident) =>
      decide(incident, {
        kind: 'not-rollback',
        by: 'U1',
        at: opened + 9 * MINUTE,
        reason: 'known upstream blip',
        trigger: 'cli',
      }),
    );
    deps.clock.set(opened + 10 * MINUTE);
    expect(await pollDeadlines(deps)).toBe(1);
    expect(deps.notifier.ofType('escalation')).toHaveLength(0);
    expect(await metricValue(deps.metrics, 'rollbot_target_breaches_total')).toBe(0);
  });

  it('records a decision that came late, but pages nobody once it has come', async () => {
    const deps = await openOne();
    const opened = deps.clock.now();
    // Decided 300 ms past the target, before the poller handled the target's deadline.
    await mutateIncident(deps.store, 'INC-1', (incident) =>
      decide(incident, {
        kind: 'not-rollback',
        by: 'U1',
        at: opened + 10 * MINUTE + 300,
        reason: 'known upstream blip',
        trigger: 'cli',
      }),
    );
    deps.clock.set(opened + 10 * MINUTE + 500);
    expect(await pollDeadlines(deps)).toBe(1);
    // "No decision yet; roll back or record not a rollback" would be wrong, and a page at 2am for nothing.
    expect(deps.notifier.ofType('escalation')).toHaveLength(0);
    const breaches = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached');
    expect(breaches.map((entry) => entry.text)).toEqual([
      'triage target missed for fraud-scorer (INC-1): 10m against a target of 10m; it had ended by then: nobody was paged',
    ]);
    expect((await deps.store.getIncident('INC-1'))?.stages.triage.breachedAt).toBe(
      opened + 10 * MINUTE + 500,
    );
    expect(
      await metricValue(deps.metrics, 'rollbot_target_breaches_total', {
        stage: 'triage',
        model: 'fraud-scorer',
      }),
    ).toBe(1);
    deps.clock.advance(MINUTE);
    expect(await pollDeadlines(deps)).toBe(0);
    expect((await deps.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached')).toHaveLength(
      1,
    );
  });

  it('hands a due deadline to one of two pollers on one store', async () => {
    const first = await openOne();
    const second = makeDeps({ store: first.store, clock: first.clock });
    first.clock.advance(10 * MINUTE);
    const handled = await Promise.all([pollDeadlines(first), pollDeadlines(second)]);
    expect(handled.sort()).toEqual([0, 1]);
    expect([...first.notifier.ofType('escalation'), ...second.notifier.ofType('escalation')]).toHaveLength(1);
  });

  it('still escalates when a poller recorded the breach but died before telling anyone', async () => {
    const deps = await openOne();
    deps.clock.advance(10 * MINUTE);
    // The breach is on the incident, but no escalation reached the timeline: the poller died in between.
    await mutateIncident(deps.store, 'INC-1', (incident) =>
      recordBreach(incident, 'triage', deps.clock.now()),
    );
    expect(await pollDeadlines(deps)).toBe(1);
    expect(deps.notifier.ofType('escalation')).toHaveLength(1);
    expect((await deps.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached')).toHaveLength(
      1,
    );
  });
  it('still escalates when the poller died as it handed the escalation over', async () => {
    const deps = await openOne();
    deps.clock.advance(10 * MINUTE);
    const deliver = deps.notifier.deliver.bind(deps.notifier);
    deps.notifier.deliver = () => Promise.reject(new Error('the replica died here'));
    expect(await pollDeadlines(deps)).toBe(0);
    deps.notifier.deliver = deliver;

    // The deadline comes back once the dead poller's lease has run out.
    deps.clock.advance(DEADLINE_LEASE_MS);
    expect(await pollDeadlines(deps)).toBe(1);
    expect(deps.notifier.ofType('escalation')).toMatchObject([{ stage: 'triage' }]);
    const breaches = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached');
    expect(breaches).toHaveLength(1);
    expect(await metricValue(deps.metrics, 'rollbot_target_breaches_total', { stage: 'triage' })).toBe(1);
    expect(await deps.store.pending()).toEqual([]);
  });

  it('records the escalation only once it has arrived: a replica killed with it still queued leaves it to another', async () => {
    const first = await openOne();
    const second = makeDeps({ store: first.store, clock: first.clock });
    first.timing = { ...first.timing, arrivalWaitMs: 5 };
    first.clock.advance(10 * MINUTE);
    // Slack is down: the escalation waits in the first replica's queue, which then dies (SIGKILL) with it.
    first.notifier.arrival = () => new Promise<boolean>(() => undefined);
    expect(await pollDeadlines(first)).toBe(0);
    expect(first.notifier.ofType('escalation')).toHaveLength(1);
    const breaches = async () =>
      (await first.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached');
    expect(await breaches()).toEqual([]);

    // The first replica stopped waiting after arrivalWaitMs and left the deadline claimed; now it is dead. Once
    // its lease runs out the deadline comes back, to the second replica, which sends the escalation.
    first.clock.advance(DEADLINE_LEASE_MS);
    expect(await pollDeadlines(second)).toBe(1);
    expect(second.notifier.ofType('escalation')).toMatchObject([{ stage: 'triage' }]);
    expect(await breaches()).toMatchObject([{ data: { stage: 'triage', delivered: true } }]);
    expect(await first.store.pending()).toEqual([]);
  });

  it('records an escalation Slack or the pager gave up on, saying it did not reach anyone', async () => {
    const deps = await openOne();
    deps.clock.advance(10 * MINUTE);
    deps.notifier.arrival = async () => false;
    expect(await pollDeadlines(deps)).toBe(1);
    const breaches = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached');
    expect(breaches).toMatchObject([{ data: { delivered: false } }]);
    expect(breaches[0]?.text).toContain('could not be delivered');
    expect(await deps.store.pending()).toEqual([]);
  });

  it('escalates once when the deadline is handed out again while its first delivery is still at it', async () => {
    const first = await openOne();
    const second = makeDeps({ store: first.store, clock: first.clock });
    first.clock.advance(10 * MINUTE);
    // The first delivery reads the timeline's breaches (no escalation yet), then stalls past its lease.
    let stalled!: () => void;
    let resume!: () => void;
    const stalling = new Promise<void>((resolve) => (stalled = resolve));
    const stall = new Promise<void>((resolve) => (resume = resolve));
    const list = first.store.list.bind(first.store);
    const listOfTypes = first.store.listOfTypes.bind(first.store);
    let calls = 0;
    first.store.listOfTypes = async (incidentId, types) => {
      const entries = await listOfTypes(incidentId, types);
      if (calls++ === 0) {
        stalled();
        await stall;
      }
      return entries;
    };
    const firstPoll = pollDeadlines(first);
    await stalling;

    first.clock.advance(DEADLINE_LEASE_MS);
    expect(await pollDeadlines(second)).toBe(1);
    resume();
    expect(await firstPoll).toBe(1);
    const escalations = () => [
      ...first.notifier.ofType('escalation'),
      ...second.notifier.ofType('escalation'),
    ];
    expect(escalations()).toHaveLength(1);

    // The second delivery left a check for after the first one's lock: it finds the escalation sent.
    first.clock.advance(2 * MINUTE);
    expect(await pollDeadlines(second)).toBe(1);
    expect(escalations()).toHaveLength(1);
    expect((await list('INC-1')).filter((entry) => entry.type === 'stage.breached')).toHaveLength(1);
    expect(await first.store.pending()).toEqual([]);
  });
});

describe('a stage target whose incident was never stored', () => {
  it('is handled once and gone (the replica died between scheduling it and storing the incident)', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    await deps.store.schedule({
      id: 'INC-7:triage',
      kind: STAGE_TARGET,
      dueAt: now,
      payload: { incidentId: 'INC-7', stage: 'triage' },
    });
    expect(await pollDeadlines(deps)).toBe(1);
    expect(await deps.store.pending()).toEqual([]);
    expect(deps.notifier.events).toEqual([]);
  });
});

describe('detect target', () => {
  it('escalates at once when the alert arrives after the detect target', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    await ingestAlerts(deps, [firing('fraud-scorer', now, { startsAt: now - 5 * MINUTE })]);
    await pollDeadlines(deps);
    const [escalation] = deps.notifier.ofType('escalation');
    expect(escalation).toMatchObject({ stage: 'detect' });
    expect(escalation?.text).toContain('5m against a target of 5m');
    expect(await deps.store.pending()).toEqual([expect.objectContaining({ id: 'INC-1:triage' })]);
  });

  it('answers the alert without waiting for the escalation to reach Slack: the poller sends it', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    let arrive = (_delivered: boolean): void => undefined;
    // The triage run, due in the same poll, delivers its decision request: that one arrives at once.
    deps.notifier.arrival = async (event) =>
      event.type === 'escalation' ? new Promise<boolean>((resolve) => (arrive = resolve)) : true;
    const [result] = await ingestAlerts(deps, [firing('fraud-scorer', now, { startsAt: now - 6 * MINUTE })]);
    expect(result).toMatchObject({ outcome: 'opened', incidentId: 'INC-1' });
    expect(deps.notifier.ofType('escalation')).toHaveLength(0);
    const polled = pollDeadlines(deps);
    await new Promise((resolve) => setImmediate(resolve));
    expect(deps.notifier.ofType('escalation')).toMatchObject([{ stage: 'detect' }]);
    arrive(true);
    await polled;
    const breaches = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached');
    expect(breaches).toMatchObject([{ data: { stage: 'detect', delivered: true } }]);
  });

  it('does not escalate a detection one second inside the target', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    await ingestAlerts(deps, [firing('fraud-scorer', now, { startsAt: now - 5 * MINUTE + 1_000 })]);
    expect(deps.notifier.ofType('escalation')).toHaveLength(0);
  });
});

describe('a deadline of a kind this build does not know', () => {
  const HOUR = 60 * MINUTE;
  // A kind added by a newer build (as rollback-settle was): during a rolling upgrade an older replica claims it.
  const fromNewerBuild = (deps: ReturnType<typeof makeDeps>) =>
    deps.store.schedule({
      id: 'INC-9:from-a-newer-build',
      kind: 'from-a-newer-build',
      dueAt: deps.clock.now(),
      payload: { incidentId: 'INC-9' },
    });

  it('is left for a replica that knows it, not dropped', async () => {
    const old = makeDeps();
    await fromNewerBuild(old);
    expect(await pollDeadlines(old)).toBe(0);
    const handled: string[] = [];
    const newer = makeDeps({ store: old.store, clock: old.clock });
    old.clock.advance(DEADLINE_LEASE_MS);
    const handlers = { 'from-a-newer-build': async () => void handled.push('INC-9') };
    expect(await pollDeadlines(newer, handlers)).toBe(1);
    expect(handled).toEqual(['INC-9']);
    expect(await old.store.pending()).toEqual([]);
  });

  it('is dropped a day past its due time, when no replica has known it since', async () => {
    const deps = makeDeps();
    await fromNewerBuild(deps);
    deps.clock.advance(24 * HOUR - DEADLINE_LEASE_MS);
    expect(await pollDeadlines(deps)).toBe(0);
    expect((await deps.store.pending()).map((deadline) => deadline.kind)).toEqual(['from-a-newer-build']);
    deps.clock.advance(DEADLINE_LEASE_MS);
    expect(await pollDeadlines(deps)).toBe(1);
    expect(await deps.store.pending()).toEqual([]);
  });
});

describe('a stage target this build no longer schedules', () => {
  const HOUR = 60 * MINUTE;

  /** An incident resolved now, whose retrospective (due in 48 h) nobody has written. */
  async function resolvedOne() {
    const deps = await openOne();
    await mutateIncident(deps.store, 'INC-1', (incident) => resolve(incident, deps.clock.now()));
    for (const deadline of await deps.store.pending()) await deps.store.cancel(deadline.id);
    return deps;
  }

  it('is dropped, not escalated: a retrospective target left by an older build pages nobody', async () => {
    const deps = await resolvedOne();
    const incident = await deps.store.getIncident('INC-1');
    const dueAt = (incident?.stages.retro.startedAt ?? 0) + (incident?.targets.retro ?? 0);
    // An older build scheduled the retrospective's target; this one chases a retrospective with reminders.
    await deps.store.schedule({
      id: 'INC-1:retro',
      kind: STAGE_TARGET,
      dueAt,
      payload: { incidentId: 'INC-1', stage: 'retro' },
    });
    deps.clock.set(dueAt + HOUR);
    expect(await pollDeadlines(deps)).toBe(1);
    expect(deps.notifier.ofType('escalation')).toEqual([]);
    expect(await timelineTypesOf(deps)).not.toContain('stage.breached');
    expect((await deps.store.getIncident('INC-1'))?.stages.retro.breachedAt).toBeUndefined();
    expect(await deps.store.pending()).toEqual([]);
  });

  it('is dropped when its stage is none this build knows', async () => {
    const deps = await resolvedOne();
    await deps.store.schedule({
      id: 'INC-1:review',
      kind: STAGE_TARGET,
      dueAt: deps.clock.now(),
      payload: { incidentId: 'INC-1', stage: 'review' },
    });
    expect(await pollDeadlines(deps)).toBe(1);
    expect(deps.notifier.ofType('escalation')).toEqual([]);
    expect(await deps.store.pending()).toEqual([]);
  });
});

async function timelineTypesOf(deps: ReturnType<typeof makeDeps>): Promise<string[]> {
  return (await deps.store.list('INC-1')).map((entry) => entry.type);
}
