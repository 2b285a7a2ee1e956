import { WebAPIHTTPError, WebAPIRateLimitedError } from '@slack/web-api';
import nock from 'nock';
import { describe, expect, it, vi } from 'vitest';
import type { Incident } from '../../../src/core/incident.js';
import type { Arrival, NotifierEvent } from '../../../src/engine/notifier-port.js';
import { createSlackClients, createSlackNotifier, messageKey } from '../../../src/slack/notifier/notifier.js';
import { incidentOfThread } from '../../../src/slack/notifier/refs.js';
import type { SlackRenderer } from '../../../src/slack/notifier/render.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { dismiss, makeIncident } from '../../helpers/incidents.js';
import {
  API,
  asked,
  escalated,
  opened,
  renderer,
  setupNotifier,
  slackAnsweredByNock,
  TS,
  updated,
} from '../../helpers/notifier.js';

slackAnsweredByNock();

describe('slack notifier', () => {
  it('posts the incident message once, then updates it in place and replies in its thread', async () => {
    const { notifier, slack, calls, run, failures } = setupNotifier();
    const incident = makeIncident({ id: 'INC-1' });
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await run();
    slack('chat.update');
    slack('chat.postMessage');
    await notifier.notify(updated(incident, 'rolled back to v41'));
    await run();

    expect(calls.map((call) => call.method)).toEqual(['chat.postMessage', 'chat.update', 'chat.postMessage']);
    const [post, update, reply] = calls.map((call) => call.form);
    expect(post).toMatchObject({
      channel: 'C0FRAUD01',
      text: 'INC-1: incident.opened',
      unfurl_links: 'false',
    });
    expect(JSON.parse(post?.blocks ?? '')).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: 'incident.opened' } },
    ]);
    expect(update).toMatchObject({ channel: 'C0FRAUD01', ts: TS, text: 'INC-1: rolled back to v41' });
    expect(JSON.parse(update?.blocks ?? '')).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: 'rolled back to v41' } },
    ]);
    expect(reply).toMatchObject({ channel: 'C0FRAUD01', thread_ts: TS, text: 'rolled back to v41' });
    expect(failures).toEqual([]);
  });

  it('queues events that arrive before the first post completes behind it', async () => {
    const { notifier, slack, calls, run } = setupNotifier();
    const incident = makeIncident({ id: 'INC-2' });
    slack('chat.postMessage');
    slack('chat.update');
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await notifier.notify(updated(incident, 'triage started'));
    await run();
    expect(calls.map((call) => [call.method, call.form.ts ?? call.form.thread_ts])).toEqual([
      ['chat.postMessage', undefined],
      ['chat.update', TS],
      ['chat.postMessage', TS],
    ]);
  });

  it('stores the message ref, so another instance on the same store updates the same message', async () => {
    const { notifier, make, store, slack, calls, run, time } = setupNotifier();
    const incident = makeIncident({ id: 'INC-3' });
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await run();
    expect(JSON.parse((await store.getValue(messageKey('INC-3'))) ?? '')).toEqual({
      channel: 'C0FRAUD01',
      ts: TS,
    });
    // And whose thread it starts, for a 📌 in it (listeners/pins.ts).
    expect(await incidentOfThread(store, 'C0FRAUD01', TS)).toBe('INC-3');
    expect(await incidentOfThread(store, 'C0OTHER01', TS)).toBeUndefined();

    const restarted = make();
    slack('chat.update');
    await restarted.notify(escalated(incident, 'triage is late'));
    await time.run(() => restarted.stats().inFlight > 0);
    expect(calls.map((call) => call.method)).toEqual(['chat.postMessage', 'chat.update']);
    expect(calls[1]?.form).toMatchObject({ channel: 'C0FRAUD01', ts: TS, text: 'INC-3: triage is late' });
  });

  it('coalesces 5 rapid updates into 1 or 2 chat.update calls, the last with the last content', async () => {
    const { notifier, slack, calls, run } = setupNotifier();
    const incident = makeIncident({ id: 'INC-4' });
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await run();
    slack('chat.update', undefined, 2);
    for (let i = 1; i <= 5; i++) await notifier.notify(escalated(incident, `update ${i}`));
    await run();
    // The first update goes at once; the four that arrive while it is in flight collapse into one.
    const sent = calls.filter((call) => call.method === 'chat.update').map((call) => call.form.text);
    expect(sent).toEqual(['INC-4: update 1', 'INC-4: update 5']);
  });

  it('redraws the message on a tick, without a thread reply, and does not bring back a deleted one', async () => {
    const { notifier, slack, calls, run, failures } = setupNotifier();
    const tick = (incident: Incident): NotifierEvent => ({
      type: 'incident.tick',
      incident,
      channel: 'C0FRAUD01',
    });
    const incident = makeIncident({ id: 'INC-10' });
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await run();
    slack('chat.update');
    await notifier.notify(tick(incident));
    await run();
    expect(calls.map((call) => [call.method, call.form.ts, call.form.text])).toEqual([
      ['chat.postMessage', undefined, 'INC-10: incident.opened'],
      ['chat.update', TS, 'INC-10: incident.tick'],
    ]);

    // Someone deleted the message: a tick does not post it again (the next event will).
    slack('chat.update', { ok: false, error: 'message_not_found' });
    await notifier.notify(tick(incident));
    await run();
    expect(calls.map((call) => call.method)).toEqual(['chat.postMessage', 'chat.update', 'chat.update']);
    expect(failures).toEqual([]);
  });

  it('stores whose thread a message starts when it reads a ref an earlier build stored without it', async () => {
    const { notifier, slack, store, run, failures } = setupNotifier();
    const incident = makeIncident({ id: 'INC-12' });
    // Posted by a build from before 📌 capture: the ref is there, the thread's incident is not.
    await store.setValue(messageKey('INC-12'), JSON.stringify({ channel: 'C0FRAUD01', ts: TS }));
    expect(await incidentOfThread(store, 'C0FRAUD01', TS)).toBeUndefined();

    slack('chat.update');
    await notifier.notify({ type: 'incident.tick', incident, channel: 'C0FRAUD01' });
    await run();

    expect(await incidentOfThread(store, 'C0FRAUD01', TS)).toBe('INC-12');
    expect(failures).toEqual([]);
  });

  it('posts on a tick the message whose post gave up while Slack was down, and threads under it', async () => {
    const { notifier, slack, calls, run, store, failures } = setupNotifier();
    const incident = makeIncident({ id: 'INC-14' });
    slack('chat.postMessage', [503, 'upstream connect error'], 15); // ten minutes
    await notifier.notify(opened(incident));
    await run();
    expect(failures).toEqual([['post', 'http_503']]);

    // Slack is back; nothing happens to the incident but the clock: the minute's redraw posts its message.
    slack('chat.postMessage');
    await notifier.notify({ type: 'incident.tick', incident, channel: 'C0FRAUD01' });
    await run();
    expect(calls.at(-1)).toMatchObject({
      method: 'chat.postMessage',
      form: { channel: 'C0FRAUD01', text: 'INC-14: incident.tick' },
    });
    const ts = '1700000000.000100';
    expect(JSON.parse((await store.getValue(messageKey('INC-14'))) ?? '')).toEqual({
      channel: 'C0FRAUD01',
      ts,
    });

    slack('chat.update');
    slack('chat.postMessage');
    await notifier.notify(updated(incident, 'rolled back to v41'));
    await run();
    expect(calls.slice(-2).map((call) => [call.method, call.form.ts ?? call.form.thread_ts])).toEqual([
      ['chat.update', ts],
      ['chat.postMessage', ts],
    ]);
    expect(failures).toEqual([['post', 'http_503']]);
  });

  it('threads a reply under the message its update re-posts, even while updates wait for the allowance', async () => {
    const { notifier, slack, calls, run, failures, time } = setupNotifier();
    const lost = makeIncident({ id: 'INC-30' });
    slack('chat.postMessage', [503, 'upstream connect error'], 15); // the opening's post gives up
    await notifier.notify(opened(lost));
    await run();
    // Opened now, ten minutes on (an opening notified long after its instant is a stand-in's, opening.ts).
    const others = ['INC-31', 'INC-32', 'INC-33', 'INC-34'].map((id) =>
      makeIncident({ id, at: time.clock.now() }),
    );
    slack('chat.postMessage', undefined, 4);
    for (const incident of others) await notifier.notify(opened(incident));
    await run();
    // Slack is back and busy: four redraws spend the workspace's chat.update burst…
    slack('chat.update', { ok: true, ts: TS }, 4);
    for (const incident of others) await notifier.notify(escalated(incident, 'late'));
    // …when INC-30 has news: its update posts the missing message, and the reply must go under it.
    slack('chat.postMessage', undefined, 2);
    await notifier.notify(updated(lost, 'triage is 5m over its target: <@U0ONCALL>'));
    await run();
    const tail = calls.slice(-2).map((call) => [call.form.text, call.form.thread_ts]);
    expect(tail).toEqual([
      ['INC-30: triage is 5m over its target: <@U0ONCALL>', undefined],
      ['triage is 5m over its target: <@U0ONCALL>', '1700000000.000500'],
    ]);
    expect(failures).toEqual([['post', 'http_503']]);
  });

  it('never draws the message back to an older state than the stored incident (a tick listed before a change)', async () => {
    const phaseRenderer: SlackRenderer = {
      ...renderer,
      incidentMessage: (event) => ({ text: `${event.incident.id} ${event.incident.phase}`, blocks: [] }),
    };
    const { notifier, make, store, slack, calls, run, time } = setupNotifier({ renderer: phaseRenderer });
    const { incident: triage } = await store.createIfNoneOpen(makeIncident({ id: 'INC-15' }));
    slack('chat.postMessage');
    await notifier.notify(opened(triage));
    await run();
    // The ticker listed INC-15 in triage; meanwhile someone dismissed it and the message says so.
    const dismissed = await store.updateIncident(dismiss(triage));
    slack('chat.update');
    slack('chat.postMessage');
    await notifier.notify(updated(dismissed!, 'not a rollback'));
    await run();
    slack('chat.update');
    await notifier.notify({ type: 'incident.tick', incident: triage, channel: 'C0FRAUD01' });
    await run();
    // The same on another replica, which never saw the dismissal.
    const replica = make();
    slack('chat.update');
    await replica.notify({ type: 'incident.tick', incident: triage, channel: 'C0FRAUD01' });
    await time.run(() => replica.stats().inFlight > 0);
    const drawn = calls.filter((call) => call.method !== 'chat.postMessage' || !call.form.thread_ts);
    expect(drawn.map((call) => [call.method, call.form.text])).toEqual([
      ['chat.postMessage', 'INC-15 triage'],
      ['chat.update', 'INC-15 dismissed'],
      ['chat.update', 'INC-15 dismissed'],
      ['chat.update', 'INC-15 dismissed'],
    ]);
  });

  it('waits out a 429 Retry-After, then delivers', async () => {
    const { notifier, slack, calls, run, failures, store } = setupNotifier();
    slack('chat.postMessage', [429, { ok: false, error: 'ratelimited' }, { 'Retry-After': '1' }]);
    slack('chat.postMessage');
    await notifier.notify(opened(makeIncident({ id: 'INC-5' })));
    await run();
    expect(calls.map((call) => call.at)).toEqual([0, 1000]);
    expect(await store.getValue(messageKey('INC-5'))).toBeDefined();
    expect(failures).toEqual([]);
  });

  it('waits out a 429 without a usable Retry-After (a proxy in front of Slack), then delivers', async () => {
    const { notifier, slack, calls, run, failures, store } = setupNotifier();
    slack('chat.postMessage', [429, 'Too Many Requests', {}]);
    slack('chat.postMessage', [429, { ok: false, error: 'ratelimited' }, { 'Retry-After': 'soon' }]);
    slack('chat.postMessage');
    await notifier.notify(opened(makeIncident({ id: 'INC-6' })));
    await run();
    expect(calls).toHaveLength(3);
    expect(calls.map((call) => call.at)).toEqual([0, 10_000, 20_000]);
    expect(await store.getValue(messageKey('INC-6'))).toBeDefined();
    expect(failures).toEqual([]);
  });

  it('joins the channel on not_in_channel, then posts', async () => {
    const { notifier, slack, calls, run, failures } = setupNotifier();
    slack('chat.postMessage', { ok: false, error: 'not_in_channel' });
    slack('conversations.join', { ok: true, channel: { id: 'C0FRAUD01' } });
    slack('chat.postMessage');
    await notifier.notify(opened(makeIncident({ id: 'INC-6' })));
    await run();
    expect(calls.map((call) => call.method)).toEqual([
      'chat.postMessage',
      'conversations.join',
      'chat.postMessage',
    ]);
    expect(calls[1]?.form.channel).toBe('C0FRAUD01');
    expect(failures).toEqual([]);
  });

  it('joins a public channel it posted an incident message in without being in it, to hear a 📌 there; once a minute at most', async () => {
    // chat:write.public posts without joining; Slack sends reaction_added only from channels rollbot is in.
    const { notifier, slack, calls, run, failures } = setupNotifier();
    slack('chat.postMessage');
    slack('conversations.join', { ok: true, channel: { id: 'C0FRAUD01' } });
    slack('chat.postMessage');
    await notifier.notify(opened(makeIncident({ id: 'INC-60' })));
    await run();
    await notifier.notify(opened(makeIncident({ id: 'INC-61', model: 'fraud-scorer-eu' })));
    await run();

    expect(calls.map((call) => [call.method, call.form.channel])).toEqual([
      ['chat.postMessage', 'C0FRAUD01'],
      ['conversations.join', 'C0FRAUD01'],
      ['chat.postMessage', 'C0FRAUD01'],
    ]);
    expect(failures).toEqual([]);
  });

  it('joins again at an incident message a minute after its last join: removed from the channel, it comes back', async () => {
    // Someone removed rollbot from the channel after INC-65; joining is Slack's "already in it" answer otherwise.
    const { notifier, slack, calls, run, failures, time } = setupNotifier();
    slack('chat.postMessage');
    slack('conversations.join', { ok: true, channel: { id: 'C0FRAUD01' } });
    slack('chat.postMessage');
    slack('conversations.join', { ok: true, channel: { id: 'C0FRAUD01' } });
    await notifier.notify(opened(makeIncident({ id: 'INC-65' })));
    await run();
    time.setTimer(() => undefined, 60_000);
    await run();
    await notifier.notify(
      opened(makeIncident({ id: 'INC-66', model: 'fraud-scorer-eu', at: time.clock.now() })),
    );
    await run();

    expect(calls.map((call) => [call.method, call.at])).toEqual([
      ['chat.postMessage', 0],
      ['conversations.join', 0],
      ['chat.postMessage', 60_000],
      ['conversations.join', 60_000],
    ]);
    expect(failures).toEqual([]);
  });

  it('delivers all the same when it cannot join, saying a 📌 there goes unheard and what to do', async () => {
    const { notifier, slack, calls, run, failures, logger } = setupNotifier();
    slack('chat.postMessage');
    slack('conversations.join', { ok: false, error: 'missing_scope', needed: 'channels:join' });
    await notifier.notify(opened(makeIncident({ id: 'INC-62' })));
    await run();

    expect(calls.map((call) => call.method)).toEqual(['chat.postMessage', 'conversations.join']);
    expect(failures).toEqual([]);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ channel: 'C0FRAUD01' }),
      expect.stringMatching(/📌.*\/invite @rollbot/),
    );
  });

  it('joins at the next incident message when Slack was down for the first one', async () => {
    const { notifier, slack, calls, run, failures } = setupNotifier();
    slack('chat.postMessage');
    slack('conversations.join', [503, 'Service Unavailable']);
    slack('chat.postMessage');
    slack('conversations.join', { ok: true, channel: { id: 'C0FRAUD01' } });
    await notifier.notify(opened(makeIncident({ id: 'INC-63' })));
    await run();
    await notifier.notify(opened(makeIncident({ id: 'INC-64', model: 'fraud-scorer-eu' })));
    await run();

    expect(calls.map((call) => call.method)).toEqual([
      'chat.postMessage',
      'conversations.join',
      'chat.postMessage',
      'conversations.join',
    ]);
    expect(failures).toEqual([]);
  });

  it('waits out a 429 from conversations.join before joining again, however many incident messages come meanwhile', async () => {
    // An alert storm across many channels can take conversations.join past its rate limit: asking again at every
    // incident message would keep it there (and warn each time). The next ask comes after Retry-After.
    const { notifier, slack, calls, run, failures, time, logger } = setupNotifier();
    slack('chat.postMessage');
    // Rate-limited until Retry-After has passed; answered by the second join, whenever it comes.
    slack(
      'conversations.join',
      () =>
        time.elapsed() < 90_000
          ? [429, { ok: false, error: 'ratelimited' }, { 'Retry-After': '90' }]
          : { ok: true, channel: { id: 'C0FRAUD01' } },
      2,
    );
    await notifier.notify(opened(makeIncident({ id: 'INC-67' })));
    await run();
    slack('chat.postMessage');
    await notifier.notify(
      opened(makeIncident({ id: 'INC-68', model: 'fraud-scorer-eu', at: time.clock.now() })),
    );
    await run();
    time.setTimer(() => undefined, 90_000);
    await run();
    slack('chat.postMessage');
    await notifier.notify(opened(makeIncident({ id: 'INC-69', model: 'churn', at: time.clock.now() })));
    await run();

    expect(calls.map((call) => call.method)).toEqual([
      'chat.postMessage',
      'conversations.join',
      'chat.postMessage',
      'chat.postMessage',
      'conversations.join',
    ]);
    expect(
      calls.filter((call) => call.method === 'conversations.join').map((call) => call.at)[1],
    ).toBeGreaterThanOrEqual(90_000);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(failures).toEqual([]);
  });

  it('asks for an invite when it cannot join a private channel', async () => {
    const { notifier, slack, run, failures, logger } = setupNotifier();
    slack('conversations.list', { ok: true, channels: [{ id: 'C0PRIV001', name: 'ml-private' }] });
    slack('chat.postMessage', { ok: false, error: 'not_in_channel' });
    slack('conversations.join', { ok: false, error: 'method_not_supported_for_channel_type' });
    await notifier.notify(opened(makeIncident({ id: 'INC-7' }), '#ml-private'));
    await run();
    expect(failures).toEqual([['post', 'not_in_channel']]);
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ hint: expect.stringContaining('invite @rollbot to #ml-private') }),
      expect.any(String),
    );
  });

  it('records channel_not_found with a hint naming the runbook channel, without throwing', async () => {
    const { notifier, slack, run, failures, logger } = setupNotifier();
    slack('chat.postMessage', { ok: false, error: 'channel_not_found' });
    await expect(
      notifier.notify(opened(makeIncident({ id: 'INC-8' }), 'C0GONE001')),
    ).resolves.toBeUndefined();
    await run();
    expect(failures).toEqual([['post', 'channel_not_found']]);
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'channel_not_found', hint: expect.stringContaining('C0GONE001') }),
      expect.any(String),
    );
  });

  it('returns at once while Slack is down, and delivers when it recovers', async () => {
    const { notifier, slack, calls, run, failures } = setupNotifier();
    slack('chat.postMessage', [503, 'upstream connect error'], 3);
    slack('chat.postMessage');
    await notifier.notify(opened(makeIncident({ id: 'INC-9' })));
    // notify() has returned: the post is still waiting in the queue (nothing can be delivered before the
    // virtual clock moves).
    expect(notifier.stats().queued + notifier.stats().inFlight).toBe(1);
    await run();
    expect(calls.map((call) => call.at)).toEqual([0, 2000, 6000, 14_000]);
    expect(failures).toEqual([]);
  });

  it('delivers an update and a thread reply (an escalation’s ping) held up by a Slack outage of minutes', async () => {
    const { notifier, slack, calls, run, failures, time } = setupNotifier();
    const incident = makeIncident({ id: 'INC-16' });
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await run();
    // Slack answers 503 to everything for four minutes.
    nock(API)
      .persist()
      .post(/chat\.(update|postMessage)/)
      .reply((uri) => {
        const method = uri.slice('/api/'.length);
        calls.push({ method, at: time.elapsed(), form: {} });
        return time.elapsed() < 240_000 ? [503, 'upstream connect error'] : [200, { ok: true, ts: TS }];
      });
    await notifier.notify(updated(incident, 'triage is 5m over its target: <@U0ONCALL>'));
    await run();
    const delivered = calls.filter((call) => call.at >= 240_000);
    expect(delivered.map((call) => [call.method, call.at])).toEqual([
      ['chat.update', 242_000],
      ['chat.postMessage', 242_000],
    ]);
    expect(failures).toEqual([]);
  });

  it('delivers an escalation: answers once its thread reply is posted, or false when Slack refused it', async () => {
    const replying: SlackRenderer = {
      ...renderer,
      threadReply: (event) => (event.type === 'escalation' ? { text: event.text } : undefined),
    };
    const { notifier, slack, calls, run } = setupNotifier({ renderer: replying });
    const incident = makeIncident({ id: 'INC-17' });
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await run();
    slack('chat.update', { ok: true, ts: TS }, 2);
    slack('chat.postMessage', [503, 'upstream connect error']);
    slack('chat.postMessage', { ok: true, ts: TS });
    let answer: Arrival | undefined;
    const first = notifier.deliver(escalated(incident, 'triage missed')).then((a) => (answer = a));
    // Asked again while the first is on its way (the deadline came round again): joined, not sent twice.
    const again = notifier.deliver(escalated(incident, 'triage missed'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answer).toBeUndefined();
    await run();
    await first;
    expect(answer).toEqual({ arrived: true });
    await expect(again).resolves.toEqual({ arrived: true });
    const replies = calls.filter((call) => call.form.thread_ts !== undefined);
    expect(replies.map((call) => call.at)).toEqual([0, 2000]); // the 503, then the reply
    slack('chat.postMessage', { ok: false, error: 'invalid_blocks' });
    const refused = notifier.deliver(escalated(incident, 'triage missed again'));
    await run();
    await expect(refused).resolves.toEqual({ arrived: false });
  });

  it('delivers a channel message (a digest): answers once it is posted, joined while on its way, false when refused', async () => {
    const { notifier, slack, calls, run } = setupNotifier();
    const digest = {
      type: 'channel.message' as const,
      channel: 'C0FRAUD01',
      text: 'Daily digest: 1 SEV-4 incident (not paged)',
      delivery: 'digest:C0FRAUD01:1',
    };
    slack('chat.postMessage', [503, 'upstream connect error']);
    slack('chat.postMessage');
    const first = notifier.deliver(digest);
    const again = notifier.deliver(digest); // its deadline came round while it was on its way
    await run();
    await expect(Promise.all([first, again])).resolves.toEqual([{ arrived: true }, { arrived: true }]);
    expect(calls.map((call) => [call.method, call.at, call.form.text])).toEqual([
      ['chat.postMessage', 0, digest.text],
      ['chat.postMessage', 2000, digest.text],
    ]);

    slack('chat.postMessage', { ok: false, error: 'is_archived' });
    const refused = notifier.deliver({ ...digest, delivery: 'digest:C0FRAUD01:2' });
    await run();
    await expect(refused).resolves.toEqual({ arrived: false });
  });

  it("delivers a triage's decision request: joins the same triage's, answers once its reply is posted", async () => {
    const replying: SlackRenderer = {
      ...renderer,
      threadReply: (event) => (event.type === 'decision.requested' ? { text: event.text } : undefined),
    };
    const { notifier, slack, calls, run } = setupNotifier({ renderer: replying });
    const incident = makeIncident({ id: 'INC-18' });
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await run();
    slack('chat.update', { ok: true, ts: TS }, 2);
    slack('chat.postMessage', { ok: true, ts: TS }, 2);
    const first = notifier.deliver(asked(incident, 1, 'decide'));
    // The stand-in came round while it is on its way: joined. Another triage's request is its own.
    const again = notifier.deliver(asked(incident, 1, 'decide (stand-in)'));
    const other = notifier.deliver(asked(incident, 2, 'decide again'));
    await run();
    await expect(Promise.all([first, again, other])).resolves.toEqual([
      { arrived: true },
      { arrived: true },
      { arrived: true },
    ]);
    const replies = calls.filter((call) => call.form.thread_ts !== undefined);
    expect(replies.map((call) => call.form.text)).toEqual(['decide', 'decide again']);
  });

  it('posts a new message when the stored one was deleted', async () => {
    const { notifier, store, slack, calls, run, failures } = setupNotifier();
    await store.setValue(
      messageKey('INC-12'),
      JSON.stringify({ channel: 'C0FRAUD01', ts: '1600000000.000001' }),
    );
    slack('chat.update', { ok: false, error: 'message_not_found' });
    slack('chat.postMessage');
    await notifier.notify(escalated(makeIncident({ id: 'INC-12' }), 'late'));
    await run();
    expect(calls.map((call) => call.method)).toEqual(['chat.update', 'chat.postMessage']);
    expect(JSON.parse((await store.getValue(messageKey('INC-12'))) ?? '')).toEqual({
      channel: 'C0FRAUD01',
      ts: TS,
    });
    expect(failures).toEqual([]);
  });

  it('keeps a throwing renderer or an unreachable store away from the caller', async () => {
    const { slack, calls, failures, logger, time } = setupNotifier();
    const store = createMemoryStore({ clock: time.clock });
    const claimOnce = vi.fn(store.claimOnce).mockRejectedValueOnce(new Error('ECONNREFUSED redis:6379'));
    const notifier = createSlackNotifier({
      client: createSlackClients({ token: 'xoxb-test', apiUrl: `${API}/api/` }).notifier,
      store: {
        getValue: store.getValue,
        setValue: store.setValue,
        claimOnce,
        getIncident: store.getIncident,
      },
      renderer: {
        ...renderer,
        threadReply: () => {
          throw new Error('renderer bug');
        },
      },
      clock: time.clock,
      logger,
      setTimer: time.setTimer,
      onDeliveryFailed: (kind, reason) => failures.push([kind, reason]),
    });
    slack('chat.postMessage');
    await expect(notifier.notify(opened(makeIncident({ id: 'INC-13' })))).resolves.toBeUndefined();
    await time.run(() => notifier.stats().inFlight > 0);
    expect(calls.map((call) => [call.method, call.at])).toEqual([['chat.postMessage', 2000]]);
    expect(failures).toEqual([['reply', 'render_failed']]);
  });

  it('posts only once across replicas: a later event waits for the message another replica is posting', async () => {
    const { notifier, slack, calls, run, store, failures } = setupNotifier();
    slack('chat.update');
    slack('chat.postMessage');
    await store.claimOnce('slack:poster:INC-20', 45_000); // the replica that opened INC-20 is posting
    await notifier.notify(updated(makeIncident({ id: 'INC-20' }), 'triage done'));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([]);
    // The replica that opened the incident stores where its message is; the waiting update then lands on it.
    await store.setValue('slack:message:INC-20', JSON.stringify({ channel: 'C0FRAUD01', ts: '1.5' }));
    await run();
    expect(calls.map((call) => [call.method, call.form.ts ?? call.form.thread_ts])).toEqual([
      ['chat.update', '1.5'],
      ['chat.postMessage', '1.5'],
    ]);
    expect(failures).toEqual([]);
  });

  it('posts the message itself when the replica that claimed it died before posting', async () => {
    const { notifier, slack, calls, time, store, failures } = setupNotifier();
    await store.claimOnce('slack:poster:INC-21', 45_000); // claimed by a replica that then died
    // It may have posted before dying (notifier-lost-posts.test.ts): it did not.
    slack('conversations.history', { ok: true, messages: [] });
    slack('chat.postMessage', undefined, 2);
    await notifier.notify(updated(makeIncident({ id: 'INC-21' }), 'triage done'));
    await time.run(() => notifier.stats().inFlight > 0);
    expect(calls.map((call) => call.method)).toEqual([
      'conversations.history',
      'chat.postMessage',
      'chat.postMessage',
    ]);
    expect(calls[0]!.at).toBeGreaterThanOrEqual(45_000); // only once the dead replica's claim lapsed
    expect(calls[2]!.form.thread_ts).toBe('1700000000.000100'); // the update's reply, under the new message
    expect(failures).toEqual([]);
  });

  it('does not post a second message when its first post outlasted the claim and another replica posted it', async () => {
    const { notifier, make, slack, calls, store, time, failures } = setupNotifier();
    const replica = make();
    const incident = makeIncident({ id: 'INC-22' });
    // Slack fails this replica's first five tries (0, 2, 6, 14, 30 s), past its 45 s claim to post.
    slack('chat.postMessage', [503, 'upstream connect error'], 5);
    slack('conversations.history', { ok: true, messages: [] }); // the other replica looks before it posts
    slack('chat.postMessage');
    slack('chat.update');
    await notifier.notify(opened(incident));
    // At 20 s the other replica has news of INC-22; it waits for the message, then posts it itself at 50 s.
    time.setTimer(() => void replica.notify(escalated(incident, 'triage is late')), 20_000);
    await time.run(() => notifier.stats().inFlight + replica.stats().inFlight > 0);
    expect(calls.map((call) => [call.method, call.at])).toEqual([
      ['chat.postMessage', 0],
      ['chat.postMessage', 2000],
      ['chat.postMessage', 6000],
      ['chat.postMessage', 14_000],
      ['chat.postMessage', 30_000],
      ['conversations.history', 50_000],
      ['chat.postMessage', 50_000],
      ['chat.update', 62_000],
    ]);
    expect(calls.at(-1)?.form.ts).toBe(TS);
    expect(JSON.parse((await store.getValue(messageKey('INC-22'))) ?? '')).toEqual({
      channel: 'C0FRAUD01',
      ts: TS,
    });
    expect(failures).toEqual([]);
  });

  it('resolves a #name through conversations.list once, following its pages', async () => {
    const { notifier, slack, calls, run } = setupNotifier();
    slack('conversations.list', {
      ok: true,
      channels: [{ id: 'C0OTHER01', name: 'general' }],
      response_metadata: { next_cursor: 'page2' },
    });
    slack('conversations.list', { ok: true, channels: [{ id: 'C0ALERTS1', name: 'ml-alerts' }] });
    slack('chat.postMessage', undefined, 2);
    await notifier.notify(opened(makeIncident({ id: 'INC-10' }), '#ml-alerts'));
    await notifier.notify(opened(makeIncident({ id: 'INC-11' }), '#ml-alerts'));
    await run();
    const lists = calls.filter((call) => call.method === 'conversations.list').map((call) => call.form);
    expect(lists).toEqual([
      expect.objectContaining({ types: 'public_channel,private_channel', exclude_archived: 'true' }),
      expect.objectContaining({ cursor: 'page2' }),
    ]);
    const posts = calls.filter((call) => call.method === 'chat.postMessage');
    expect(posts.map((call) => call.form.channel)).toEqual(['C0ALERTS1', 'C0ALERTS1']);
  });

  it('spaces posts to one channel, while another channel does not wait', async () => {
    const { notifier, slack, calls, run } = setupNotifier();
    slack('chat.postMessage', undefined, 11);
    for (let i = 1; i <= 10; i++)
      await notifier.notify(opened(makeIncident({ id: `INC-A${i}` }), 'C0AAAAAA1'));
    await notifier.notify(opened(makeIncident({ id: 'INC-B1' }), 'C0BBBBBB1'));
    await run();
    const times = (channel: string) => calls.filter((call) => call.form.channel === channel).map((c) => c.at);
    expect(times('C0AAAAAA1')).toEqual([0, 0, 0, 1000, 2000, 3000, 4000, 5000, 6000, 7000]);
    expect(times('C0BBBBBB1')).toEqual([0]);
  });
});

describe('createSlackClients', () => {
  it('gives the notifier a client that rejects 429s and does not retry, on the configured API URL', async () => {
    const { notifier, interactive } = createSlackClients({ token: 'xoxb-test', apiUrl: `${API}/api/` });
    expect(notifier.slackApiUrl).toBe(`${API}/api/`);
    expect(interactive.slackApiUrl).toBe(`${API}/api/`);
    nock(API).post('/api/chat.postMessage').reply(429, { ok: false }, { 'Retry-After': '30' });
    await expect(notifier.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toBeInstanceOf(
      WebAPIRateLimitedError,
    );
    nock(API).post('/api/chat.postMessage').reply(503, 'down');
    await expect(notifier.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toBeInstanceOf(
      WebAPIHTTPError,
    );
  });
});
