/**
 * 📌 in an incident's thread: the message goes on the incident's timeline once, as its author's note, marked ✅;
 * anything else is left alone. Real signed Events API requests to /slack/events; the Web API answered by nock.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { notesOf } from '../../../src/engine/notes.js';
import type { Store } from '../../../src/engine/ports.js';
import { createLogger } from '../../../src/observability/logger.js';
import { threadKey } from '../../../src/slack/notifier/refs.js';
import { firing } from '../../helpers/alerts.js';
import { eventually } from '../../helpers/bot-process.js';
import { makeDeps, makeRunbook, metricValue, RealClock, type TestDeps } from '../../helpers/engine.js';
import { sendSigned, slackEvent } from '../../helpers/slack.js';
import { serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

const CHANNEL = 'C0TEST0001';
/** INC-1's message, which starts its thread; a reply in it; a message in another thread. */
const INCIDENT_TS = '1700000000.000100';
const REPLY_TS = '1700000050.000200';
const ELSEWHERE_TS = '1700000070.000300';
/** A message Slack refuses to return. */
const GONE_TS = '1700000090.000400';

/** What Slack's conversations.replies answers for each message: the thread's parent first, as it may. */
const parent = {
  ts: INCIDENT_TS,
  thread_ts: INCIDENT_TS,
  text: 'INC-1 fraud-scorer',
  bot_id: 'B0ROLL',
  bot_profile: { name: 'rollbot' },
  // Every rollbot post carries its post metadata (slack/notifier/lost-posts.ts).
  metadata: { event_type: 'rollbot_post', event_payload: { key: 'incident:INC-1' } },
};
/** A message of another bot in the thread (a deploy bot's), which a 📌 captures like anyone's. */
const OTHER_BOT_TS = '1700000060.000250';
const otherBot = {
  ts: OTHER_BOT_TS,
  thread_ts: INCIDENT_TS,
  text: 'deployed v43',
  bot_id: 'B0SHIP',
  bot_profile: { name: 'shipit' },
  metadata: { event_type: 'deploy_finished', event_payload: {} },
};
const reply = {
  ts: REPLY_TS,
  thread_ts: INCIDENT_TS,
  text: 'feature store stale since 01:40',
  user: 'U0ANA',
};
const threads: Record<string, object> = {
  [INCIDENT_TS]: { ok: true, messages: [parent, reply] },
  [REPLY_TS]: { ok: true, messages: [parent, reply] },
  [OTHER_BOT_TS]: { ok: true, messages: [parent, otherBot] },
  [ELSEWHERE_TS]: { ok: true, messages: [{ ts: ELSEWHERE_TS, text: 'lunch?', user: 'U0ANA' }] },
  [GONE_TS]: { ok: false, error: 'thread_not_found' },
};

/** A message's link as chat.getPermalink answers it: the thread's in the query for a reply, as Slack does. */
function permalinkOf(ts: string): string {
  const at = `https://acme.slack.com/archives/${CHANNEL}/p${ts.replace('.', '')}`;
  return ts === INCIDENT_TS ? at : `${at}?thread_ts=${INCIDENT_TS}&cid=${CHANNEL}`;
}

let deps: TestDeps;
let slack: SlackRoute;
let events = 0;
/** How many of the next reactions.add calls Slack fails (a passing fault: the mark is missing, not the note). */
let markFailures = 0;
/** What chat.getPermalink answers instead of the message's link (Slack failing it). */
let permalinkFault: object | undefined;

beforeEach(async () => {
  markFailures = 0;
  permalinkFault = undefined;
  deps = makeDeps({ clock: new RealClock(), runbooks: [makeRunbook('fraud-scorer')] });
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  // As the Slack notifier stores it when it posts INC-1's message.
  await deps.store.setValue(threadKey(CHANNEL, INCIDENT_TS), 'INC-1');
  slack = await serveSlackRoute(deps, {
    answers: {
      'conversations.replies': (form) => threads[form.ts ?? ''] ?? { ok: true, messages: [] },
      'reactions.add': () => (markFailures-- > 0 ? { ok: false, error: 'internal_error' } : { ok: true }),
      'chat.getPermalink': (form) =>
        permalinkFault ?? { ok: true, channel: form.channel, permalink: permalinkOf(form.message_ts ?? '') },
    },
  });
});

