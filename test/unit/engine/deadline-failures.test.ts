/**
 * A deadline whose handler keeps failing (a bug, a record it cannot read, a serving layer that keeps throwing) is
 * never dropped, but neither is it invisible nor tried every minute for ever: each failure is counted in
 * `rollbot_deadline_failures_total{kind}`, the retries spread out (the lease doubling per failure in a row, up to
 * 15 minutes), and the log says how many times it has failed and since when, on the first failure and then on
 * every fourth.
 */
import { describe, expect, it } from 'vitest';
import { StillOnItsWay } from '../../../src/engine/arrival.js';
import type { Deadline } from '../../../src/engine/ports.js';
import { pollDeadlines, type DeadlineHandler } from '../../../src/engine/poller.js';
import { makeDeps, metricValue, type TestDeps } from '../../helpers/engine.js';
import { spyLogger } from '../../helpers/spy-logger.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const KIND = 'test.poison';

function poison(deps: TestDeps, dueAt = deps.clock.now()): Deadline {
  return { id: 'INC-9:poison', kind: KIND, dueAt, payload: { incidentId: 'INC-9' } };
}

/** Polls every 10 s of the test's clock from now until `forMs` later. */
async function pollFor(deps: TestDeps, forMs: number, handlers: Record<string, DeadlineHandler>) {
  const end = deps.clock.now() + forMs;
  while (deps.clock.now() < end) {
    await pollDeadlines(deps, handlers);
    deps.clock.advance(10 * SECOND);
  }
}

/** A handler that records when it ran and fails its first `failing` runs (all of them when Infinity). */
function handlerFailing(deps: TestDeps, failing: number) {
  const runs: number[] = [];
  const seen: Deadline[] = [];
  const handler: DeadlineHandler = async (_deps, deadline) => {
    runs.push(deps.clock.now());
    seen.push(deadline);
    if (runs.length <= failing) throw new Error('cannot read the incident record');
  };
  return { runs, seen, handlers: { [KIND]: handler } };
}

const gaps = (runs: number[]) => runs.slice(1).map((at, i) => (at - runs[i]!) / MINUTE);

describe('a deadline whose handler keeps failing', () => {
  it('is counted, retried ever less often up to every 15 minutes, and never dropped', async () => {
    const deps = makeDeps();
    const deadline = poison(deps);
    await deps.store.schedule(deadline);
    const { runs, handlers } = handlerFailing(deps, Infinity);

    await pollFor(deps, 2 * 60 * MINUTE, handlers);

    // 1, 2, 4, 8 minutes apart, then every 15: not 120 runs in these two hours, and never none.
    expect(gaps(runs)).toEqual([1, 2, 4, 8, 15, 15, 15, 15, 15, 15]);
    expect(await metricValue(deps.metrics, 'rollbot_deadline_failures_total', { kind: KIND })).toBe(
      runs.length,
    );
    expect(await deps.store.pending()).toMatchObject([
      { id: deadline.id, kind: KIND, dueAt: deadline.dueAt, payload: deadline.payload },
    ]);
  });

  it('is handled once and completed when it succeeds at last, its handler never seeing the failure count', async () => {
    const deps = makeDeps();
    await deps.store.schedule(poison(deps));
    const { runs, seen, handlers } = handlerFailing(deps, 3);

    await pollFor(deps, 60 * MINUTE, handlers);

    expect(gaps(runs)).toEqual([1, 2, 4]);
    expect(await metricValue(deps.metrics, 'rollbot_deadline_failures_total', { kind: KIND })).toBe(3);
    expect(await deps.store.pending()).toEqual([]);
    // What a handler schedules from the deadline it was given (`{...deadline, dueAt}`) starts a fresh count.
    expect(seen.every((deadline) => deadline.failures === undefined)).toBe(true);
  });

  it('starts counting again when it is scheduled again: the retry comes after one lease, not fifteen minutes', async () => {
    const deps = makeDeps();
    await deps.store.schedule(poison(deps));
    const { runs, handlers } = handlerFailing(deps, Infinity);
    await pollFor(deps, 20 * MINUTE, handlers);
    expect(gaps(runs)).toEqual([1, 2, 4, 8]);

    // Something moves it (a handler scheduling its next run, an incident write): due now.
    await deps.store.schedule(poison(deps));
    runs.length = 0;
    await pollFor(deps, 4 * MINUTE, handlers);

    expect(gaps(runs)).toEqual([1, 2]);
  });

  it('logs its failure the first time and every fourth, with how many times and since when', async () => {
    const deps = makeDeps();
    const logger = spyLogger();
    deps.logger = logger;
    const firstAt = deps.clock.now();
    await deps.store.schedule(poison(deps));
    const { runs, handlers } = handlerFailing(deps, Infinity);

    await pollFor(deps, 76 * MINUTE, handlers);

    expect(runs).toHaveLength(9);
    const since = new Date(firstAt).toISOString();
    expect(logger.error.mock.calls.map(([fields, message]) => [fields, message])).toEqual([
      [
        expect.objectContaining({ deadline: 'INC-9:poison', kind: KIND, failures: 1, failingSince: since }),
        `deadline handler failed (1 time in a row, since ${since}); tried again in 1m`,
      ],
      [
        expect.objectContaining({ deadline: 'INC-9:poison', kind: KIND, failures: 5, failingSince: since }),
        `deadline handler failed (5 times in a row, since ${since}); tried again in 15m`,
      ],
      [
        expect.objectContaining({ deadline: 'INC-9:poison', kind: KIND, failures: 9, failingSince: since }),
        `deadline handler failed (9 times in a row, since ${since}); tried again in 15m`,
      ],
    ]);
    expect(logger.error.mock.calls[0]?.[0]).toMatchObject({
      err: new Error('cannot read the incident record'),
    });
  });

  it('says so when it is handled at last, after how many failures', async () => {
    const deps = makeDeps();
    const logger = spyLogger();
    deps.logger = logger;
    await deps.store.schedule(poison(deps));
    const { handlers } = handlerFailing(deps, 2);

    await pollFor(deps, 10 * MINUTE, handlers);

    expect(logger.info).toHaveBeenCalledWith(
      expect.objectContaining({ deadline: 'INC-9:poison', kind: KIND, failures: 2 }),
      expect.stringContaining('deadline handled after 2 failures in a row'),
    );
  });

  it('is tried again after one lease while a delivery it sent is still on its way, which is no failure', async () => {
    const deps = makeDeps();
    await deps.store.schedule(poison(deps));
    const runs: number[] = [];
    const handlers = {
      [KIND]: async () => {
        runs.push(deps.clock.now());
        throw new StillOnItsWay(
          { type: 'channel.message', channel: 'C0TEST0001', text: 'digest', delivery: 'digest:1' },
          'the digest',
          20 * SECOND,
        );
      },
    };

    await pollFor(deps, 10 * MINUTE, handlers);

    // Slack down: the notifier retries it for ten minutes; the deadline comes round every minute meanwhile.
    expect(gaps(runs)).toEqual(Array(9).fill(1));
    expect(await metricValue(deps.metrics, 'rollbot_deadline_failures_total')).toBe(0);
  });

  it('is tried again after its lease when the store fails to put it back', async () => {
    const deps = makeDeps();
    await deps.store.schedule(poison(deps));
    const { runs, handlers } = handlerFailing(deps, Infinity);
    deps.store.retryLater = () => Promise.reject(new Error('connection reset'));

    await pollFor(deps, 3 * MINUTE + SECOND, handlers);

    expect(gaps(runs)).toEqual([1, 1, 1]);
    expect(await deps.store.pending()).toHaveLength(1);
  });
});
