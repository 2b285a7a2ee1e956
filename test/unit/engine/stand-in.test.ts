import { describe, expect, it } from 'vitest';
import { standIn } from '../../../src/engine/stand-in.js';
import { makeDeps } from '../../helpers/engine.js';

const followUp = standIn<{ attempt: number }>('follow-up', 'follow-up');
const other = standIn('other-step', 'other-step');

describe('a stand-in', () => {
  it("is one deadline of its kind per incident, its id the incident's and its suffix", () => {
    expect(followUp.id('INC-7')).toBe('INC-7:follow-up');
    expect(standIn('triage-decision', 'decision:1234').id('INC-7')).toBe('INC-7:decision:1234');
  });

  it('is scheduled with its kind and a payload naming its incident first, then its details', async () => {
    const deps = makeDeps();
    const at = deps.clock.now() + 60_000;
    await followUp.schedule(deps, 'INC-7', { attempt: 2 }, at);
    await other.schedule(deps, 'INC-7', {}, at);
    expect(await deps.store.pending()).toEqual([
      { id: 'INC-7:follow-up', kind: 'follow-up', dueAt: at, payload: { incidentId: 'INC-7', attempt: 2 } },
      { id: 'INC-7:other-step', kind: 'other-step', dueAt: at, payload: { incidentId: 'INC-7' } },
    ]);
    const [stored] = await deps.store.pending();
    expect(Object.keys(stored?.payload ?? {})).toEqual(['incidentId', 'attempt']);
  });

  it('moves when it is scheduled again, with what it was scheduled with last', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    await followUp.schedule(deps, 'INC-7', { attempt: 1 }, now + 60_000);
    await followUp.schedule(deps, 'INC-7', { attempt: 2 }, now + 5_000);
    expect(await deps.store.pending()).toEqual([
      {
        id: 'INC-7:follow-up',
        kind: 'follow-up',
        dueAt: now + 5_000,
        payload: { incidentId: 'INC-7', attempt: 2 },
      },
    ]);
  });

  it("is cancelled for its incident alone, leaving other incidents' and other steps' stand-ins", async () => {
    const deps = makeDeps();
    const at = deps.clock.now() + 60_000;
    await followUp.schedule(deps, 'INC-7', { attempt: 1 }, at);
    await followUp.schedule(deps, 'INC-8', { attempt: 1 }, at);
    await other.schedule(deps, 'INC-7', {}, at);
    await followUp.cancel(deps, 'INC-7');
    expect((await deps.store.pending()).map((deadline) => deadline.id)).toEqual([
      'INC-7:other-step',
      'INC-8:follow-up',
    ]);
  });
});
