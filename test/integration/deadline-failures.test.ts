/**
 * A missed triage target whose escalation cannot run for a while (the incident record cannot be read), on two
 * replicas of one bot, on the memory store and on Redis: each failure is counted on the replica it happened on,
 * the tries spread out whichever replica makes them (the count is kept with the deadline), and once the record can
 * be read again the escalation goes out once and the deadline is gone.
 */
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../src/engine/intake.js';
import { pollDeadlines } from '../../src/engine/poller.js';
import type { Store } from '../../src/engine/ports.js';
import { firing } from '../helpers/alerts.js';
import { makeDeps, metricValue, TestClock, type TestDeps } from '../helpers/engine.js';
import { replicaBackends, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

/** `store`, whose incident reads fail while `broken.now` is true (a record it cannot read, say). */
function unreadableWhile(store: Store, broken: { now: boolean }): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'getIncident')
        return (id: string) =>
          broken.now ? Promise.reject(new Error(`cannot read ${id}`)) : target.getIncident(id);
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe.each(replicaBackends(redisStore))('a deadline that keeps failing, on %s', (_name, backend) => {
  async function twoReplicas() {
    const clock = new TestClock();
    const storeOf = backend(clock);
    const broken = { now: false };
    const replicas: TestDeps[] = [0, 1].map(() =>
      makeDeps({ clock, store: unreadableWhile(storeOf(), broken) }),
    );
    const [first] = replicas;
    await ingestAlerts(first!, [firing('fraud-scorer', clock.now())]);
    expect(await pollDeadlines(first!)).toBe(1); // the triage run: a person decides
    return { clock, broken, replicas, opened: clock.now() };
  }

  /**
   * Polls every 10 s until `until`, the replicas taking turns a minute each (the first in even minutes), as two
   * bots' pollers might: records when each try was, in minutes since the incident opened.
   */
  async function pollUntil(bot: Awaited<ReturnType<typeof twoReplicas>>, until: number, tries: number[]) {
    while (bot.clock.now() < until) {
      const replica = bot.replicas[Math.floor((bot.clock.now() - bot.opened) / MINUTE) % 2]!;
      const failures = () => Promise.all(bot.replicas.map((deps) => failuresOf(deps)));
      const before = (await failures()).reduce((a, b) => a + b, 0);
      const handled = await pollDeadlines(replica);
      const after = (await failures()).reduce((a, b) => a + b, 0);
      if (handled > 0 || after > before) tries.push((bot.clock.now() - bot.opened) / MINUTE);
      bot.clock.advance(10_000);
    }
  }

  const failuresOf = (deps: TestDeps) =>
    metricValue(deps.metrics, 'rollbot_deadline_failures_total', { kind: 'stage-target' });

  it('is tried ever less often by either replica, never dropped, and escalates once when it goes through', async () => {
    const bot = await twoReplicas();
    bot.broken.now = true;
    const tries: number[] = [];
    await pollUntil(bot, bot.opened + 60 * MINUTE, tries);

    // Due at 10 minutes; then 1, 2, 4, 8 and 15 minutes apart, whichever replica tried.
    expect(tries).toEqual([10, 11, 13, 17, 25, 40, 55]);
    const [first, second] = await Promise.all(bot.replicas.map(failuresOf));
    expect(first! + second!).toBe(7);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(0);
    expect((await bot.replicas[0]!.store.pending()).map((deadline) => deadline.id)).toContain('INC-1:triage');
    expect(bot.replicas.flatMap((deps) => deps.notifier.ofType('escalation'))).toEqual([]);

    bot.broken.now = false;
    await pollUntil(bot, bot.opened + 90 * MINUTE, tries);

    expect(tries.slice(7)).toEqual([70]);
    expect(bot.replicas.flatMap((deps) => deps.notifier.ofType('escalation'))).toMatchObject([
      { stage: 'triage' },
    ]);
    expect(
      (await bot.replicas[0]!.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached'),
    ).toHaveLength(1);
    expect((await bot.replicas[0]!.store.pending()).map((deadline) => deadline.id)).not.toContain(
      'INC-1:triage',
    );
  });
});
