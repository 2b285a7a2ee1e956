import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { dismiss } from '../../../src/engine/decisions.js';
import { MAX_NOTE_CHARS, noteLink, notesOf } from '../../../src/engine/notes.js';
import {
  capturePin,
  capturePinnedMessage,
  NO_TEXT,
  PIN_RETRY_WAITS_MS,
  pinnedNoteText,
  type PinnedMessage,
} from '../../../src/engine/pinned.js';
import type { TimelineEntry } from '../../../src/engine/ports.js';
import { resolve } from '../../../src/engine/resolve.js';
import { completeRetrospective } from '../../../src/engine/retro.js';
import { createLogger } from '../../../src/observability/logger.js';
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

/** A reply's link, as Slack's chat.getPermalink answers it. */
const PERMALINK =
  'https://acme.slack.com/archives/C0TEST0001/p1700000050000200?thread_ts=1700000000.000100&cid=C0TEST0001';

/** `deps.logger` replaced by one that keeps its lines (warn and above), to read what was said. */
function keepLogs(deps: TestDeps): { level: number; msg: string; [field: string]: unknown }[] {
  const lines: { level: number; msg: string }[] = [];
  deps.logger = createLogger({
    level: 'warn',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        done();
      },
    }),
  });
  return lines;
}

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

describe('the link to a captured message', () => {
  it('is kept in the note’s data beside where the message is, its text unchanged', async () => {
    const deps = await withIncident();

    const { outcome, entry } = await capturePinnedMessage(deps, 'INC-1', message, async () => PERMALINK);

    expect(outcome).toBe('captured');
    expect(entry).toMatchObject({
      actor: 'U0ANA',
      text: 'feature store stale since 01:40 <@U0CY>',
      data: { pinnedBy: 'U0BO', channel: 'C0TEST0001', ts: '1700000050.000200', permalink: PERMALINK },
    });
    expect(noteLink(entry!)).toBe(PERMALINK);
  });

  it('is not asked for when the message is not captured (rollbot’s post, an incident over)', async () => {
    const deps = await withIncident();
    let asked = 0;
    const permalinkOf = async () => {
      asked += 1;
      return PERMALINK;
    };

    await capturePinnedMessage(deps, 'INC-1', { ...message, byRollbot: true }, permalinkOf);
    await capturePinnedMessage(deps, 'INC-9', message, permalinkOf);
    await capturePin(deps, async () => undefined, message, permalinkOf);

    expect(asked).toBe(0);
  });

  it('that cannot be had does not stop the capture: captured without it, and said at warn', async () => {
    const deps = await withIncident();
    const lines = keepLogs(deps);

    const failed = await capturePinnedMessage(deps, 'INC-1', message, () =>
      Promise.reject(new Error('An API error occurred: internal_error')),
    );
    const odd = await capturePinnedMessage(
      deps,
      'INC-1',
      { ...message, ts: '1700000060.000300' },
      async () => 'javascript:alert(1)',
    );
    const none = await capturePinnedMessage(
      deps,
      'INC-1',
      { ...message, ts: '1700000070.000400' },
      async () => undefined,
    );

    for (const { outcome, entry } of [failed, odd, none]) {
      expect(outcome).toBe('captured');
      expect(entry?.data).not.toHaveProperty('permalink');
      expect(noteLink(entry!)).toBeUndefined();
    }
    expect(await notesOf(deps, 'INC-1')).toHaveLength(3);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        ts: '1700000050.000200',
        msg: expect.stringMatching(
          /^cannot get a link to the pinned message.*internal_error.*captured without it/,
        ),
      }),
      expect.objectContaining({
        level: 40,
        ts: '1700000060.000300',
        msg: expect.stringMatching(/^the link Slack gave .* is not a web address; captured without it/),
      }),
      expect.objectContaining({
        level: 40,
        ts: '1700000070.000400',
        msg: expect.stringMatching(/^Slack gave no link to the pinned message; captured without it/),
      }),
    ]);
    expect(await pins(deps, 'captured')).toBe(3);
  });

  it('is asked for once however often the store part is tried again', async () => {
    const deps = await withIncident();
    let lookups = 0;
    let asked = 0;
    const flaky = async () => {
      lookups += 1;
      if (lookups === 2) throw new Error('Connection is closed.');
      return 'INC-1';
    };
    const store = deps.store;
    let appends = 0;
    deps.store = {
      ...store,
      appendOnce: async (entry, key) => {
        appends += 1;
        if (appends === 1) throw new Error('Connection is closed.');
        return store.appendOnce(entry, key);
      },
    };

    const { outcome, entry } = await capturePin(deps, flaky, message, async () => {
      asked += 1;
      return PERMALINK;
    });

    expect(outcome).toBe('captured');
    expect(entry?.data).toMatchObject({ permalink: PERMALINK });
    expect(lookups).toBe(3);
    expect(asked).toBe(1);
  });

  it('is read only from a note’s data holding a web address', () => {
    const note: Omit<TimelineEntry, 'data'> = {
      seq: 1,
      at: 0,
      incidentId: 'INC-1',
      type: 'note',
      actor: 'U0ANA',
      text: 'x',
    };
    expect(noteLink({ ...note, data: { permalink: PERMALINK } })).toBe(PERMALINK);
    // Written by hand (no data), or captured by a build from before links.
    expect(noteLink(note)).toBeUndefined();
    expect(
      noteLink({ ...note, data: { pinnedBy: 'U0BO', channel: 'C0TEST0001', ts: '1700000050.000200' } }),
    ).toBeUndefined();
    expect(noteLink({ ...note, data: { permalink: 42 } })).toBeUndefined();
    expect(noteLink({ ...note, data: { permalink: 'javascript:alert(1)' } })).toBeUndefined();
    expect(
      noteLink({ ...note, data: { permalink: `https://acme.slack.com/${'p'.repeat(3_000)}` } }),
    ).toBeUndefined();
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
