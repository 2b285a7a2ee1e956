import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { incidentPostMetadata, messageKey } from '../../../src/slack/notifier/notifier.js';
import { incidentOfThread } from '../../../src/slack/notifier/refs.js';
import { makeIncident, T0 } from '../../helpers/incidents.js';
import { API, opened, setupNotifier, slackAnsweredByNock, TS, updated } from '../../helpers/notifier.js';

/**
 * chat.postMessage has no idempotency key: a post whose answer is lost (a dropped connection, a gateway's 502)
 * may have been posted all the same. Its retry looks for it first, by the metadata every post carries.
 */

slackAnsweredByNock();

/** The metadata a recorded post carried, as Slack gives it back on a message. */
const metadataOf = (form: Record<string, string> | undefined): unknown => JSON.parse(form?.metadata ?? '');

const LANDED = '1700000000.000900';

describe('a post whose answer was lost', () => {
  it('is found in its thread, not replied twice', async () => {
    const { notifier, slack, answerLost, calls, run, failures } = setupNotifier();
    const incident = makeIncident({ id: 'INC-40' });
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await run();
    slack('chat.update');
    answerLost('chat.postMessage');
    slack('conversations.replies', () => ({
      ok: true,
      messages: [
        { ts: TS, text: 'INC-40: incident.opened' },
        { ts: LANDED, text: 'rolled back to v41', metadata: metadataOf(calls[2]?.form) },
      ],
    }));
    await notifier.notify(updated(incident, 'rolled back to v41'));
    await run();

    expect(calls.map((call) => call.method)).toEqual([
      'chat.postMessage',
      'chat.update',
      'chat.postMessage',
      'conversations.replies',
    ]);
    expect(metadataOf(calls[2]?.form)).toMatchObject({ event_type: 'rollbot_post' });
    expect(calls[3]?.form).toMatchObject({ channel: 'C0FRAUD01', ts: TS, include_all_metadata: 'true' });
    // From a minute before the lost try (clocks differ), so that the post is in the page.
    expect(Number(calls[3]?.form.oldest)).toBeLessThanOrEqual((T0 + calls[2]!.at - 60_000) / 1000);
    expect(failures).toEqual([]);
  });

  it('is posted again, with the same metadata, when Slack did not post it', async () => {
    const { notifier, slack, answerLost, calls, run, failures } = setupNotifier();
    const incident = makeIncident({ id: 'INC-41' });
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await run();
    slack('chat.update');
    answerLost('chat.postMessage');
    slack('conversations.replies', { ok: true, messages: [{ ts: TS, text: 'INC-41: incident.opened' }] });
    slack('chat.postMessage');
    await notifier.notify(updated(incident, 'rolled back to v41'));
    await run();

    expect(calls.map((call) => call.method)).toEqual([
      'chat.postMessage',
      'chat.update',
      'chat.postMessage',
      'conversations.replies',
      'chat.postMessage',
    ]);
    expect(calls[4]?.form).toMatchObject({ thread_ts: TS, text: 'rolled back to v41' });
    expect(metadataOf(calls[4]?.form)).toEqual(metadataOf(calls[2]?.form));
    expect(failures).toEqual([]);
  });

  it("adopts the incident message Slack posted behind a gateway's 502, updating it instead of posting another", async () => {
    const { notifier, slack, calls, run, store, failures } = setupNotifier();
    const incident = makeIncident({ id: 'INC-42' });
    slack('chat.postMessage', [502, 'Bad Gateway']);
    slack('conversations.history', () => ({
      ok: true,
      messages: [
        { ts: '1700000000.000950', text: 'someone else' },
        { ts: LANDED, text: 'INC-42: incident.opened', metadata: metadataOf(calls[0]?.form) },
      ],
    }));
    slack('chat.update', { ok: true, channel: 'C0FRAUD01', ts: LANDED });
    await notifier.notify(opened(incident));
    await run();

    expect(calls.map((call) => call.method)).toEqual([
      'chat.postMessage',
      'conversations.history',
      'chat.update',
    ]);
    expect(metadataOf(calls[0]?.form)).toEqual(incidentPostMetadata(incident));
    expect(calls[1]?.form).toMatchObject({ channel: 'C0FRAUD01', include_all_metadata: 'true' });
    expect(calls[2]?.form).toMatchObject({ ts: LANDED, text: 'INC-42: incident.opened' });
    expect(JSON.parse((await store.getValue(messageKey('INC-42'))) ?? '')).toEqual({
      channel: 'C0FRAUD01',
      ts: LANDED,
    });
    expect(failures).toEqual([]);
  });

  it('follows the history pages, and posts when the message is on none of them', async () => {
    const { notifier, slack, answerLost, calls, run, failures } = setupNotifier();
    answerLost('chat.postMessage');
    slack('conversations.history', {
      ok: true,
      messages: [{ ts: '1700000000.000950', text: 'someone else' }],
      has_more: true,
      response_metadata: { next_cursor: 'page2' },
    });
    slack('conversations.history', { ok: true, messages: [], has_more: false });
    slack('chat.postMessage');
    await notifier.notify(opened(makeIncident({ id: 'INC-43' })));
    await run();

    expect(calls.map((call) => [call.method, call.form.cursor])).toEqual([
      ['chat.postMessage', undefined],
      ['conversations.history', undefined],
      ['conversations.history', 'page2'],
      ['chat.postMessage', undefined],
    ]);
    expect(failures).toEqual([]);
  });

  it('is retried without a look when it cannot have reached Slack (connection refused)', async () => {
    const { notifier, slack, calls, run, failures } = setupNotifier();
    const refused = nock('https://slack.test')
      .post('/api/chat.postMessage')
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    slack('chat.postMessage');
    await notifier.notify(opened(makeIncident({ id: 'INC-44' })));
    await run();

    expect(refused.isDone()).toBe(true);
    expect(calls.map((call) => call.method)).toEqual(['chat.postMessage']);
    expect(failures).toEqual([]);
  });

  it('is posted again, as before, when rollbot may not read the channel (no history scope), and says so', async () => {
    const { notifier, slack, answerLost, calls, run, logger, failures } = setupNotifier();
    answerLost('chat.postMessage');
    slack('conversations.history', { ok: false, error: 'missing_scope', needed: 'channels:history' });
    slack('chat.postMessage');
    await notifier.notify(opened(makeIncident({ id: 'INC-45' })));
    await run();

    expect(calls.map((call) => call.method)).toEqual([
      'chat.postMessage',
      'conversations.history',
      'chat.postMessage',
    ]);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'missing_scope' }),
      expect.stringMatching(/channels:history.*groups:history/),
    );
    expect(failures).toEqual([]);
  });

  it('is found by the replica taking over from a poster that died after posting, before storing where', async () => {
    const { notifier, slack, calls, store, time, failures } = setupNotifier();
    const incident = makeIncident({ id: 'INC-46' });
    await store.claimOnce('slack:poster:INC-46', 45_000); // its poster posted, then died
    slack('conversations.history', {
      ok: true,
      messages: [{ ts: LANDED, text: 'INC-46: incident.opened', metadata: incidentPostMetadata(incident) }],
    });
    slack('chat.update', { ok: true, channel: 'C0FRAUD01', ts: LANDED });
    slack('chat.postMessage');
    await notifier.notify(updated(incident, 'triage done'));
    await time.run(() => notifier.stats().inFlight > 0);

    expect(calls.map((call) => [call.method, call.form.ts ?? call.form.thread_ts])).toEqual([
      ['conversations.history', undefined],
      ['chat.update', LANDED],
      ['chat.postMessage', LANDED],
    ]);
    // Since the incident opened: the dead poster's message is older than any try of this replica's.
    expect(Number(calls[0]?.form.oldest)).toBeLessThanOrEqual(incident.openedAt / 1000);
    expect(JSON.parse((await store.getValue(messageKey('INC-46'))) ?? '')).toEqual({
      channel: 'C0FRAUD01',
      ts: LANDED,
    });
    expect(failures).toEqual([]);
  });

  it('keeps which incident its thread is of (for a 📌) when storing that failed: it is found again and stored', async () => {
    const { notifier, make, slack, calls, store, time, failures } = setupNotifier();
    const incident = makeIncident({ id: 'INC-47' });
    // The store fails once, on the second of the two values the poster stores after posting.
    const setValue = store.setValue.bind(store);
    let failed = false;
    store.setValue = async (key, value, ttlMs) => {
      if (key.startsWith('slack:thread:') && !failed) {
        failed = true;
        throw new Error('READONLY You cannot write against a read only replica.');
      }
      return setValue(key, value, ttlMs);
    };
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await time.run(() => notifier.stats().inFlight > 0);
    expect(calls[0]?.method).toBe('chat.postMessage');

    // The poster restarts (what it knew in memory is gone); the next event is sent by the new process.
    const restarted = make();
    slack('conversations.history', {
      ok: true,
      messages: [{ ts: TS, text: 'INC-47: incident.opened', metadata: incidentPostMetadata(incident) }],
    });
    slack('chat.update', { ok: true, channel: 'C0FRAUD01', ts: TS });
    slack('chat.postMessage');
    await restarted.notify(updated(incident, 'triage done'));
    await time.run(() => restarted.stats().inFlight > 0);

    // One incident message, updated; and a 📌 in its thread finds the incident.
    expect(calls.filter((call) => call.method === 'chat.postMessage' && !call.form.thread_ts)).toHaveLength(
      1,
    );
    expect(await incidentOfThread(store, 'C0FRAUD01', TS)).toBe('INC-47');
    expect(JSON.parse((await store.getValue(messageKey('INC-47'))) ?? '')).toEqual({
      channel: 'C0FRAUD01',
      ts: TS,
    });
    expect(failures).toEqual([]);
  });

  it('is found for a channel message too (a digest), not posted twice', async () => {
    const { notifier, slack, answerLost, calls, run, failures } = setupNotifier();
    answerLost('chat.postMessage');
    slack('conversations.history', () => ({
      ok: true,
      messages: [{ ts: LANDED, text: 'digest', metadata: metadataOf(calls[0]?.form) }],
    }));
    await notifier.notify({ type: 'channel.message', channel: 'C0FRAUD01', text: 'digest' });
    await run();

    expect(calls.map((call) => call.method)).toEqual(['chat.postMessage', 'conversations.history']);
    expect(failures).toEqual([]);
  });

  describe('an opening announced again by its stand-in on another replica (its opener died before recording it)', () => {
    /** The stand-in comes round a minute or more after the opening, past the opener's claim to post. */
    const openedBefore = (id: string) => makeIncident({ id, at: T0 - 2 * 60_000 });

    /** A second incident message, should one be posted: it lands (and shows in `calls`). */
    function aSecondPostWouldLand(calls: { method: string; at: number; form: Record<string, string> }[]) {
      nock(API)
        .post('/api/chat.postMessage')
        .optionally()
        .reply(() => {
          calls.push({ method: 'chat.postMessage', at: 0, form: {} });
          return [200, { ok: true, channel: 'C0FRAUD01', ts: '1700000000.000999' }];
        });
    }

    it('updates the message the opener posted and stored, instead of posting a second one', async () => {
      const { notifier, slack, calls, run, store, failures } = setupNotifier();
      const incident = openedBefore('INC-50');
      await store.setValue(messageKey('INC-50'), JSON.stringify({ channel: 'C0FRAUD01', ts: TS }), 60_000);
      aSecondPostWouldLand(calls);
      slack('chat.update', { ok: true, channel: 'C0FRAUD01', ts: TS });
      await notifier.notify(opened(incident));
      await run();

      expect(calls.map((call) => [call.method, call.form.ts])).toEqual([['chat.update', TS]]);
      expect(failures).toEqual([]);
    });

    it('finds the message the opener posted without storing where, instead of posting a second one', async () => {
      const { notifier, slack, calls, run, failures } = setupNotifier();
      const incident = openedBefore('INC-51');
      slack('conversations.history', {
        ok: true,
        messages: [{ ts: LANDED, text: 'INC-51: incident.opened', metadata: incidentPostMetadata(incident) }],
      });
      slack('chat.update', { ok: true, channel: 'C0FRAUD01', ts: LANDED });
      aSecondPostWouldLand(calls);
      await notifier.notify(opened(incident));
      await run();

      expect(calls.map((call) => [call.method, call.form.ts])).toEqual([
        ['conversations.history', undefined],
        ['chat.update', LANDED],
      ]);
      expect(failures).toEqual([]);
    });
  });
});
