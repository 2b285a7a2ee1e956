import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RollbackPlan } from '../../../src/engine/serving-port.js';
import { scheduleStageTarget } from '../../../src/engine/escalation.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { recoverInterruptedRollbacks } from '../../../src/engine/recovery.js';
import { firing } from '../../helpers/alerts.js';
import { executingRollback } from '../../helpers/incidents.js';
import { makeDeps, type TestDeps } from '../../helpers/engine.js';
import { FakeServing } from '../../helpers/fake-serving.js';

/**
 * A serving layer whose status read answers only when the test says so, as a layer does that times out and is
 * retried with backoff; `reading` settles once the read has begun. It never shows traffic on the target.
 */
class SlowServing extends FakeServing {
  readonly reading: Promise<void>;
  private began: () => void = () => undefined;
  private answer: () => void = () => undefined;
  private readonly answered = new Promise<void>((resolve) => (this.answer = resolve));

  constructor() {
    super();
    this.reading = new Promise<void>((resolve) => (this.began = resolve));
  }

  override async onTarget(plan: RollbackPlan): Promise<boolean> {
    this.began();
    await this.answered;
    return super.onTarget(plan);
  }

  /** The read answers, at last. */
  finish(): void {
    this.answer();
  }
}

/**
 * An incident whose rollback was executing when its bot died: the record says so, nobody holds the lock. The
 * bot comes back past the attempt's bound (its 5m rollback target), so a settlement does not look again later.
 */
async function interrupted(deps: TestDeps): Promise<void> {
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  const { incident } = await mutateIncident(deps.store, 'INC-1', (current) =>
    executingRollback(current, deps.clock.now()),
  );
  await scheduleStageTarget(deps, incident, 'rollback');
  deps.clock.advance(5 * 60_000);
}

/**
 * Lets `ms` go by, a few seconds at a time, on the test clock (which the store's leases lapse by) and on the
 * interval timers (which keep leases alive), as real time moves both.
 */
async function elapse(deps: TestDeps, ms: number): Promise<void> {
  const step = 5_000;
  for (let left = ms; left > 0; left -= step) {
    deps.clock.advance(Math.min(step, left));
    await vi.advanceTimersByTimeAsync(Math.min(step, left));
  }
}

/** The outcome-unknown escalations both replicas sent. */
function unknownEscalations(...replicas: TestDeps[]): string[] {
  return replicas
    .flatMap((deps) => deps.notifier.ofType('escalation'))
    .map((event) => event.text)
    .filter((text) => text.includes('outcome unknown after a restart'));
}

describe('the settlement of an interrupted rollback, under its lock', () => {
  // Only the lease keep-alive's interval is faked, moved in step with the test clock: the store's leases lapse
  // by that clock, and the keep-alive must tick as it moves for a lease to outlive its TTL.
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] }));
  afterEach(() => void vi.useRealTimers());

  it('is not taken over by its stand-in while a slow re-read runs past the lock TTL: escalated once', async () => {
    const first = makeDeps();
    await interrupted(first);
    const slow = new SlowServing();
    first.serving = () => slow;
    const second = makeDeps({ store: first.store, clock: first.clock, fake: first.fake });

    const settling = recoverInterruptedRollbacks(first);
    await slow.reading;
    // The settlement's stand-in comes due on another replica while the settler still waits on the layer,
    // finds it busy and looks again; it looks again well past both lock TTLs (the send lock's 2 min too).
    await elapse(first, 60_000);
    await pollDeadlines(second);
    await elapse(first, 3 * 60_000);
    await pollDeadlines(second);
    expect(unknownEscalations(second)).toEqual([]);
    expect((await first.store.pending()).map((deadline) => deadline.kind)).toContain('rollback-settle');

    slow.finish();
    expect(await settling).toBe(1);
    expect(unknownEscalations(first)).toHaveLength(1);
    expect(await first.store.holder('settle:INC-1')).toBeUndefined();
    await elapse(first, 10 * 60_000);
    await pollDeadlines(second);
    expect(unknownEscalations(first, second)).toHaveLength(1);
    const escalated = (await first.store.list('INC-1')).filter(
      (entry) => entry.type === 'rollback.unknown' && entry.data?.escalated,
    );
    expect(escalated).toHaveLength(1);
    expect(first.fake.calls).not.toContain('execute');
  });

  it('is finished by its stand-in when the settler dies mid-read: its lease, no longer extended, lapses', async () => {
    const first = makeDeps();
    await interrupted(first);
    const slow = new SlowServing(); // never answers: the settler dies waiting on it
    first.serving = () => slow;
    const store = first.store;
    let dead = false;
    // A dead replica's keep-alive extends nothing any more (its calls never reach the store).
    first.store = {
      ...store,
      extend: (lease, ttlMs) => (dead ? new Promise<boolean>(() => undefined) : store.extend(lease, ttlMs)),
    };
    const second = makeDeps({ store, clock: first.clock, fake: first.fake });

    void recoverInterruptedRollbacks(first);
    await slow.reading;
    await elapse(first, 30_000);
    dead = true;
    await elapse(first, 30_000);
    await pollDeadlines(second); // the lease still runs from the last extension: busy, look again
    expect(unknownEscalations(second)).toEqual([]);

    await elapse(first, 2 * 60_000);
    await pollDeadlines(second);
    expect(unknownEscalations(first, second)).toHaveLength(1);
    expect(unknownEscalations(second)).toHaveLength(1);
    expect((await store.pending()).map((deadline) => deadline.kind)).not.toContain('rollback-settle');
  });
});
