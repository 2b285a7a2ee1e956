import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { dismiss } from '../../../src/engine/decisions.js';
import { MAX_NOTE_CHARS, notesOf } from '../../../src/engine/notes.js';
import {
  capturePin,
  capturePinnedMessage,
  NO_TEXT,
  PIN_RETRY_WAITS_MS,
  pinnedNoteText,
  type PinnedMessage,
} from '../../../src/engine/pinned.js';
import { resolve } from '../../../src/engine/resolve.js';
import { completeRetrospective } from '../../../src/engine/retro.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, metricValue, type TestDeps } from '../../helpers/engine.js';

async function withIncident(): Promise<TestDeps> {
  const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', 'rollback: { approvers: [U0LEAD] }')] });
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  return deps;
}

const message: PinnedMessage = {
  channel: 'C0TEST0001',
  ts: '1700000050.000200',
  author: 'U0ANA',
  pinnedBy: 'U0BO',
  text: '  feature store stale since 01:40 <@U0CY>\n',
};

const pins = (deps: TestDeps, outcome: string) =>
  metricValue(deps.metrics, 'rollbot_pinned_messages_total', { outcome });

describe('pinnedNoteText', () => {
  it('keeps the text as sent, trimmed', () => {
    expect(pinnedNoteText(' see <https://grafana/d/1|the board> *now* ')).toBe(
      'see <https://grafana/d/1|the board> *now*',
    );
  });

  it('cuts a long message to a note’s length, marking the cut, and names a message without text', () => {
    const cut = pinnedNoteText('x'.repeat(MAX_NOTE_CHARS + 500));
    expect(cut).toHaveLength(MAX_NOTE_CHARS);
    expect(cut.endsWith('…')).toBe(true);
    expect(pinnedNoteText('y'.repeat(MAX_NOTE_CHARS))).toHaveLength(MAX_NOTE_CHARS);
    expect(pinnedNoteText(' \n ')).toBe(NO_TEXT);
  });
});

describe('capturePinnedMessage', () => {
  it("puts the message on the timeline as its author's note, with who pinned it and where it is", async () => {
    const deps = await withIncident();
    const incident = await deps.store.getIncident('INC-1');
    deps.clock.advance(60_000);

    const { outcome, entry } = await capturePinnedMessage(deps, 'INC-1', message);

    expect(outcome).toBe('captured');
    expect(entry).toMatchObject({
      incidentId: 'INC-1',
      at: deps.clock.now(),
      type: 'note',
      actor: 'U0ANA',
      text: 'feature store stale since 01:40 <@U0CY>',
      data: { pinnedBy: 'U0BO', channel: 'C0TEST0001', ts: '1700000050.000200' },
    });
    // A note like any other: the retrospective's template quotes it.
    expect(await notesOf(deps, 'INC-1')).toEqual([entry]);
    // Nothing said in the thread (the message is there), nothing else changed.
    expect(deps.notifier.events.filter((event) => event.type === 'incident.updated')).toEqual([]);
    expect(await deps.store.getIncident('INC-1')).toEqual(incident);
    expect(await pins(deps, 'captured')).toBe(1);
  });

  it('captures a message once, whoever pins it again', async () => {
    const deps = await withIncident();
    await capturePinnedMessage(deps, 'INC-1', message);
    const timeline = await deps.store.list('INC-1');

    const again = await capturePinnedMessage(deps, 'INC-1', { ...message, pinnedBy: 'U0CY' });

    expect(again).toEqual({ outcome: 'duplicate' });
    expect(await deps.store.list('INC-1')).toEqual(timeline);
    expect(await pins(deps, 'duplicate')).toBe(1);
    // Another message of the thread is its own.
    expect((await capturePinnedMessage(deps, 'INC-1', { ...message, ts: '1700000060.000300' })).outcome).toBe(
      'captured',
    );
  });

  it("leaves rollbot's own post off the timeline, whose words are on it already", async () => {
    const deps = await withIncident();
    const before = await deps.store.list('INC-1');

    const { outcome, entry } = await capturePinnedMessage(deps, 'INC-1', {
      ...message,
      author: 'rollbot',
      byRollbot: true,
    });

    expect(outcome).toBe('rollbot_post');
    expect(entry).toBeUndefined();
    expect(await deps.store.list('INC-1')).toEqual(before);
    expect(await pins(deps, 'rollbot_post')).toBe(1);
  });

  it('captures while the retrospective is written, and not once it is done', async () => {
    const deps = await withIncident();
    await resolve(deps, 'INC-1', { by: 'U0LEAD', reason: 'back to normal' });
    expect((await capturePinnedMessage(deps, 'INC-1', message)).outcome).toBe('captured');

    await completeRetrospective(deps, 'INC-1', { by: 'U0LEAD', rootCause: 'a paused feature job' });
    const timeline = await deps.store.list('INC-1');
    const late = { ...message, ts: '1700009999.000100' };

    expect(await capturePinnedMessage(deps, 'INC-1', late)).toEqual({ outcome: 'closed' });
    expect(await deps.store.list('INC-1')).toEqual(timeline);
    expect(await pins(deps, 'closed')).toBe(1);
  });

  it('does not capture on an incident dismissed without a retrospective, nor on an unknown one', async () => {
    const deps = await withIncident();
    const lead = { id: 'U0LEAD', groups: [] };
    await dismiss(deps, 'INC-1', { actor: lead, reason: 'a dashboard glitch', trigger: 'slack' });
    const timeline = await deps.store.list('INC-1');

    expect((await capturePinnedMessage(deps, 'INC-1', message)).outcome).toBe('closed');
    expect(await capturePinnedMessage(deps, 'INC-9', message)).toEqual({ outcome: 'outside_incident' });
    expect(await deps.store.list('INC-1')).toEqual(timeline);
    expect(await deps.store.list('INC-9')).toEqual([]);
  });
});

describe('capturePin', () => {
  it('finds the incident, then captures; a message in no incident thread is counted and left alone', async () => {
    const deps = await withIncident();
    expect(await capturePin(deps, async () => 'INC-1', message)).toMatchObject({
      outcome: 'captured',
      incidentId: 'INC-1',
    });
    expect(await capturePin(deps, async () => undefined, message)).toEqual({ outcome: 'outside_incident' });
    expect(await pins(deps, 'outside_incident')).toBe(1);
  });

  it('tries the lookup and the capture again while the store fails, waiting longer each time', async () => {
    const deps = await withIncident();
    const start = deps.clock.now();
    let lookups = 0;
    const flaky = async () => {
      lookups += 1;
      if (lookups <= 2) throw new Error('Connection is closed.');
      return 'INC-1';
    };

    expect((await capturePin(deps, flaky, message)).outcome).toBe('captured');
    expect(deps.clock.now() - start).toBe(PIN_RETRY_WAITS_MS[0]! + PIN_RETRY_WAITS_MS[1]!);
    expect(await notesOf(deps, 'INC-1')).toHaveLength(1);
    expect(await pins(deps, 'captured')).toBe(1);
  });

  it('gives up after the last wait, counting store_unavailable once and writing nothing', async () => {
    const deps = await withIncident();
    const timeline = await deps.store.list('INC-1');
    let lookups = 0;
    const down = async (): Promise<string> => {
      lookups += 1;
      throw new Error('Connection is closed.');
    };

    expect(await capturePin(deps, down, message)).toEqual({ outcome: 'store_unavailable' });
    expect(lookups).toBe(PIN_RETRY_WAITS_MS.length + 1);
    expect(await deps.store.list('INC-1')).toEqual(timeline);
    expect(await pins(deps, 'store_unavailable')).toBe(1);
  });
});
