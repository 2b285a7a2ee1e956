/**
 * A retrospective opened after its due time (every replica down from the resolution until after it, so that only
 * the stand-in deadline opens it, days later) is said to be overdue, by how much, not "due … (in -1d 2h)".
 */
import { expect, it } from 'vitest';
import { decide, resolve } from '../../../src/core/incident.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { openRetrospective } from '../../../src/engine/retro.js';
import { makeDeps } from '../../helpers/engine.js';
import { makeIncident, TEST_TARGETS } from '../../helpers/incidents.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

it('opened after its due time, it says it is overdue and since when, on the thread and the timeline', async () => {
  const deps = makeDeps();
  const resolvedAt = deps.clock.now();
  const id = await deps.store.nextIncidentId();
  await deps.store.createIfNoneOpen(
    makeIncident({ id, at: resolvedAt - 30 * MINUTE, targets: { ...TEST_TARGETS, retro: 48 * HOUR } }),
  );
  await mutateIncident(deps.store, id, (current) =>
    resolve(
      decide(current, {
        kind: 'rollback',
        by: 'U0ONCALL',
        at: resolvedAt - 25 * MINUTE,
        reason: 'x',
        trigger: 'slack',
      }),
      resolvedAt,
    ),
  );
  deps.clock.set(resolvedAt + 50 * HOUR);

  const { retro } = await openRetrospective(deps, id);
  const due = new Date(retro.dueAt).toISOString().replace(/\.000Z$/, 'Z');
  const opened = deps.notifier.ofType('retro.opened')[0]?.text ?? '';
  expect(opened).toMatch(
    new RegExp(`^Blameless retrospective for ${id} is open, OVERDUE by 2h \\(was due ${due}\\)\\. `),
  );
  expect(opened).not.toContain('in -');
  expect((await deps.store.list(id)).find((entry) => entry.type === 'retro.opened')?.text).toBe(
    `blameless retrospective opened; OVERDUE by 2h (was due ${due})`,
  );
});
