import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pollDeadlines } from '../../src/engine/poller.js';
import { planDrills } from '../../src/scheduling/drills.js';
import { makeDeps, makeRunbook, TestClock } from '../helpers/engine.js';
import { useRedisStores } from '../helpers/replicas.js';

const redisStore = useRedisStores();
afterEach(() => vi.useRealTimers());

describe('drill occurrences on one Redis', () => {
  it('fire once with two schedulers (two replicas, two connections)', async () => {
    vi.useFakeTimers({ now: Date.parse('2027-01-01T00:00:00Z'), toFake: ['Date'] });
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock(Date.now());
    const runbooks = [makeRunbook('fraud-scorer', 'drill: { dryRun: true }')];
    const replicas = [0, 1].map(() => makeDeps({ store: redisStore(prefix), clock, runbooks }));
    await Promise.all(replicas.map((deps) => planDrills(deps)));
    const at = Date.parse('2027-01-15T10:00:00Z');
    // A day before the drill both reminders are due (a reminder delivered once its drill is due is not sent).
    clock.set(at - 86_400_000);
    await Promise.all(replicas.map((deps) => pollDeadlines(deps)));
    const reminders = replicas
      .flatMap((deps) => deps.notifier.events)
      .filter((event) => event.type === 'channel.message');
    // Each went out once, from one replica or the other.
    expect(reminders).toHaveLength(2);
    clock.set(at);
    await Promise.all(replicas.map((deps) => pollDeadlines(deps)));
    const drills = (await replicas[0]!.store.listIncidents({})).filter((incident) => incident.drill);
    expect(drills).toHaveLength(1);
  });
});
