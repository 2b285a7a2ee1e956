/**
 * A replica that dies at any point after its rollback FAILED (a rolling deploy at 02:00, the pager answering
 * 503) leaves the failure's escalation to another replica: someone is paged, and the timeline says so once.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident.js';
import type { EscalationEvent } from '../../src/engine/notifier-port.js';
import type { Store } from '../../src/engine/ports.js';
import { rollback } from '../../src/engine/rollback.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { dyingStore, type DeathFrom } from '../helpers/dying-store.js';
import { makeDeps, TestClock, type TestDeps, ONCALL_ROLLBACK } from '../helpers/engine.js';
import { FakeServing, permanent } from '../helpers/fake-serving.js';
import { pollFor, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();

const request = ONCALL_ROLLBACK;

/** The write of a rollback attempt's failure on an incident. */
const rollbackFailed: DeathFrom = (method, result) =>
  method === 'updateIncident' && (result as Incident | undefined)?.rollback?.status === 'failed';

const failureEscalations = (deps: TestDeps): EscalationEvent[] =>
  deps.notifier.ofType('escalation').filter((event) => event.about === 'rollback-failed');

/** A replica whose rollback fails and which dies `callsAfter` store calls after writing the failure, and a survivor. */
async function diesAfterFailure(clock: TestClock, dyingOn: Store, survivorOn: Store, callsAfter: number) {
  const fake = new FakeServing();
  fake.executeErrors.push(permanent());
  const dying = dyingStore(dyingOn, callsAfter, rollbackFailed);
  const first = makeDeps({ store: dying.store, clock, fake });
  const survivor = makeDeps({ store: survivorOn, clock, fake });
  void rollback(first, request);
  await dying.died;
  // Past the send lock of a replica that died sending (SEND_LOCK_TTL_MS), which its stand-in waits out.
  await pollFor(survivor, 6 * MINUTE);
  const escalated = (await survivor.store.list('INC-1')).filter(
    (entry) => entry.type === 'rollback.failed' && entry.data?.escalated === true,
  );
  return { first, survivor, escalated };
}

describe('a replica that dies after its rollback failed', () => {
  it('on Redis, right after writing the failure: another replica escalates it, once', async () => {
    const prefix = `test:${randomUUID()}:`;
    const { first, survivor, escalated } = await diesAfterFailure(
      new TestClock(),
      redisStore(prefix),
      redisStore(prefix),
      0,
    );
    expect(failureEscalations(first)).toEqual([]);
    expect(failureEscalations(survivor)).toHaveLength(1);
    expect(escalated).toMatchObject([{ data: { attempt: 1, delivered: true } }]);
    expect((await survivor.store.pending()).map((deadline) => deadline.kind)).not.toContain(
      'rollback-failed',
    );
  });

  // The memory store, so that each of the many runs takes no real time. From the failure's record to the stand-in
  // cancelled, escalating takes 8 store calls (the last, the cancel, is call 7 after the failure).
  it.each(Array.from({ length: 8 }, (_, calls) => calls))(
    '%i store calls after writing the failure: escalated at least once, recorded once',
    async (calls) => {
      // The store's clock is the replicas': the dead replica's send lock lapses as they poll.
      const clock = new TestClock();
      const store = createMemoryStore({ clock });
      const { first, survivor, escalated } = await diesAfterFailure(clock, store, store, calls);
      // Twice only when it died between sending and recording: a duplicate, never silence.
      const sent = failureEscalations(first).length + failureEscalations(survivor).length;
      expect(sent).toBeGreaterThanOrEqual(1);
      expect(failureEscalations(survivor).length).toBeLessThanOrEqual(1);
      expect(escalated).toHaveLength(1);
      expect((await survivor.store.pending()).map((deadline) => deadline.kind)).not.toContain(
        'rollback-failed',
      );
    },
  );
});
