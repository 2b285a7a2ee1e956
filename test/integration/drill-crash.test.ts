import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { drillHistory } from '../../src/engine/drill.js';
import { scheduleDrillOccurrence } from '../../src/engine/drill-schedule.js';
import { runDrillNow, startDrill } from '../../src/engine/drill-start.js';
import { pollDeadlines } from '../../src/engine/poller.js';
import type { Store } from '../../src/engine/ports.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { dyingStore } from '../helpers/dying-store.js';
import { makeDeps, makeRunbook, TestClock, type TestDeps } from '../helpers/engine.js';
import { pollFor, timelineTypes, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

/** What the scorecard of a drill whose starter stopped before the drill was under way says went wrong. */
const STOPPED =
  'rollbot stopped while starting the drill, before it asked for a decision or began the rollback';

/** A replica of a bot whose one runbook rehearses its rollback as a dry run. */
function replica(store: Store, clock: TestClock): TestDeps {
  return makeDeps({ store, clock, runbooks: [makeRunbook('fraud-scorer', 'drill: { dryRun: true }')] });
}

/** What reached the people about drills, across the replicas given. */
function told(...replicas: TestDeps[]) {
  const events = replicas.flatMap((deps) => deps.notifier.events);
  return {
    opened: events.filter((event) => event.type === 'incident.opened').length,
    decisions: events.filter((event) => event.type === 'decision.requested').length,
    scorecards: events.filter((event) => event.type === 'incident.updated' && event.text.startsWith('DRILL '))
      .length,
    messages: events.flatMap((event) => (event.type === 'channel.message' ? [event.text] : [])),
  };
}

/** How often each of the drill's own entries is on its timeline. */
async function drillEntries(store: Store, incidentId = 'INC-1') {
  const types = await timelineTypes(store, incidentId);
  const count = (type: string) => types.filter((seen) => seen === type).length;
  return {
    started: count('drill.started'),
    decisions: count('decision.requested'),
    scorecards: count('drill.scorecard'),
  };
}

describe('a scheduled drill whose replica died as it started it', () => {
  it('is failed, scored once, by another replica, and not started again for the same occurrence', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const dying = dyingStore(redisStore(prefix), 0);
    const starter = replica(dying.store, clock);
    const survivor = replica(redisStore(prefix), clock);
    await scheduleDrillOccurrence(starter, starter.runbooks.require('fraud-scorer'), clock.now());

    // The starter dies (SIGKILL) the moment its drill is stored: nobody is told, nobody is asked to decide.
    void pollDeadlines(starter);
    await dying.died;
    expect(await survivor.store.getIncident('INC-1')).toMatchObject({ drill: true, phase: 'triage' });

    // The occurrence's deadline comes back to the survivor after its lease, beside the opening's stand-in.
    await pollFor(survivor, 5 * MINUTE);
    expect(await survivor.store.listIncidents({})).toMatchObject([{ id: 'INC-1', phase: 'resolved' }]);
    expect(await drillHistory(survivor, 'fraud-scorer')).toMatchObject([
      { incidentId: 'INC-1', outcome: 'failed', problems: [STOPPED] },
    ]);
    expect(told(starter, survivor)).toEqual({ opened: 0, decisions: 0, scorecards: 1, messages: [] });
    expect(await drillEntries(survivor.store)).toEqual({ started: 0, decisions: 0, scorecards: 1 });
    expect((await survivor.store.pending()).map((deadline) => deadline.id)).not.toContain('INC-1:triage');
  });
});

describe('a drill run (deciding at once) whose replica died as it started it', () => {
  it('is failed and scored once by another replica', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const dying = dyingStore(redisStore(prefix), 0);
    const starter = replica(dying.store, clock);
    const survivor = replica(redisStore(prefix), clock);

    void runDrillNow(starter, 'fraud-scorer', { by: 'cli:ana', dryRun: false });
    await dying.died;
    await pollFor(survivor, 5 * MINUTE);

    expect(await survivor.store.listIncidents({})).toMatchObject([{ id: 'INC-1', phase: 'resolved' }]);
    expect(await drillHistory(survivor, 'fraud-scorer')).toMatchObject([
      { incidentId: 'INC-1', outcome: 'failed', problems: [STOPPED] },
    ]);
    expect(told(starter, survivor)).toEqual({ opened: 0, decisions: 0, scorecards: 1, messages: [] });
  });
});

