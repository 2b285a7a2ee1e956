/**
 * A scheduled drill occurrence refused because the model has a real incident open is said once in the channel,
 * across replicas: the planner of another replica that read "next" just before the occurrence came due puts it
 * back in the store once it was handled, and its second delivery must neither say the skip again nor, the
 * incident over, start the drill the channel was told was skipped.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scheduleDrillOccurrence } from '../../src/engine/drill-schedule.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { pollDeadlines } from '../../src/engine/poller.js';
import { resolve } from '../../src/engine/resolve.js';
import { planDrills } from '../../src/scheduling/drills.js';
import { firing } from '../helpers/alerts.js';
import { makeDeps, makeRunbook, TestClock, type TestDeps } from '../helpers/engine.js';
import { useRedisStores } from '../helpers/replicas.js';

const redisStore = useRedisStores();
afterEach(() => vi.useRealTimers());

const AT = Date.parse('2027-01-15T10:00:00Z');

const skips = (replicas: TestDeps[]) =>
  replicas
    .flatMap((deps) => deps.notifier.ofType('channel.message'))
    .map((event) => event.text)
    .filter((text) => text.startsWith('Scheduled drill of fraud-scorer skipped'));

describe("a refused drill occurrence put back by another replica's planner, on one Redis", () => {
  it('is said once, and not started once the incident is over', async () => {
    vi.useFakeTimers({ now: Date.parse('2027-01-01T00:00:00Z'), toFake: ['Date'] });
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock(Date.now());
    const runbooks = [makeRunbook('fraud-scorer', 'drill: { dryRun: true }')];
    const replicas = [0, 1].map(() => makeDeps({ store: redisStore(prefix), clock, runbooks }));
    const [a, b] = replicas as [TestDeps, TestDeps];
    await planDrills(a);
    clock.set(AT - 3_600_000);
    await ingestAlerts(a, [firing('fraud-scorer', clock.now())]);
    const real = await a.store.openIncidentFor('fraud-scorer');
    expect(real).toMatchObject({ drill: false });

    clock.set(AT);
    while ((await pollDeadlines(a)) > 0);
    expect(skips(replicas)).toHaveLength(1);

    // Replica b's planner read "next" (this occurrence) just before it came due, and writes it now.
    await scheduleDrillOccurrence(b, b.runbooks.require('fraud-scorer'), AT);
    while ((await Promise.all(replicas.map((deps) => pollDeadlines(deps)))).some((n) => n > 0));
    expect(skips(replicas)).toHaveLength(1);

    // The incident ends within the occurrence's late tolerance, and the planner writes it once more.
    await resolve(a, real!.id, { by: 'U0ONCALL', reason: 'fixed' });
    await scheduleDrillOccurrence(b, b.runbooks.require('fraud-scorer'), AT);
    while ((await Promise.all(replicas.map((deps) => pollDeadlines(deps)))).some((n) => n > 0));
    const drills = (await a.store.listIncidents({})).filter((incident) => incident.drill);
    expect(drills).toEqual([]);
  });
});
