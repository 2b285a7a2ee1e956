/**
 * `rollbot_retros_open` / `rollbot_retros_overdue` (retroCounts) count every open retrospective of a model, not
 * only those among its latest incidents: a model that had many incidents since a retrospective was left undone
 * must still report it overdue, since that is what people alert on. On both stores alike.
 */
import { describe, expect, it } from 'vitest';
import { dismiss } from '../../src/engine/decisions.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { resolve } from '../../src/engine/resolve.js';
import {
  completeRetrospective,
  getRetrospective,
  openRetrospective,
  retroCounts,
} from '../../src/engine/retro.js';
import { firing } from '../helpers/alerts.js';
import { makeDeps, makeRunbook, TestClock, type TestDeps } from '../helpers/engine.js';
import { useStoreBackends } from '../helpers/replicas.js';

const DAY = 86_400_000;
/** The durable per-model set of incidents with an open retrospective (retro-queries.ts). */
const OPEN_RETROS_KEY = 'retro:open:fraud-scorer';

const backends = useStoreBackends();

describe.each(backends)('the retrospective gauges on the %s store', (_name, createStore) => {
  function makeBot(): TestDeps {
    const clock = new TestClock();
    const store = createStore(clock);
    return makeDeps({ clock, store, runbooks: [{ ...makeRunbook('fraud-scorer'), tier: 2 as const }] });
  }

  /** An alert opens an incident, which a person resolves: its retrospective opens, due in 48 h. */
  async function resolvedIncident(deps: TestDeps): Promise<string> {
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const incident = await deps.store.openIncidentFor('fraud-scorer');
    if (!incident) throw new Error('the alert opened no incident');
    await resolve(deps, incident.id, { by: 'U0ANA', reason: 'back to normal' });
    return incident.id;
  }

  /** `count` alerts, each an incident of its own that a person decides is not a rollback (no retrospective). */
  async function dismissedIncidents(deps: TestDeps, count: number): Promise<void> {
    for (let n = 0; n < count; n++) {
      deps.clock.advance(DAY);
      await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now(), { fingerprint: `fp-${n}` })]);
      const incident = await deps.store.openIncidentFor('fraud-scorer');
      if (!incident) throw new Error(`alert ${n} opened no incident`);
      await dismiss(deps, incident.id, {
        actor: { id: 'U0ANA', groups: [] },
        reason: 'upstream outage, not the model',
        trigger: 'slack',
      });
    }
  }

  const countsOf = async (deps: TestDeps) =>
    (await retroCounts(deps, deps.clock.now())).find((count) => count.model === 'fraud-scorer');

  it('counts a retrospective left undone behind 60 later incidents, overdue, until it is completed', async () => {
    const deps = makeBot();
    const undone = await resolvedIncident(deps);
    await dismissedIncidents(deps, 60);
    expect(await deps.store.listIncidents({ model: 'fraud-scorer' })).toHaveLength(61);
    expect(await countsOf(deps)).toEqual({ model: 'fraud-scorer', open: 1, overdue: 1 });

    await completeRetrospective(deps, undone, { by: 'U0ANA', rootCause: 'a stale feature' });
    expect(await countsOf(deps)).toEqual({ model: 'fraud-scorer', open: 0, overdue: 0 });
    expect(await deps.store.getValue(OPEN_RETROS_KEY)).toBe('[]');
  });

  it('reads the latest incidents without their alert refs: the gauges are read on every Prometheus scrape', async () => {
    const deps = makeBot();
    await resolvedIncident(deps);
    const full: unknown[] = [];
    const listIncidents = deps.store.listIncidents.bind(deps.store);
    deps.store.listIncidents = async (filter) => {
      full.push(filter);
      return listIncidents(filter);
    };
    expect(await countsOf(deps)).toEqual({ model: 'fraud-scorer', open: 1, overdue: 0 });
    expect(full).toEqual([]);
  });

  it('still counts a retrospective opened before the set was kept, while it is among the latest 50', async () => {
    const deps = makeBot();
    const older = await resolvedIncident(deps);
    // As a store written by an earlier build holds it: the retrospective, and no set naming it.
    const listed = await deps.store.getValue(OPEN_RETROS_KEY);
    expect(listed).toBe(JSON.stringify([older]));
    expect(await deps.store.takeValueIfHeld(OPEN_RETROS_KEY, listed ?? '')).toBe(true);
    await dismissedIncidents(deps, 5);
    const retro = await getRetrospective(deps, older);
    expect(retro?.openedAt).toBeDefined();
    expect(retro?.completedAt).toBeUndefined();
    expect(await countsOf(deps)).toEqual({ model: 'fraud-scorer', open: 1, overdue: 1 });

    await completeRetrospective(deps, older, { by: 'U0ANA', rootCause: 'a stale feature' });
    expect(await countsOf(deps)).toEqual({ model: 'fraud-scorer', open: 0, overdue: 0 });
  });

  it('leaves off the list a retrospective completed while its opener was listing it', async () => {
    const deps = makeBot();
    // The retrospective is completed (on another replica, say) between its opener storing it and listing it.
    const compareAndSet = deps.store.compareAndSetValue.bind(deps.store);
    let raced = false;
    deps.store.compareAndSetValue = async (key, expected, next) => {
      if (key === OPEN_RETROS_KEY && !raced) {
        raced = true;
        const [resolved] = await deps.store.listIncidents({ model: 'fraud-scorer' });
        await completeRetrospective(deps, resolved?.id ?? '', { by: 'U0ANA', rootCause: 'a stale feature' });
      }
      return compareAndSet(key, expected, next);
    };
    const incident = await resolvedIncident(deps);
    expect(raced).toBe(true);
    expect((await getRetrospective(deps, incident))?.completedAt).toBeDefined();

    expect(await countsOf(deps)).toEqual({ model: 'fraud-scorer', open: 0, overdue: 0 });
    expect(JSON.parse((await deps.store.getValue(OPEN_RETROS_KEY)) ?? '[]')).toEqual([]);
  });

  it('puts a retrospective back on the list when it is opened again (the stand-in after a crash before the list)', async () => {
    const deps = makeBot();
    const incident = await resolvedIncident(deps);
    // The opener died between storing the retrospective and listing it.
    expect(await deps.store.takeValueIfHeld(OPEN_RETROS_KEY, JSON.stringify([incident]))).toBe(true);
    expect(await openRetrospective(deps, incident)).toMatchObject({ opened: false });
    expect(await deps.store.getValue(OPEN_RETROS_KEY)).toBe(JSON.stringify([incident]));
  });
});