describe('a drill started without a crash', () => {
  it('waits for its decision, announced and asked once, however many replicas poll afterwards', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const replicas = [replica(redisStore(prefix), clock), replica(redisStore(prefix), clock)];
    await scheduleDrillOccurrence(replicas[0]!, replicas[0]!.runbooks.require('fraud-scorer'), clock.now());

    for (let step = 0; step < 30; step++) {
      await Promise.all(replicas.map((deps) => pollDeadlines(deps)));
      clock.advance(10_000);
    }
    expect(await replicas[0]!.store.listIncidents({})).toMatchObject([{ id: 'INC-1', phase: 'triage' }]);
    expect(await drillHistory(replicas[0]!, 'fraud-scorer')).toEqual([]);
    expect(told(...replicas)).toEqual({ opened: 1, decisions: 1, scorecards: 0, messages: [] });
    expect(await timelineTypes(replicas[0]!.store)).toEqual(['drill.started', 'decision.requested']);
    // Its triage target, and the end of its wait for a decision (drill-undecided.ts), 24 h after it started.
    expect((await replicas[0]!.store.pending()).map((deadline) => deadline.id)).toEqual([
      'INC-1:triage',
      'INC-1:drill-undecided',
    ]);
  });

  it('run at once, passes and is scored once, and nothing comes of it afterwards', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const replicas = [replica(redisStore(prefix), clock), replica(redisStore(prefix), clock)];
    const run = await runDrillNow(replicas[0]!, 'fraud-scorer', { by: 'cli:ana', dryRun: false });
    expect(run.result).toMatchObject({ outcome: 'passed' });

    for (let step = 0; step < 30; step++) {
      clock.advance(10_000);
      await Promise.all(replicas.map((deps) => pollDeadlines(deps)));
    }
    expect(await drillHistory(replicas[0]!, 'fraud-scorer')).toMatchObject([{ outcome: 'passed' }]);
    expect(told(...replicas)).toEqual({ opened: 1, decisions: 0, scorecards: 1, messages: [] });
    expect(await drillEntries(replicas[0]!.store)).toEqual({ started: 1, decisions: 0, scorecards: 1 });
    expect(await replicas[0]!.store.pending()).toEqual([]);
  });
});

// The memory store expires locks by the test clock, so a replica that dies holding one (the opening's, the
// rollback's) is outlived in test time; Redis would make the test wait out the lock in real time.
describe('a replica that dies at any point of starting a drill', () => {
  async function starting(dieAfter: number, auto: boolean) {
    const clock = new TestClock();
    const shared = createMemoryStore({ clock });
    const dying = dyingStore(shared, dieAfter);
    const starter = replica(dying.store, clock);
    const survivor = replica(shared, clock);
    await Promise.race([startDrill(starter, 'fraud-scorer', { by: 'cli:ana', auto }), dying.died]);
    return { dying, shared, starter, survivor };
  }

  for (const auto of [false, true]) {
    it(`never leaves the drill stuck in triage nor does anything of its start twice (${auto ? 'deciding at once' : 'a person decides'})`, async () => {
      const calls = (await starting(Infinity, auto)).dying.callsSince();
      expect(calls).toBeGreaterThan(3);

      for (let dieAfter = 0; dieAfter <= calls; dieAfter++) {
        const at = `dying after ${dieAfter} calls`;
        const { shared, starter, survivor } = await starting(dieAfter, auto);
        // Past the rollback target (5 minutes), by which an interrupted rollback is settled (recovery.ts).
        await pollFor(survivor, 8 * MINUTE);
        expect(await shared.listIncidents({}), at).toHaveLength(1);
        const drill = await shared.getIncident('INC-1');
        const entries = await drillEntries(shared);
        // Under way means waiting for a person who was asked, or past triage; otherwise it was failed.
        if (drill?.phase === 'triage') expect(entries.decisions, at).toBe(1);
        const [result] = await drillHistory(survivor, 'fraud-scorer');
        if (result?.problems.includes(STOPPED)) expect(entries.decisions, at).toBe(0);
        expect(entries.started, at).toBeLessThanOrEqual(1);
        expect(entries.decisions, at).toBeLessThanOrEqual(1);
        // Waiting for a person, or over and scored.
        expect(entries.scorecards, at).toBe(drill?.phase === 'triage' ? 0 : 1);
        const all = told(starter, survivor);
        expect(all.opened, at).toBeLessThanOrEqual(1);
        expect(all.decisions, at).toBeLessThanOrEqual(1);
        // A scorecard the dead starter handed its notifier may have gone out or died with it: the survivor posts
        // it at most once, and one of them did.
        expect(told(survivor).scorecards, at).toBeLessThanOrEqual(1);
        expect(all.scorecards, at).toBeGreaterThanOrEqual(entries.scorecards);
        expect(told(survivor).opened, at).toBe(0);
        expect(all.messages, at).toEqual([]);
      }
    });
  }
});

describe('a drill starter stalled for over a minute at any point of the start', () => {
  for (const auto of [false, true]) {
    it(`finds the drill failed by the stand-in, or the stand-in waiting for it, and never runs a second drill (${auto ? 'deciding at once' : 'a person decides'})`, async () => {
      for (let stallAfter = 0; ; stallAfter++) {
        const at = `stalled after ${stallAfter} calls`;
        const clock = new TestClock();
        const shared = createMemoryStore({ clock });
        const stalled = dyingStore(shared, stallAfter);
        const starter = replica(stalled.store, clock);
        const survivor = replica(shared, clock);
        const starting = startDrill(starter, 'fraud-scorer', { by: 'cli:ana', auto });
        if ((await Promise.race([starting, stalled.died])) !== undefined) break;

        await pollFor(survivor, 2 * MINUTE);
        stalled.resume();
        await starting;
        await pollFor(survivor, 8 * MINUTE);
        expect(await shared.listIncidents({}), at).toHaveLength(1);
        const entries = await drillEntries(shared);
        const [result] = await drillHistory(survivor, 'fraud-scorer');
        // Failed by the stand-in: nobody was asked to decide it, before or after.
        if (result?.problems.includes(STOPPED)) expect(entries.decisions, at).toBe(0);
        expect(entries.started, at).toBeLessThanOrEqual(1);
        expect(entries.scorecards, at).toBeLessThanOrEqual(1);
        const all = told(starter, survivor);
        expect(all.opened, at).toBeLessThanOrEqual(1);
        expect(all.decisions, at).toBe(entries.decisions);
        expect(all.scorecards, at).toBeLessThanOrEqual(1);
      }
    });
  }
});
