import { afterEach, describe, expect, it, vi } from 'vitest';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { planDrills } from '../../../src/scheduling/drills.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';

afterEach(() => {
  vi.useRealTimers();
});

const UTC_10 = Date.parse('2027-01-15T10:00:00Z');
/** 10:00 in New York on the same day. */
const NEW_YORK_10 = Date.parse('2027-01-15T15:00:00Z');
const WEEK = 7 * 86_400_000;

/** The bot as it runs fraud-scorer's drills with this drill block, on `store` and `clock` when given. */
function bot(drill: string, on?: TestDeps): TestDeps {
  return makeDeps({
    runbooks: [makeRunbook('fraud-scorer', drill)],
    ...(on ? { store: on.store, clock: on.clock } : {}),
  });
}

const drillsOf = async (deps: TestDeps) =>
  (await deps.store.listIncidents({})).filter((incident) => incident.drill);
const said = (deps: TestDeps) => deps.notifier.ofType('channel.message').map((event) => event.text);

describe('a drill schedule changed after its next occurrence was planned', () => {
  it('runs the drill at the new time only, and reminds of that one only', async () => {
    vi.useFakeTimers({ now: Date.parse('2027-01-01T00:00:00Z'), toFake: ['Date'] });
    const before = bot('drill: { dryRun: true }');
    before.clock.set(Date.now());
    await planDrills(before);

    // The team moves its drills to New York mornings and restarts the bot, on the same Redis.
    const after = bot('drill: { dryRun: true, timezone: America/New_York }', before);
    await planDrills(after);

    after.clock.set(UTC_10 - WEEK);
    await pollDeadlines(after);
    after.clock.set(NEW_YORK_10 - WEEK);
    await pollDeadlines(after);
    expect(said(after)).toEqual([
      expect.stringMatching(
        // The time as the team's clocks read it, the zone beside it, then UTC: "15:00, America/New_York" read as
        // 3 pm in New York, five hours late.
        /^Rollback drill of fraud-scorer in 7d \(2027-01-15 10:00 America\/New_York, 2027-01-15T15:00:00.000Z\)/,
      ),
    ]);

    // 10:00 UTC is 05:00 in New York: no drill at the old time.
    after.clock.set(UTC_10);
    await pollDeadlines(after);
    expect(await drillsOf(after)).toEqual([]);

    after.clock.set(NEW_YORK_10);
    await pollDeadlines(after);
    expect(await drillsOf(after)).toMatchObject([{ phase: 'triage', openedAt: NEW_YORK_10 }]);
  });

  it('still runs an occurrence planned before occurrences carried their schedule', async () => {
    const deps = bot('drill: { dryRun: true }');
    // As the planner of an earlier version stored it: no schedule in the payload.
    await deps.store.schedule({
      id: `drill:fraud-scorer:${deps.clock.now()}`,
      kind: 'drill-run',
      dueAt: deps.clock.now(),
      payload: { model: 'fraud-scorer', at: deps.clock.now() },
    });
    await pollDeadlines(deps);
    expect(await drillsOf(deps)).toHaveLength(1);
  });
});
