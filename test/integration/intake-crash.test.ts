import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decide, type Incident } from '../../src/core/incident.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { mutateIncident } from '../../src/engine/mutate.js';
import { pollDeadlines } from '../../src/engine/poller.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { firing } from '../helpers/alerts.js';
import { dyingStore, type DeathFrom } from '../helpers/dying-store.js';
import { makeDeps, TestClock, type TestDeps } from '../helpers/engine.js';
import { pollFor, timelineTypes, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

/** An alert that reached rollbot ten minutes after it started: the 5-minute detect target is missed. */
function lateAlert(clock: TestClock) {
  return firing('fraud-scorer', clock.now(), { startsAt: clock.now() - 10 * MINUTE });
}

/** How often each kind of thing reached the people, across the replicas given. */
function told(...replicas: TestDeps[]) {
  const events = replicas.flatMap((deps) => deps.notifier.events);
  const count = (type: string) => events.filter((event) => event.type === type).length;
  return {
    opened: count('incident.opened'),
    triaged: count('triage.completed'),
    escalations: events.flatMap((event) => (event.type === 'escalation' ? [event.stage] : [])),
  };
}

describe('an incident whose replica died as it opened it', () => {
  it('is announced, triaged within a minute and its missed detect target escalated once by another replica', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const dying = dyingStore(redisStore(prefix), 0);
    const opener = makeDeps({ store: dying.store, clock });
    const survivor = makeDeps({ store: redisStore(prefix), clock });

    // The opener dies (SIGKILL) the moment its incident is stored: nothing of announceOpened happens.
    void ingestAlerts(opener, [lateAlert(clock)]);
    await dying.died;
    expect(await survivor.store.getIncident('INC-1')).toMatchObject({ phase: 'triage' });
    expect(opener.notifier.events).toEqual([]);

    await pollFor(survivor, MINUTE);
    expect(await timelineTypes(survivor.store)).toEqual(
      expect.arrayContaining(['incident.opened', 'stage.breached:detect', 'triage.result']),
    );

    // Minutes later, still once each (the triage target, at 10 minutes, is not reached).
    await pollFor(survivor, 4 * MINUTE);
    const types = await timelineTypes(survivor.store);
    for (const type of ['incident.opened', 'stage.breached:detect', 'triage.result'])
      expect(types.filter((seen) => seen === type)).toEqual([type]);
    expect(told(survivor)).toEqual({ opened: 1, triaged: 1, escalations: ['detect'] });
    expect((await survivor.store.pending()).map((deadline) => deadline.id)).toEqual(['INC-1:triage']);
  });
});

describe('an incident closed before its dead opener’s stand-in came due', () => {
  it('is not announced, paged or escalated after the fact', async () => {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const dying = dyingStore(shared, 0);
    const opener = makeDeps({ store: dying.store, clock });
    const survivor = makeDeps({ store: shared, clock });
    void ingestAlerts(opener, [lateAlert(clock)]);
    await dying.died;
    // Someone found it (in the CLI, say) and decided within the minute.
    await mutateIncident(shared, 'INC-1', (incident) =>
      decide(incident, {
        kind: 'not-rollback',
        by: 'U1',
        at: clock.now(),
        reason: 'known upstream blip',
        trigger: 'cli',
      }),
    );

    await pollFor(survivor, 5 * MINUTE);
    expect(told(opener, survivor)).toEqual({ opened: 0, triaged: 0, escalations: [] });
    expect(await timelineTypes(shared)).toEqual([]);
  });
});

describe('an opener stalled for over a minute after storing its incident', () => {
  it('finds that the stand-ins opened it, and does none of it again', async () => {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const stalled = dyingStore(shared, 0);
    const opener = makeDeps({ store: stalled.store, clock });
    const survivor = makeDeps({ store: shared, clock });
    const ingesting = ingestAlerts(opener, [lateAlert(clock)]);
    await stalled.died;
    await pollFor(survivor, 2 * MINUTE);
    expect(told(survivor)).toEqual({ opened: 1, triaged: 1, escalations: ['detect'] });

    stalled.resume();
    expect((await ingesting)[0]?.outcome).toBe('opened');
    await pollFor(survivor, 3 * MINUTE);
    expect(told(opener, survivor)).toEqual({ opened: 1, triaged: 1, escalations: ['detect'] });
    // The stand-ins came due together and ran side by side: the triage may be recorded before the escalation.
    expect((await timelineTypes(shared)).sort()).toEqual([
      'decision.requested',
      'incident.opened',
      'stage.breached:detect',
      'triage.result',
    ]);
    expect((await shared.pending()).map((deadline) => deadline.id)).toEqual(['INC-1:triage']);
  });
});