afterEach(async () => {
  await slack.close();
});

/** A reaction added by `user`, delivered as its own event (a new event id each time). */
function reaction(name: string, item: Record<string, unknown>, user = 'U0BO') {
  events += 1;
  return slackEvent(`Ev0PIN${events}`, {
    type: 'reaction_added',
    user,
    reaction: name,
    item_user: 'U0ANA',
    item,
  });
}
const onMessage = (ts: string) => ({ type: 'message', channel: CHANNEL, ts });

async function send(post: ReturnType<typeof reaction>, headers: Record<string, string> = {}): Promise<void> {
  const answer = await sendSigned(slack.url, post, { headers });
  expect(answer.status).toBe(200);
}

const pins = (outcome: string) => metricValue(deps.metrics, 'rollbot_pinned_messages_total', { outcome });
/** Waits until `outcome` was counted `count` times: the listener is done with that many pins. */
const counted = (outcome: string, count = 1) =>
  eventually(async () => ((await pins(outcome)) >= count ? true : undefined), 2_000, `${count} ${outcome}`);

describe('📌 on a message in an incident thread', () => {
  it('puts it on the timeline once, as its author’s note with who pinned it and its link, and marks it ✅', async () => {
    const first = reaction('pushpin', onMessage(REPLY_TS));
    await send(first);
    await counted('captured');

    expect(await notesOf(deps, 'INC-1')).toEqual([
      expect.objectContaining({
        type: 'note',
        actor: 'U0ANA',
        text: 'feature store stale since 01:40',
        data: { pinnedBy: 'U0BO', channel: CHANNEL, ts: REPLY_TS, permalink: permalinkOf(REPLY_TS) },
      }),
    ]);
    // Slack's own link to the message, asked for once (a method that needs no scope).
    expect(slack.called('chat.getPermalink').map((call) => call.form)).toEqual([
      expect.objectContaining({ channel: CHANNEL, message_ts: REPLY_TS }),
    ]);
    expect(slack.called('conversations.replies')[0]?.form).toMatchObject({
      channel: CHANNEL,
      ts: REPLY_TS,
      oldest: REPLY_TS,
      inclusive: 'true',
    });
    await slack.settle(() => slack.called('reactions.add').length > 0, 'the ✅');
    expect(slack.called('reactions.add')[0]?.form).toMatchObject({
      channel: CHANNEL,
      timestamp: REPLY_TS,
      name: 'white_check_mark',
    });
    // No thread reply: the ✅ says it.
    expect(slack.called('chat.postMessage')).toEqual([]);
    const timeline = await deps.store.list('INC-1');

    // Slack re-sends the event it did not see acknowledged, then a second person pins the message too.
    await send(first, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    await send(reaction('pushpin', onMessage(REPLY_TS), 'U0CY'));
    await counted('duplicate');

    expect(await deps.store.list('INC-1')).toEqual(timeline);
    // The retry was not even read again; the second pin was, and left as it was but for its ✅ (asked again, in
    // case the first did not take: Slack answers already_reacted).
    expect(slack.called('conversations.replies')).toHaveLength(2);
    await slack.settle(() => slack.called('reactions.add').length === 2, 'the second ✅');
    expect(await pins('captured')).toBe(1);
  });

  it('marks a message captured already when it is pinned again, so a ✅ that Slack failed to add is not lost', async () => {
    markFailures = 1;
    await send(reaction('pushpin', onMessage(REPLY_TS)));
    await counted('captured');
    await slack.settle(() => slack.called('reactions.add').length === 1, 'the failed ✅');

    // No ✅ shows, so someone pins it again: it is on the timeline already, and now it shows.
    await send(reaction('pushpin', onMessage(REPLY_TS), 'U0CY'));
    await counted('duplicate');
    await slack.settle(() => slack.called('reactions.add').length === 2, 'the ✅ again');

    expect(slack.called('reactions.add')[1]?.form).toMatchObject({
      channel: CHANNEL,
      timestamp: REPLY_TS,
      name: 'white_check_mark',
    });
    expect(await notesOf(deps, 'INC-1')).toHaveLength(1);
  });

  it("marks rollbot's own posts ✅ without copying them, whose words are on the timeline already", async () => {
    const timeline = await deps.store.list('INC-1');
    await send(reaction('pushpin', onMessage(INCIDENT_TS)));
    await counted('rollbot_post');

    expect(slack.called('conversations.replies')[0]?.form).toMatchObject({ include_all_metadata: 'true' });
    expect(await deps.store.list('INC-1')).toEqual(timeline);
    await slack.settle(() => slack.called('reactions.add').length === 1, 'the ✅');
    expect(slack.called('reactions.add')[0]?.form).toMatchObject({ timestamp: INCIDENT_TS });
  });

  it('captures it without its link when Slack does not give one, marked ✅ all the same', async () => {
    permalinkFault = { ok: false, error: 'internal_error' };
    const { lines } = watchRetries();

    await send(reaction('pushpin', onMessage(REPLY_TS)));
    await counted('captured');

    const [note] = await notesOf(deps, 'INC-1');
    expect(note?.text).toBe('feature store stale since 01:40');
    expect(note?.data).toEqual({ pinnedBy: 'U0BO', channel: CHANNEL, ts: REPLY_TS });
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: expect.stringMatching(
          /^cannot get a link to the pinned message \(internal_error\); captured without it/,
        ),
      }),
    );
    await slack.settle(() => slack.called('reactions.add').length === 1, 'the ✅');
  });

  it("captures another bot's message, as that bot's", async () => {
    await send(reaction('pushpin', onMessage(OTHER_BOT_TS)));
    await counted('captured');
    expect((await notesOf(deps, 'INC-1')).map((note) => [note.actor, note.text])).toEqual([
      ['shipit', 'deployed v43'],
    ]);
  });
});

