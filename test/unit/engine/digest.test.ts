import { describe, expect, it } from 'vitest';
import { DIGEST_SEND, digestText, scheduleDigest, sendDigest } from '../../../src/engine/digest.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import type { Incident } from '../../../src/core/incident.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { makeIncident } from '../../helpers/incidents.js';
import { LIMITS } from '../../../src/slack/blocks/limits.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';

const HOUR = 3_600_000;

function depsWithTwoChannels(): TestDeps {
  return makeDeps({
    runbooks: [
      makeRunbook('fraud-scorer'),
      makeRunbook('churn-predictor'),
      { ...makeRunbook('search-ranker'), channel: 'C0OTHER001' },
    ],
  });
}

async function open(deps: TestDeps, incident: Incident): Promise<Incident> {
  return (await deps.store.createIfNoneOpen(incident)).incident;
}

const digests = (deps: TestDeps) => deps.notifier.ofType('channel.message');

describe('the daily digest', () => {
  it("lists the channel's SEV-4 incidents once, leaving out other severities, drills and other channels", async () => {
    const deps = depsWithTwoChannels();
    const now = deps.clock.now();
    const minor = await open(deps, makeIncident({ model: 'fraud-scorer', severity: 4, at: now - 2 * HOUR }));
    const alsoMinor = await open(
      deps,
      makeIncident({ model: 'churn-predictor', severity: 4, at: now - HOUR }),
    );
    await open(deps, makeIncident({ model: 'search-ranker', severity: 4, at: now - HOUR }));
    const serious = makeIncident({ model: 'churn-predictor', severity: 2, at: now - HOUR });
    await deps.store.createIfNoneOpen({ ...serious, id: 'INC-SERIOUS' });
    await deps.store.createIfNoneOpen(
      makeIncident({ model: 'fraud-scorer', severity: 4, drill: true, at: now }),
    );

    await scheduleDigest(deps, 'C0TEST0001', now + HOUR);
    await scheduleDigest(deps, 'C0TEST0001', now + HOUR); // a second SEV-4 schedules the same digest
    expect((await deps.store.pending()).filter((deadline) => deadline.kind === DIGEST_SEND)).toHaveLength(1);

    expect(await pollDeadlines(deps)).toBe(0); // not due yet
    expect(digests(deps)).toEqual([]);
    deps.clock.advance(HOUR);
    expect(await pollDeadlines(deps)).toBe(1);

    const [message, ...more] = digests(deps);
    expect(more).toEqual([]);
    expect(message?.channel).toBe('C0TEST0001');
    expect(message?.text.split('\n')).toEqual([
      'Daily digest: 2 SEV-4 incidents (not paged)',
      `• ${minor.id} fraud-scorer: ${minor.summary} — triage`,
      `• ${alsoMinor.id} churn-predictor: ${alsoMinor.summary} — triage`,
    ]);
  });

  it('lists an incident in one digest only, and posts nothing when there is nothing new', async () => {
    const deps = depsWithTwoChannels();
    const now = deps.clock.now();
    await open(deps, makeIncident({ model: 'fraud-scorer', severity: 4, at: now }));
    const first = { id: 'd1', kind: DIGEST_SEND, dueAt: now + HOUR, payload: { channel: 'C0TEST0001' } };
    expect(await sendDigest(deps, first)).toBe(1);
    expect(await sendDigest(deps, { ...first, id: 'd2', dueAt: now + 25 * HOUR })).toBe(0);
    expect(digests(deps)).toHaveLength(1);

    const later = await open(
      deps,
      makeIncident({ model: 'churn-predictor', severity: 4, at: now + 2 * HOUR }),
    );
    expect(await sendDigest(deps, { ...first, id: 'd3', dueAt: now + 49 * HOUR })).toBe(1);
    expect(digests(deps)[1]?.text).toContain(later.id);
    expect(digests(deps)[1]?.text).toMatch(/^Daily digest: 1 SEV-4 incident \(not paged\)/);
  });

  it('marks incidents listed only once the digest reached Slack: one Slack gave up on lists them again next time', async () => {
    const deps = depsWithTwoChannels();
    const now = deps.clock.now();
    const minor = await open(deps, makeIncident({ model: 'fraud-scorer', severity: 4, at: now }));
    const first = { id: 'd1', kind: DIGEST_SEND, dueAt: now + HOUR, payload: { channel: 'C0TEST0001' } };
    deps.notifier.arrival = async () => false; // Slack was down for the notifier's ten minutes of retries
    expect(await sendDigest(deps, first)).toBe(0);
    expect(deps.notifier.delivered).toEqual([
      expect.objectContaining({ type: 'channel.message', channel: 'C0TEST0001' }),
    ]);

    deps.notifier.arrival = async () => true;
    expect(await sendDigest(deps, { ...first, id: 'd2', dueAt: now + 25 * HOUR })).toBe(1);
    expect(deps.notifier.delivered[1]).toMatchObject({ text: expect.stringContaining(minor.id) });
    expect(await sendDigest(deps, { ...first, id: 'd3', dueAt: now + 49 * HOUR })).toBe(0);
  });

  it('lists the incidents of a digest Slack gave up on in one a day on, though no SEV-4 opened since to schedule it', async () => {
    const deps = depsWithTwoChannels();
    const now = deps.clock.now();
    const minor = await open(deps, makeIncident({ model: 'fraud-scorer', severity: 4, at: now }));
    await scheduleDigest(deps, 'C0TEST0001', now + HOUR); // the only SEV-4 opening schedules the only digest
    deps.notifier.arrival = async () => false; // Slack was down for the notifier's ten minutes of retries
    deps.clock.advance(HOUR);
    await pollDeadlines(deps);
    expect(digests(deps)).toHaveLength(1);

    deps.notifier.arrival = async () => true;
    deps.clock.advance(24 * HOUR);
    await pollDeadlines(deps);
    expect(digests(deps)).toHaveLength(2);
    expect(digests(deps)[1]?.text).toContain(minor.id);
  });

  it('leaves a digest still on its way unmarked, for its deadline to come round and record once it arrives', async () => {
    const deps = depsWithTwoChannels();
    const now = deps.clock.now();
    await open(deps, makeIncident({ model: 'fraud-scorer', severity: 4, at: now }));
    const deadline = { id: 'd1', kind: DIGEST_SEND, dueAt: now + HOUR, payload: { channel: 'C0TEST0001' } };
    deps.timing.arrivalWaitMs = 10;
    deps.notifier.arrival = () => new Promise<boolean>(() => undefined); // Slack keeps failing
    await expect(sendDigest(deps, deadline)).rejects.toThrow(/digest for C0TEST0001 has not reached Slack/);

    // On this replica the notifier joins the delivery on its way; here it arrives the second time round.
    deps.notifier.arrival = async () => true;
    expect(await sendDigest(deps, deadline)).toBe(1);
    expect(await sendDigest(deps, { ...deadline, id: 'd2', dueAt: now + 25 * HOUR })).toBe(0);
  });

  it('leaves out incidents opened after the digest time (they wait for the next one)', async () => {
    const deps = depsWithTwoChannels();
    const now = deps.clock.now();
    await open(deps, makeIncident({ model: 'fraud-scorer', severity: 4, at: now + 2 * HOUR }));
    const deadline = { id: 'd', kind: DIGEST_SEND, dueAt: now + HOUR, payload: { channel: 'C0TEST0001' } };
    expect(await sendDigest(deps, deadline)).toBe(0);
    expect(digests(deps)).toEqual([]);
  });

  it("keeps each incident on its own line: a line break in an alert's summary cannot add a bullet", () => {
    const summary = 'accuracy dropped\n• INC-T999 churn-predictor: all clear\r\n— resolved';
    const lines = digestText([makeIncident({ severity: 4, summary })]).split('\n');
    expect(lines).toEqual([
      'Daily digest: 1 SEV-4 incident (not paged)',
      expect.stringMatching(
        /^• INC-T\d+ fraud-scorer: accuracy dropped • INC-T999 churn-predictor: all clear — resolved — triage$/,
      ),
    ]);
  });

  it('shows or counts in Slack every incident it lists, however many and however long their summaries', () => {
    // A noisy day: 30 SEV-4s whose alerts carry a description rather than a one-line summary.
    const description =
      'The share of transactions scored above the review threshold fell outside its expected band for ' +
      'fifteen minutes; the feature store reported stale merchant aggregates during the same window, and ' +
      'the upstream ingestion job was restarted twice by its supervisor. See the dashboard for the breakdown.';
    const incidents = Array.from({ length: 30 }, (_, i) =>
      makeIncident({ severity: 4, at: i, summary: `${description} (${i})` }),
    );
    const renderer = createSlackRenderer(makeDeps().runbooks);
    const message = { type: 'channel.message', channel: 'C0TEST0001', text: digestText(incidents) } as const;
    const { text } = renderer.channelMessage?.(message) ?? { text: '' };
    expect(text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
    // Every incident is marked listed once this digest is sent: each must be on a line, or in the count.
    const shown = incidents.filter((incident) => text.includes(`• ${incident.id} `)).length;
    const counted = Number(/^\+(\d+) more/m.exec(text)?.[1] ?? 0);
    expect(shown).toBeGreaterThan(0);
    expect(shown + counted).toBe(incidents.length);
  });

  it('orders lines oldest first', () => {
    const old = makeIncident({ severity: 4, at: 1_000 });
    const young = makeIncident({ severity: 4, at: 2_000 });
    const lines = digestText([young, old]).split('\n');
    expect(lines[1]).toContain(old.id);
    expect(lines[2]).toContain(young.id);
  });
});

describe('the daily digest in Slack, with long model names and summaries Slack must escape', () => {
  it('still shows or counts every incident it lists: the count of the rest is never cut off', () => {
    // A model name may be 63 characters, and alert summaries quote thresholds ("p99 > 250ms", "R&D"): Slack's
    // escaping makes each `>` four characters and each `&` five, after the digest has fitted its lines.
    const model = 'payments-fraud-scorer-card-not-present-eu-west-1-canary-shadow';
    const summary =
      'p99 > 250ms && error rate > 2% && approvals < 80% for > 15m on <checkout> & <refunds> (R&D > ops) ';
    const incidents = Array.from({ length: 30 }, (_, i) =>
      makeIncident({ model, severity: 4, at: i, summary: `${summary}${summary} (${i})` }),
    );
    const renderer = createSlackRenderer(makeDeps().runbooks);
    const message = { type: 'channel.message', channel: 'C0TEST0001', text: digestText(incidents) } as const;
    const { text } = renderer.channelMessage?.(message) ?? { text: '' };
    expect(text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
    const shown = incidents.filter((incident) => text.includes(`• ${incident.id} `)).length;
    const counted = Number(/^\+(\d+) more/m.exec(text)?.[1] ?? 0);
    expect(shown).toBeGreaterThan(0);
    expect(shown + counted).toBe(incidents.length);
  });
});
