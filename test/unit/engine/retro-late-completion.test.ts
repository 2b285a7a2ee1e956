/**
 * A retrospective completed after its due time missed its target, whether or not an overdue reminder came round
 * before (the poller was behind, or the bot down at the due time): the breach is recorded, counted once, and the
 * completion says it was late.
 */
import { describe, expect, it } from 'vitest';
import { decide, resolve, type Incident } from '../../../src/core/incident.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { completeRetrospective, handleRetroReminder, openRetrospective } from '../../../src/engine/retro.js';
import { makeDeps, metricValue, type TestDeps } from '../../helpers/engine.js';
import { makeIncident, TEST_TARGETS } from '../../helpers/incidents.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** An incident resolved now from triage; its retrospective is due in 48h. */
async function resolvedIncident(deps: TestDeps): Promise<Incident> {
  const now = deps.clock.now();
  const id = await deps.store.nextIncidentId();
  await deps.store.createIfNoneOpen(
    makeIncident({ id, at: now - 30 * MINUTE, targets: { ...TEST_TARGETS, retro: 48 * HOUR } }),
  );
  const { incident } = await mutateIncident(deps.store, id, (current) =>
    resolve(
      decide(current, {
        kind: 'rollback',
        by: 'U0ONCALL',
        at: now - 25 * MINUTE,
        reason: 'accuracy fell',
        trigger: 'slack',
      }),
      now,
    ),
  );
  return incident;
}

const input = { by: 'U0LEAD', rootCause: 'a broken feature join' };
const retroBreaches = (deps: TestDeps) =>
  metricValue(deps.metrics, 'rollbot_target_breaches_total', { stage: 'retro' });

describe('a retrospective completed after its due time', () => {
  it('records and counts the missed target once, though no overdue reminder had come round', async () => {
    const deps = makeDeps();
    const incident = await resolvedIncident(deps);
    const { retro } = await openRetrospective(deps, incident.id);
    deps.clock.set(retro.dueAt + 5 * MINUTE);

    await completeRetrospective(deps, incident.id, input);
    const closed = await deps.store.getIncident(incident.id);
    expect(closed?.stages.retro).toMatchObject({
      endedAt: retro.dueAt + 5 * MINUTE,
      breachedAt: retro.dueAt + 5 * MINUTE,
    });
    expect(await retroBreaches(deps)).toBe(1);
    const completed = (await deps.store.list(incident.id)).find((e) => e.type === 'retro.completed');
    expect(completed?.text).toContain('5m after its due time');

    // A second completion (which repairs what a failed one left undone) counts nothing more.
    await expect(completeRetrospective(deps, incident.id, input)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await retroBreaches(deps)).toBe(1);
  });

  it('counts it once when the overdue reminder recorded it first', async () => {
    const deps = makeDeps();
    const incident = await resolvedIncident(deps);
    const { retro } = await openRetrospective(deps, incident.id);
    deps.clock.set(retro.dueAt);
    expect(await handleRetroReminder(deps, { incidentId: incident.id, key: 'overdue-0d' })).toBe(true);
    deps.clock.set(retro.dueAt + HOUR);

    await completeRetrospective(deps, incident.id, input);
    expect((await deps.store.getIncident(incident.id))?.stages.retro.breachedAt).toBe(retro.dueAt);
    expect(await retroBreaches(deps)).toBe(1);
  });

  it('records no breach for one completed 1 ms before its due time', async () => {
    const deps = makeDeps();
    const incident = await resolvedIncident(deps);
    const { retro } = await openRetrospective(deps, incident.id);
    deps.clock.set(retro.dueAt - 1);

    await completeRetrospective(deps, incident.id, input);
    expect((await deps.store.getIncident(incident.id))?.stages.retro.breachedAt).toBeUndefined();
    expect(await retroBreaches(deps)).toBe(0);
    const completed = (await deps.store.list(incident.id)).find((e) => e.type === 'retro.completed');
    expect(completed?.text).not.toContain('due time');
  });
});