/** How a store call fails: `before` writing anything (Redis unreachable), or `after` (the write done, its answer lost). */
type Blip = 'before' | 'after' | undefined;

/**
 * `deps.store` with its timeline write failing as `blip` says for each call (1 = the first), a Redis blip after the
 * event was claimed; the Slack route's listeners read `deps.store` as it is when the event arrives.
 */
function failAppends(blip: (call: number) => Blip): Store {
  const store = deps.store;
  let calls = 0;
  deps.store = {
    ...store,
    appendOnce: async (entry, key) => {
      const how = blip(++calls);
      if (how === 'before') throw new Error('Connection is closed.');
      const written = await store.appendOnce(entry, key);
      if (how === 'after') throw new Error('read ECONNRESET');
      return written;
    },
  };
  return store;
}

/** The waits the listener asked for (instantly over: the test's clock is the real one), and its log lines. */
function watchRetries() {
  const waits: number[] = [];
  const lines: { level: number; msg: string; hint?: string }[] = [];
  deps.sleep = async (ms) => {
    waits.push(ms);
  };
  deps.logger = createLogger({
    level: 'warn',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        done();
      },
    }),
  });
  return { waits, lines };
}

describe('a store failing while a pin is captured', () => {
  it('tries again, so a Redis blip loses no pin: on the timeline once, marked ✅', async () => {
    failAppends((call) => (call === 1 ? 'before' : undefined));
    const { waits, lines } = watchRetries();

    await send(reaction('pushpin', onMessage(REPLY_TS)));
    await counted('captured');

    expect((await notesOf(deps, 'INC-1')).map((note) => note.text)).toEqual([
      'feature store stale since 01:40',
    ]);
    expect(waits).toHaveLength(1);
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/^the store failed.*trying again/) }),
    ]);
    await slack.settle(() => slack.called('reactions.add').length === 1, 'the ✅');
    // Slack was asked for the message once: only the store part is tried again.
    expect(slack.called('conversations.replies')).toHaveLength(1);
    expect(await pins('store_unavailable')).toBe(0);
  });

  it('writes it once when a write went through but its answer was lost', async () => {
    failAppends((call) => (call === 1 ? 'after' : undefined));
    watchRetries();

    await send(reaction('pushpin', onMessage(REPLY_TS)));
    await counted('duplicate');

    expect(await notesOf(deps, 'INC-1')).toHaveLength(1);
    await slack.settle(() => slack.called('reactions.add').length === 1, 'the ✅');
  });

  it('gives up when the store keeps failing: nothing written, no ✅, counted and said with what to do', async () => {
    const store = failAppends(() => 'before');
    const { waits, lines } = watchRetries();
    const timeline = await store.list('INC-1');

    await send(reaction('pushpin', onMessage(REPLY_TS)));
    await counted('store_unavailable');

    expect(await store.list('INC-1')).toEqual(timeline);
    expect(slack.called('reactions.add')).toEqual([]);
    // Bounded: a few growing waits, then it stops.
    expect(waits.length).toBeGreaterThan(1);
    expect(waits.length).toBeLessThan(10);
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
    expect(lines.at(-1)).toMatchObject({
      level: 50,
      msg: expect.stringMatching(/^cannot capture the pinned message: the store failed \d+ times/),
      hint: expect.stringMatching(/📌.*again.*\/incident note/),
    });
    expect(await pins('captured')).toBe(0);

    // Once the store is back, pinning it again captures it.
    deps.store = store;
    await send(reaction('pushpin', onMessage(REPLY_TS), 'U0CY'));
    await counted('captured');
    expect(await notesOf(deps, 'INC-1')).toHaveLength(1);
  });
  it('is work a shutdown waits for while it waits out the store, and done once it is captured', async () => {
    failAppends((call) => (call === 1 ? 'before' : undefined));
    let wake = () => {};
    let waiting = false;
    deps.sleep = () => {
      waiting = true;
      return new Promise<void>((resolve) => (wake = resolve));
    };

    await send(reaction('pushpin', onMessage(REPLY_TS)));
    await eventually(async () => waiting || undefined, 2_000, 'the capture waiting to try again');
    expect(await deps.inFlight.settled(10)).toEqual({ pin: 1 });

    wake();
    await counted('captured');
    expect(await deps.inFlight.settled(1_000)).toEqual({});
  });

  it("captures a pin whose event could not be claimed (the store failing then), once across Slack's retry", async () => {
    const store = deps.store;
    const { lines } = watchRetries();
    deps.store = {
      ...store,
      claimOnce: () => Promise.reject(new Error('Connection is closed.')),
    };
    const post = reaction('pushpin', onMessage(REPLY_TS));

    await send(post);
    await counted('captured');
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/cannot tell.*event.*handling it/) }),
    );

    // Slack's retry of the same event, the store back: the message is on the timeline once.
    deps.store = store;
    await send(post, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    await counted('duplicate');
    expect(await notesOf(deps, 'INC-1')).toHaveLength(1);
  });
});

