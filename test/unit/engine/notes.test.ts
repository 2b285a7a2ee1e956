import { describe, expect, it } from 'vitest';
import { RollbotError } from '../../../src/core/errors.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { addNote, MAX_NOTE_CHARS } from '../../../src/engine/notes.js';
import { resolve } from '../../../src/engine/resolve.js';
import { completeRetrospective } from '../../../src/engine/retro.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';

/** fraud-scorer lets only U0LEAD act: a note is not an action, so anyone's is taken. */
async function withIncident(): Promise<TestDeps> {
  const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', 'rollback: { approvers: [U0LEAD] }')] });
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  return deps;
}

/** What a refused note must leave as it was: the incident, its timeline, and what the channel was told. */
async function stored(deps: TestDeps) {
  return {
    incident: await deps.store.getIncident('INC-1'),
    timeline: await deps.store.list('INC-1'),
    told: deps.notifier.events.length,
  };
}

async function refusal(work: Promise<unknown>): Promise<RollbotError> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof RollbotError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe('addNote', () => {
  it("appends the note, trimmed, to the timeline as its author's, tells the channel, and changes nothing else", async () => {
    const deps = await withIncident();
    const incident = await deps.store.getIncident('INC-1');
    deps.clock.advance(5 * 60_000);

    const entry = await addNote(deps, 'INC-1', { by: 'U0ANA', text: '  feature store stale since 01:40 \n' });

    expect(entry).toMatchObject({
      incidentId: 'INC-1',
      at: deps.clock.now(),
      type: 'note',
      actor: 'U0ANA',
      text: 'feature store stale since 01:40',
    });
    expect((await deps.store.list('INC-1')).at(-1)).toEqual(entry);
    expect(deps.notifier.ofType('incident.updated').at(-1)).toMatchObject({
      incident: { id: 'INC-1', phase: incident?.phase },
      channel: 'C0TEST0001',
      text: 'note by U0ANA: feature store stale since 01:40',
    });
    // A note is no decision: the incident (its phase, its version) is as it was.
    expect(await deps.store.getIncident('INC-1')).toEqual(incident);
  });

  it('takes notes on a resolved and on a closed incident: they are often written for the retrospective', async () => {
    const deps = await withIncident();
    await resolve(deps, 'INC-1', { by: 'U0LEAD', reason: 'back to normal' });
    expect((await addNote(deps, 'INC-1', { by: 'U0BO', text: 'the feature job was paused' })).type).toBe(
      'note',
    );
    await completeRetrospective(deps, 'INC-1', { by: 'U0LEAD', rootCause: 'a paused feature job' });
    expect((await deps.store.getIncident('INC-1'))?.phase).toBe('closed');

    const late = await addNote(deps, 'INC-1', { by: 'cli:bo', text: 'runbook link fixed' });

    expect(late).toMatchObject({ type: 'note', actor: 'cli:bo', text: 'runbook link fixed' });
    const notes = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'note');
    expect(notes.map((note) => note.text)).toEqual(['the feature job was paused', 'runbook link fixed']);
  });

  it('refuses an empty note and one over the limit, naming its length, recording and telling nothing', async () => {
    const deps = await withIncident();
    const before = await stored(deps);

    for (const text of ['', '   \n\t ']) {
      const empty = await refusal(addNote(deps, 'INC-1', { by: 'U0ANA', text }));
      expect(empty).toMatchObject({ code: 'BAD_REQUEST', message: 'a note needs text' });
      expect(empty.hint).toBeDefined();
    }
    const long = await refusal(
      addNote(deps, 'INC-1', { by: 'U0ANA', text: ` ${'x'.repeat(MAX_NOTE_CHARS + 1)} ` }),
    );
    expect(long).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'a note is at most 3000 characters; this one has 3001',
    });
    expect(long.hint).toMatch(/split it/);

    expect(await stored(deps)).toEqual(before);
    // At the limit (once trimmed) it is taken.
    const full = `${'y'.repeat(MAX_NOTE_CHARS)}  `;
    expect((await addNote(deps, 'INC-1', { by: 'U0ANA', text: full })).text).toHaveLength(MAX_NOTE_CHARS);
  });

  it('refuses an unknown incident with how to find it, recording nothing', async () => {
    const deps = await withIncident();
    const before = await stored(deps);

    const unknown = await refusal(addNote(deps, 'INC-9', { by: 'U0ANA', text: 'anything' }));

    expect(unknown).toMatchObject({ code: 'NOT_FOUND', message: 'no incident INC-9' });
    expect(unknown.hint).toContain('/incident list');
    expect(await deps.store.list('INC-9')).toEqual([]);
    expect(await stored(deps)).toEqual(before);
  });
});
