import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident.js';
import { scheduleConfirmPoll } from '../../src/engine/confirm-poll.js';
import { STAGE_TARGET, stageTargetId } from '../../src/engine/escalation.js';
import { pollDeadlines } from '../../src/engine/poller.js';
import type { Store } from '../../src/engine/ports.js';
import { resolve } from '../../src/engine/resolve.js';
import { getRetrospective } from '../../src/engine/retro.js';
import { dyingStore, type DeathFrom } from '../helpers/dying-store.js';
import { makeDeps, makeRunbook, TestClock, type TestDeps } from '../helpers/engine.js';
import { makeIncident } from '../helpers/incidents.js';
import { pollFor, timelineTypes, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
const redisStore = useRedisStores();
const how = { by: 'U0ONCALL', reason: 'fixed upstream' };

/** Two replicas of one bot, sharing its Redis. */
function replicas(resolverStore: Store, survivorStore: Store, clock: TestClock) {
  const runbooks = [makeRunbook('fraud-scorer')];
  return {
    resolver: makeDeps({ store: resolverStore, clock, runbooks }),
    survivor: makeDeps({ store: survivorStore, clock, runbooks }),
  };
}

/** INC-1, open in triage, with its stage deadline and a confirmation poll pending far ahead. */
async function openIncident(deps: TestDeps): Promise<void> {
  const incident = makeIncident({ id: 'INC-1', model: 'fraud-scorer', at: deps.clock.now() });
  await deps.store.createIfNoneOpen(incident);
  await deps.store.schedule({
    id: stageTargetId('INC-1', 'triage'),
    kind: STAGE_TARGET,
    dueAt: deps.clock.now() + 30 * MINUTE,
    payload: { incidentId: 'INC-1', stage: 'triage' },
  });
  await scheduleConfirmPoll(deps, 'INC-1', deps.clock.now() + 30 * MINUTE);
}

/** The write of an incident's resolution. */
const resolutionWritten: DeathFrom = (method, result) =>
  method === 'updateIncident' && (result as Incident | undefined)?.phase === 'resolved';

/** The "resolved by" notices the replicas given sent. */
function resolvedNotices(...replicas: TestDeps[]): string[] {
  return replicas.flatMap((deps) =>
    deps.notifier.events.flatMap((event) =>
      event.type === 'incident.updated' && event.text.startsWith('resolved by') ? [event.text] : [],
    ),
  );
}

/** The incident's deadlines still pending, by kind. */
async function pendingKinds(store: Store): Promise<string[]> {
  return (await store.pending()).filter((d) => d.payload.incidentId === 'INC-1').map((d) => d.kind);
}

describe('a replica that died right after it wrote a resolution', () => {
  it('leaves what follows to another replica: the record, its notice, the cancelled deadlines, the retro', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const dying = dyingStore(redisStore(prefix), 0, resolutionWritten);
    const { resolver, survivor } = replicas(dying.store, redisStore(prefix), clock);
    await openIncident(survivor);

    void resolve(resolver, 'INC-1', how);
    await dying.died;
    expect((await survivor.store.getIncident('INC-1'))?.phase).toBe('resolved');
    expect(await timelineTypes(survivor.store)).not.toContain('incident.resolved');

    await pollFor(survivor, 2 * MINUTE);
    const types = await timelineTypes(survivor.store);
    expect(types.filter((type) => type === 'incident.resolved')).toHaveLength(1);
    expect(resolvedNotices(resolver, survivor)).toEqual([
      expect.stringMatching(/^resolved by U0ONCALL after .*: fixed upstream$/),
    ]);
    expect(await pendingKinds(survivor.store)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(stage-target|confirm-poll)$/)]),
    );
    expect(await getRetrospective(survivor, 'INC-1')).toMatchObject({ incidentId: 'INC-1' });
  });
});

describe('a resolution without a crash', () => {
  it('is followed once, however many replicas poll', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clock = new TestClock();
    const { resolver, survivor } = replicas(redisStore(prefix), redisStore(prefix), clock);
    await openIncident(resolver);
    await resolve(resolver, 'INC-1', how);

    for (let step = 0; step < 12; step++) {
      clock.advance(10_000);
      await Promise.all([resolver, survivor].map((deps) => pollDeadlines(deps)));
    }
    const types = await timelineTypes(resolver.store);
    expect(types.filter((type) => type === 'incident.resolved')).toHaveLength(1);
    expect(types.filter((type) => type === 'retro.opened')).toHaveLength(1);
    expect(resolvedNotices(resolver, survivor)).toHaveLength(1);
    expect(await pendingKinds(resolver.store)).toEqual(
      expect.not.arrayContaining(['stage-target', 'confirm-poll', 'retro-open']),
    );
  });
});