describe('what is left alone', () => {
  it('ignores another reaction, a 📌 on a file and one outside any incident thread, storing nothing', async () => {
    const timeline = await deps.store.list('INC-1');

    await send(reaction('eyes', onMessage(REPLY_TS)));
    await send(reaction('pushpin', { type: 'file', file: 'F0LOGS' }));
    await send(reaction('pushpin', onMessage(ELSEWHERE_TS)));
    await counted('outside_incident');

    // Only the message outside was read (to find its thread), and not linked to; nobody was answered.
    expect(slack.called('conversations.replies').map((call) => call.form.ts)).toEqual([ELSEWHERE_TS]);
    expect(slack.called('chat.getPermalink')).toEqual([]);
    expect(slack.called('reactions.add')).toEqual([]);
    expect(slack.called('chat.postMessage')).toEqual([]);
    expect(await deps.store.list('INC-1')).toEqual(timeline);
    expect(await pins('captured')).toBe(0);
  });

  it('stores nothing when Slack does not return the message, and takes the next pin as usual', async () => {
    const timeline = await deps.store.list('INC-1');

    await send(reaction('pushpin', onMessage(GONE_TS)));
    await counted('unreadable');

    expect(await deps.store.list('INC-1')).toEqual(timeline);
    expect(slack.called('reactions.add')).toEqual([]);

    await send(reaction('pushpin', onMessage(REPLY_TS)));
    await counted('captured');
    expect(await notesOf(deps, 'INC-1')).toHaveLength(1);
  });
});

describe('Events API set-up', () => {
  it("answers Slack's url_verification challenge when the request URL is saved", async () => {
    const challenge = { token: 'legacy', challenge: 'c0ffee', type: 'url_verification' };
    const answer = await sendSigned(slack.url, {
      body: JSON.stringify(challenge),
      contentType: 'application/json',
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ challenge: 'c0ffee' });
  });
});