describe('an incident opened without a crash', () => {
  it('is announced, triaged and escalated once, however many replicas poll afterwards', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const opener = makeDeps({ store: redisStore(prefix), clock });
    const other = makeDeps({ store: redisStore(prefix), clock });

    expect((await ingestAlerts(opener, [lateAlert(clock)]))[0]?.outcome).toBe('opened');
    // The alert is answered without waiting for Slack: the detect escalation is the poller's, due now.
    expect(told(opener)).toEqual({ opened: 1, triaged: 0, escalations: [] });
    for (let step = 0; step < 30; step++) {
      clock.advance(10_000);
      await Promise.all([pollDeadlines(opener), pollDeadlines(other)]);
    }
    expect(told(opener, other)).toEqual({ opened: 1, triaged: 1, escalations: ['detect'] });
    // The first poll runs triage and the escalation side by side: their entries come in either order.
    const [opened, ...after] = await timelineTypes(opener.store);
    expect(opened).toBe('incident.opened');
    expect(after.sort()).toEqual(['decision.requested', 'stage.breached:detect', 'triage.result']);
    expect((await opener.store.pending()).map((deadline) => deadline.id)).toEqual(['INC-1:triage']);
  });

  it('is opened, announced, triaged and escalated once when two replicas get the same alert at once', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const replicas = [
      makeDeps({ store: redisStore(prefix), clock }),
      makeDeps({ store: redisStore(prefix), clock }),
    ];
    const alert = lateAlert(clock);
    const outcomes = (await Promise.all(replicas.map((deps) => ingestAlerts(deps, [alert]))))
      .flat()
      .map((result) => result.outcome)
      .sort();
    expect(outcomes).toEqual(['duplicate', 'opened']);
    // Each replica took an ID for its candidate; either may have won.
    const [incident] = await replicas[0]!.store.listIncidents({});
    for (let step = 0; step < 30; step++) {
      clock.advance(10_000);
      await Promise.all(replicas.map((deps) => pollDeadlines(deps)));
    }
    expect(await replicas[0]!.store.listIncidents({})).toHaveLength(1);
    expect(told(...replicas)).toEqual({ opened: 1, triaged: 1, escalations: ['detect'] });
    expect((await replicas[0]!.store.pending()).map((deadline) => deadline.id)).toEqual([
      `${incident?.id}:triage`,
    ]);
  });
});

// The memory store expires locks by the test clock, so a replica that dies holding one (the announcement's,
// the escalation's) is outlived in test time; Redis would make the test wait out the lock in real time.
describe('a replica that dies at any point of opening an incident', () => {
  async function opening(dieAfter: number) {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const dying = dyingStore(shared, dieAfter);
    const opener = makeDeps({ store: dying.store, clock });
    const survivor = makeDeps({ store: shared, clock });
    await Promise.race([ingestAlerts(opener, [lateAlert(clock)]), dying.died]);
    return { clock, dying, opener, survivor };
  }

  it('leaves another replica to finish it: announced, triaged and escalated, each on the timeline once', async () => {
    const whole = await opening(Infinity);
    const calls = whole.dying.callsSince();
    expect(calls).toBeGreaterThan(3);

    for (let dieAfter = 0; dieAfter <= calls; dieAfter++) {
      const { opener, survivor } = await opening(dieAfter);
      await pollFor(survivor, 5 * MINUTE);
      const types = await timelineTypes(survivor.store);
      for (const type of ['incident.opened', 'stage.breached:detect', 'triage.result'])
        expect(
          types.filter((seen) => seen === type),
          `dying after ${dieAfter} calls`,
        ).toEqual([type]);
      // What the dead replica handed its notifier may have gone out or died with it; the survivor sends each
      // thing at most once, and each thing went out from one of them.
      const mine = told(survivor);
      const all = told(opener, survivor);
      expect(mine.opened, `dying after ${dieAfter} calls`).toBeLessThanOrEqual(1);
      expect(mine.escalations.length, `dying after ${dieAfter} calls`).toBeLessThanOrEqual(1);
      expect(all.opened, `dying after ${dieAfter} calls`).toBeGreaterThanOrEqual(1);
      expect(all.escalations, `dying after ${dieAfter} calls`).toContain('detect');
      expect(all.triaged, `dying after ${dieAfter} calls`).toBe(1);
      expect((await survivor.store.pending()).map((deadline) => deadline.id)).toEqual(['INC-1:triage']);
    }
  });
});

describe('an alert joining an incident in triage on a replica that died just after', () => {
  it('is triaged again: the re-triage is written with the alert, not after it', async () => {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const survivor = makeDeps({ store: shared, clock });
    await ingestAlerts(survivor, [firing('fraud-scorer', clock.now(), { fingerprint: 'first' })]);
    await pollFor(survivor, MINUTE);
    expect(await timelineTypes(shared)).toContain('triage.result');

    // The write that joins the second alert is the dying replica's last: it does nothing after it.
    const joined: DeathFrom = (method, result) =>
      method === 'updateIncident' && (result as Incident | undefined)?.alerts.length === 2;
    const dying = dyingStore(shared, 0, joined);
    const joiner = makeDeps({ store: dying.store, clock });
    await Promise.race([
      ingestAlerts(joiner, [firing('fraud-scorer', clock.now(), { fingerprint: 'second' })]),
      dying.died,
    ]);
    expect((await shared.getIncident('INC-1'))?.alerts).toHaveLength(2);

    await pollFor(survivor, 5 * MINUTE);
    const types = await timelineTypes(shared);
    expect(types.filter((type) => type === 'triage.result')).toHaveLength(2);
  });
});
