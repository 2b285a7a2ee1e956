import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { realTimer, type SetTimer } from '../../../src/slack/notifier/pacing.js';
import {
  createOutgoingQueue,
  type DeliveryKind,
  type OutgoingItem,
  type OutgoingQueueOptions,
} from '../../../src/slack/notifier/queue.js';
import { T0 } from '../../helpers/incidents.js';
import { spyLogger } from '../../helpers/spy-logger.js';

/**
 * Virtual time: the queue's clock and timers are fakes, so pacing, Retry-After and backoff are asserted on
 * exact instants without waiting. `run` lets in-flight sends finish, then fires the next timer (moving the
 * clock to it), until no timer is left.
 */
function virtualTime() {
  let now = T0;
  let seq = 0;
  let timers: { at: number; seq: number; fn: () => void }[] = [];
  const clock = { now: () => now };
  const setTimer: SetTimer = (fn, ms) => {
    const timer = { at: now + ms, seq: seq++, fn };
    timers.push(timer);
    return () => {
      timers = timers.filter((t) => t !== timer);
    };
  };
  /** `until`: fire no timer due later than this many ms after T0. */
  async function run(busy: () => boolean, until = Infinity): Promise<void> {
    for (let step = 0; step < 10_000; step++) {
      do await new Promise((resolve) => setImmediate(resolve));
      while (busy());
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = timers[0];
      if (!next || next.at - T0 > until) return;
      timers.shift();
      now = Math.max(now, next.at);
      next.fn();
    }
    throw new Error('virtual time did not settle');
  }
  return { clock, setTimer, run, elapsed: () => now - T0 };
}

