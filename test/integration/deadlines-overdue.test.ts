/**
 * `rollbot_deadlines_overdue` (deadlinesOverdue): deadlines due a minute ago or more that no poller holds — what is
 * left when deadline polling has stopped on every replica. On both stores alike.
 */
import { describe, expect, it } from 'vitest';
import { deadlinesOverdue, OVERDUE_AFTER_MS } from '../../src/engine/deadlines-overdue.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { pollDeadlines } from '../../src/engine/poller.js';
import { firing } from '../helpers/alerts.js';
import { makeDeps, TestClock } from '../helpers/engine.js';
import { useStoreBackends } from '../helpers/replicas.js';

const backends = useStoreBackends();

describe.each(backends)('overdue deadlines on the %s store', (_name, createStore) => {
  function makeBot() {
    const clock = new TestClock();
    return makeDeps({ clock, store: createStore(clock) });
  }

  it('counts the deadlines due a minute ago that nobody polled, and none once they are handled', async () => {
    const deps = makeBot();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const dueNow = (await deps.store.pending()).filter((deadline) => deadline.dueAt <= deps.clock.now());
    expect(dueNow.length).toBeGreaterThan(0);
    expect(await deadlinesOverdue(deps)).toBe(0);

    // No replica polls: a minute later they are overdue; a second before, not yet.
    deps.clock.advance(OVERDUE_AFTER_MS - 1_000);
    expect(await deadlinesOverdue(deps)).toBe(0);
    deps.clock.advance(1_000);
    expect(await deadlinesOverdue(deps)).toBe(dueNow.length);

    while ((await pollDeadlines(deps)) > 0);
    expect(await deadlinesOverdue(deps)).toBe(0);
  });

  it('does not count a deadline that keeps failing while pollers take it: it waits for its next try', async () => {
    const deps = makeBot();
    await deps.store.schedule({ id: 'INC-9:test', kind: 'test', dueAt: deps.clock.now(), payload: {} });
    const failing = {
      test: async () => {
        throw new Error('the serving layer refuses');
      },
    };
    for (let minute = 0; minute < 10; minute++) {
      await pollDeadlines(deps, failing);
      deps.clock.advance(OVERDUE_AFTER_MS);
      expect(await deadlinesOverdue(deps)).toBe(0);
    }
    expect((await deps.store.pending())[0]?.failures?.count).toBeGreaterThan(1);
  });
});