function setup(options: Partial<OutgoingQueueOptions> = {}) {
  const time = virtualTime();
  const logger = spyLogger();
  const failures: [DeliveryKind, string][] = [];
  const sent: { channel: string; label: string; at: number }[] = [];
  const queue = createOutgoingQueue({
    clock: time.clock,
    logger,
    setTimer: time.setTimer,
    onDeliveryFailed: (kind, reason) => failures.push([kind, reason]),
    ...options,
  });
  /** An item that records its send, after failing with each of `errors` in turn. */
  const item = (
    channel: string,
    label: string,
    extra: Partial<OutgoingItem> = {},
    errors: unknown[] = [],
  ): OutgoingItem => ({
    kind: 'post',
    label,
    ...extra,
    send: async () => {
      if (errors.length > 0) throw errors.shift();
      sent.push({ channel, label, at: time.elapsed() });
    },
  });
  const enqueue = (channel: string, label: string, extra?: Partial<OutgoingItem>, errors?: unknown[]) =>
    queue.enqueue(channel, item(channel, label, extra, errors));
  const run = (until?: number) => time.run(() => queue.stats().inFlight > 0, until);
  return { queue, logger, failures, sent, enqueue, run, time };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('outgoing queue', () => {
  it('sends a burst of 3 per channel, then one per second, while another channel does not wait', async () => {
    const { enqueue, run, sent } = setup();
    for (let i = 1; i <= 10; i++) enqueue('C1', `a${i}`);
    enqueue('C2', 'b1');
    await run();
    const c1 = sent.filter((s) => s.channel === 'C1');
    expect(c1.map((s) => s.label)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9', 'a10']);
    expect(c1.map((s) => s.at)).toEqual([0, 0, 0, 1000, 2000, 3000, 4000, 5000, 6000, 7000]);
    expect(sent.find((s) => s.channel === 'C2')?.at).toBe(0);
    expect(sent.findIndex((s) => s.label === 'b1')).toBeLessThan(sent.findIndex((s) => s.label === 'a4'));
  });

  it('coalesces waiting updates of one message (last write wins) and keeps their place in line', async () => {
    const { enqueue, run, sent } = setup();
    enqueue('C1', 'post', { keep: true });
    enqueue('C1', 'update 1', { kind: 'update', coalesceKey: 'm' });
    enqueue('C1', 'reply', { kind: 'reply' });
    for (let i = 2; i <= 5; i++) enqueue('C1', `update ${i}`, { kind: 'update', coalesceKey: 'm' });
    await run();
    expect(sent.map((s) => s.label)).toEqual(['post', 'update 5', 'reply']);

    // An update being sent is not replaced: the next one waits behind it.
    enqueue('C1', 'update 6', { kind: 'update', coalesceKey: 'm' });
    enqueue('C1', 'update 7', { kind: 'update', coalesceKey: 'm' });
    enqueue('C1', 'update 8', { kind: 'update', coalesceKey: 'm' });
    await run();
    expect(sent.slice(3).map((s) => s.label)).toEqual(['update 6', 'update 8']);
  });

  it('lets replies pass an update held back by the workspace-wide update allowance', async () => {
    const { enqueue, run, sent } = setup();
    for (const c of ['C1', 'C2', 'C3', 'C4']) enqueue(c, `update ${c}`, { kind: 'update', coalesceKey: c });
    await run(0); // four updates: the workspace's burst (Slack's five, one in reserve) is spent
    enqueue('C6', 'update C6', { kind: 'update', coalesceKey: 'C6' });
    enqueue('C6', 'reply 1', { kind: 'reply' });
    enqueue('C6', 'reply 2', { kind: 'reply' });
    await run();
    const c6 = sent.filter((s) => s.channel === 'C6');
    expect(c6.map((s) => [s.label, s.at])).toEqual([
      ['reply 1', 0],
      ['reply 2', 0],
      ['update C6', 1200],
    ]);
  });

  it('keeps replies in order when the first one to pass a held-back update fails and backs off', async () => {
    const { enqueue, run, sent } = setup();
    for (const c of ['C1', 'C2', 'C3', 'C4']) enqueue(c, `update ${c}`, { kind: 'update', coalesceKey: c });
    await run(0); // the workspace's update allowance is spent
    const blip = new WebAPIHTTPError(503, 'Service Unavailable', {}, 'upstream connect error');
    enqueue('C6', 'update C6', { kind: 'update', coalesceKey: 'C6' });
    enqueue('C6', 'reply 1', { kind: 'reply' }, [blip]);
    enqueue('C6', 'reply 2', { kind: 'reply' });
    await run();
    const c6 = sent.filter((s) => s.channel === 'C6');
    // reply 1 failed at 0 and is retried at 2 s: reply 2 must not go before it (the thread would read 2, 1).
    expect(c6.map((s) => [s.label, s.at])).toEqual([
      ['update C6', 1200],
      ['reply 1', 2000],
      ['reply 2', 2000],
    ]);
  });

  it('sends an optional redraw only with spare capacity, and never in place of a pending update', async () => {
    const { enqueue, run, sent, failures } = setup();
    const redraw = { kind: 'update', optional: true } as const;
    enqueue('C1', 'redraw a', { ...redraw, coalesceKey: 'a' });
    await run(0);
    expect(sent.map((s) => s.label)).toEqual(['redraw a']);

    // A pending update of the same message stays; a later update replaces a pending redraw.
    enqueue('C1', 'post', { keep: true });
    enqueue('C1', 'update b', { kind: 'update', coalesceKey: 'b' });
    enqueue('C1', 'redraw b', { ...redraw, coalesceKey: 'b' });
    enqueue('C1', 'redraw c', { ...redraw, coalesceKey: 'c' });
    enqueue('C1', 'update c', { kind: 'update', coalesceKey: 'c' });
    await run();
    expect(sent.slice(1).map((s) => s.label)).toEqual(['post', 'update b', 'update c']);

    // With the workspace's update allowance spent, a redraw is dropped (unrecorded) instead of waiting.
    for (const c of ['C2', 'C3', 'C4', 'C5', 'C6'])
      enqueue(c, `update ${c}`, { kind: 'update', coalesceKey: c });
    await run(0);
    enqueue('C7', 'redraw d', { ...redraw, coalesceKey: 'd' });
    enqueue('C7', 'update e', { kind: 'update', coalesceKey: 'e' });
    await run();
    const c7 = sent.filter((s) => s.channel === 'C7');
    expect(c7.map((s) => s.label)).toEqual(['update e']);
    expect(failures).toEqual([]);
  });

  it('pauses a channel for Retry-After on a 429, without counting an attempt', async () => {
    const { enqueue, run, sent, failures } = setup({ retry: { attempts: 1 } });
    enqueue('C1', 'limited', {}, [new WebAPIRateLimitedError(2)]);
    enqueue('C1', 'next');
    enqueue('C2', 'other');
    await run();
    expect(sent).toEqual([
      { channel: 'C2', label: 'other', at: 0 },
      { channel: 'C1', label: 'limited', at: 2000 },
      { channel: 'C1', label: 'next', at: 2000 },
    ]);
    expect(failures).toEqual([]);
  });

  it('holds back every channel’s updates after a chat.update 429 (Tier 3 is per workspace)', async () => {
    const { enqueue, run, sent } = setup();
    enqueue('C1', 'update A', { kind: 'update', coalesceKey: 'a' }, [new WebAPIRateLimitedError(5)]);
    await run(0);
    enqueue('C2', 'update B', { kind: 'update', coalesceKey: 'b' });
    enqueue('C3', 'post C');
    await run();
    expect(sent).toEqual([
      { channel: 'C3', label: 'post C', at: 0 },
      { channel: 'C1', label: 'update A', at: 5000 },
      { channel: 'C2', label: 'update B', at: 5000 },
    ]);
  });

  it('lets the channel’s posts and replies go on while a chat.update 429 holds back its updates', async () => {
    const { enqueue, run, sent } = setup();
    enqueue('C1', 'update A', { kind: 'update', coalesceKey: 'a' }, [new WebAPIRateLimitedError(30)]);
    await run(0);
    enqueue('C1', 'escalation reply', { kind: 'reply' });
    enqueue('C1', 'post B', { keep: true });
    await run();
    expect(sent).toEqual([
      { channel: 'C1', label: 'escalation reply', at: 0 },
      { channel: 'C1', label: 'post B', at: 0 },
      { channel: 'C1', label: 'update A', at: 30_000 },
    ]);
  });

  it('retries transient failures with backoff and delivers when Slack recovers', async () => {
    const { enqueue, run, sent, failures } = setup();
    const down = () => new WebAPIRequestError(new Error('ECONNREFUSED'));
    enqueue('C1', 'post', {}, [down(), down(), down()]);
    await run();
    expect(sent).toEqual([{ channel: 'C1', label: 'post', at: 2000 + 4000 + 8000 }]);
    expect(failures).toEqual([]);
  });

  it('gives up after the attempt bound, records the failure once and goes on with the next item', async () => {
    const { enqueue, run, sent, failures, logger } = setup({ retry: { attempts: 6 } });
    const down = () => new WebAPIRequestError(new Error('ECONNREFUSED'));
    enqueue('C1', 'doomed', {}, Array.from({ length: 6 }, down));
    enqueue('C1', 'next');
    await run();
    expect(failures).toEqual([['post', 'network']]);
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ channel: 'C1', label: 'doomed', reason: 'network', attempts: 6 }),
      expect.stringContaining('gave up after 6 attempts'),
    );
    // 6 attempts at 0, 2, 6, 14, 30 and 62 s; the next item goes right after.
    expect(sent).toEqual([{ channel: 'C1', label: 'next', at: 62_000 }]);
  });

  it('by default retries a transient failure for about ten minutes, then gives up', async () => {
    const { enqueue, run, sent, failures } = setup();
    const down = () => new WebAPIRequestError(new Error('ECONNREFUSED'));
    enqueue('C1', 'doomed', {}, Array.from({ length: 20 }, down));
    enqueue('C1', 'next');
    await run();
    expect(failures).toEqual([['post', 'network']]);
    // 2, 4, 8, 16, 32 s, then a minute apart: the 15th try, at 602 s, is the last.
    expect(sent).toEqual([{ channel: 'C1', label: 'next', at: 602_000 }]);
  });

  it('drops a permanent failure at once', async () => {
    const { enqueue, run, sent, failures } = setup();
    enqueue('C1', 'bad', { kind: 'reply' }, [
      new WebAPIPlatformError({ ok: false, error: 'invalid_blocks' }),
    ]);
    enqueue('C1', 'good');
    await run();
    expect(failures).toEqual([['reply', 'invalid_blocks']]);
    expect(sent.map((s) => [s.label, s.at])).toEqual([['good', 0]]);
  });

  it('when full, drops the oldest thread replies first and never a kept first post', async () => {
    const { queue, enqueue, run, sent, failures } = setup({ maxItemsPerChannel: 3 });
    let release = (): void => {};
    queue.enqueue('C1', {
      kind: 'post',
      label: 'blocker',
      send: () => new Promise<void>((resolve) => (release = resolve)),
    });
    enqueue('C1', 'first post', { keep: true });
    enqueue('C1', 'reply 1', { kind: 'reply' });
    enqueue('C1', 'reply 2', { kind: 'reply' }); // full: reply 1 goes
    enqueue('C1', 'update', { kind: 'update' }); // reply 2 goes
    enqueue('C1', 'second post', { keep: true }); // no reply left: the update goes
    enqueue('C1', 'third post', { keep: true }); // only kept posts left: this one is refused
    expect(failures).toEqual([
      ['reply', 'queue_full'],
      ['reply', 'queue_full'],
      ['update', 'queue_full'],
      ['post', 'queue_full'],
    ]);
    await new Promise((resolve) => setImmediate(resolve)); // the blocker's send has started
    release();
    await run();
    expect(sent.map((s) => s.label)).toEqual(['first post', 'second post']);
  });

  it('flushes, then close() abandons what it cannot send within the deadline and refuses new work', async () => {
    const { queue, enqueue, run, failures, logger } = setup();
    enqueue('C1', 'ok');
    await run();
    await queue.flush();
    enqueue('C1', 'stuck', {}, [new WebAPIRequestError(new Error('ETIMEDOUT'))]);
    await run(0);
    const closed = queue.close(1000);
    expect(queue.close()).toBe(closed);
    await run();
    await closed;
    expect(failures).toEqual([['post', 'abandoned']]);
    enqueue('C1', 'late');
    expect(failures).toEqual([
      ['post', 'abandoned'],
      ['post', 'closed'],
    ]);
    expect(logger.error).toHaveBeenCalledTimes(2);
    expect(queue.stats()).toEqual({ queued: 0, inFlight: 0 });
  });

  it('tells an item once whether it was delivered: sent, given up, dropped, abandoned or refused', async () => {
    const { queue, enqueue, run } = setup({ maxItemsPerChannel: 3, retry: { attempts: 2 } });
    const settled: [string, boolean][] = [];
    const told = (label: string) => ({ onSettled: (delivered: boolean) => settled.push([label, delivered]) });
    const down = () => new WebAPIRequestError(new Error('ECONNREFUSED'));
    enqueue('C1', 'sent', told('sent'), [down()]);
    enqueue('C1', 'doomed', told('doomed'), [down(), down()]);
    enqueue('C1', 'dropped', { kind: 'reply', ...told('dropped') }); // the oldest reply: makes room for the next
    enqueue('C1', 'kept', { keep: true, ...told('kept') });
    await run();
    expect(settled).toEqual([
      ['dropped', false],
      ['sent', true],
      ['doomed', false],
      ['kept', true],
    ]);
    settled.length = 0;
    enqueue('C2', 'stuck', told('stuck'), [down(), down()]);
    await run(0);
    const closed = queue.close(1000);
    await run();
    await closed;
    enqueue('C2', 'late', told('late'));
    expect(settled).toEqual([
      ['stuck', false],
      ['late', false],
    ]);
  });

  it('tells both items when a waiting update is replaced by a newer one', async () => {
    const { queue, enqueue, run } = setup();
    const settled: string[] = [];
    let release = (): void => {};
    queue.enqueue('C1', { kind: 'post', label: 'blocker', send: () => new Promise((r) => (release = r)) });
    for (const label of ['old', 'new']) {
      enqueue('C1', label, { kind: 'update', coalesceKey: 'm', onSettled: () => settled.push(label) });
    }
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await run();
    expect(settled).toEqual(['old', 'new']);
  });

  it('never keeps the process alive with its timers, except close()’s deadline', () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const cancelQuiet = realTimer(() => {}, 60_000);
    const cancelDeadline = realTimer(() => {}, 60_000, true);
    const [quiet, deadline] = spy.mock.results.map((result) => result.value as NodeJS.Timeout);
    expect(quiet?.hasRef()).toBe(false);
    expect(deadline?.hasRef()).toBe(true);
    cancelQuiet();
    cancelDeadline();
  });
});
