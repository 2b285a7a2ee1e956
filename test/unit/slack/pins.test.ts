import { describe, expect, it } from 'vitest';
import { messageAt, pinOf } from '../../../src/slack/pins.js';

const item = { type: 'message', channel: 'C0TEST0001', ts: '1700000050.000200' };

describe('pinOf', () => {
  it('reads a 📌 on a message: where the message is and who pinned it', () => {
    expect(pinOf({ reaction: 'pushpin', user: 'U0BO', item })).toEqual({
      channel: 'C0TEST0001',
      ts: '1700000050.000200',
      by: 'U0BO',
    });
  });

  it('is no pin for another reaction, a reaction on a file, or an event missing what it needs', () => {
    expect(pinOf({ reaction: 'eyes', user: 'U0BO', item })).toBeUndefined();
    expect(pinOf({ reaction: 'round_pushpin', user: 'U0BO', item })).toBeUndefined();
    expect(pinOf({ reaction: 'pushpin', user: 'U0BO', item: { type: 'file', file: 'F0A' } })).toBeUndefined();
    expect(pinOf({ reaction: 'pushpin', user: 'U0BO', item: { ...item, channel: '' } })).toBeUndefined();
    expect(pinOf({ reaction: 'pushpin', user: 'U0BO' })).toBeUndefined();
    expect(pinOf({ reaction: 'pushpin', item })).toBeUndefined();
  });
});

describe('messageAt', () => {
  const parent = { ts: '1700000000.000100', thread_ts: '1700000000.000100', text: 'INC-1', bot_id: 'B0ROLL' };
  const reply = { ts: '1700000050.000200', thread_ts: '1700000000.000100', text: 'stale', user: 'U0ANA' };

  it('finds the message by its ts, even behind the thread’s parent, with its thread, author and text', () => {
    expect(messageAt([parent, reply], reply.ts)).toEqual({
      threadTs: '1700000000.000100',
      author: 'U0ANA',
      text: 'stale',
    });
  });

  it('takes a parent, or a message in no thread, as starting its own thread', () => {
    expect(messageAt([parent], parent.ts)?.threadTs).toBe(parent.ts);
    expect(messageAt([{ ts: '1.2', text: 'alone', user: 'U0ANA' }], '1.2')?.threadTs).toBe('1.2');
  });

  it("names a bot by its name, else its username or ID, and a message without text as ''", () => {
    const bot = { ts: '1.2', bot_id: 'B0GRAF', bot_profile: { name: 'Grafana' }, username: 'grafana-bot' };
    expect(messageAt([bot], '1.2')).toEqual({ threadTs: '1.2', author: 'Grafana', text: '' });
    expect(messageAt([{ ts: '1.2', bot_id: 'B0GRAF', username: 'grafana-bot' }], '1.2')?.author).toBe(
      'grafana-bot',
    );
    expect(messageAt([{ ts: '1.2', bot_id: 'B0GRAF' }], '1.2')?.author).toBe('B0GRAF');
    expect(messageAt([{ ts: '1.2' }], '1.2')?.author).toBe('unknown');
  });

  it('is undefined when the answer does not hold the message', () => {
    expect(messageAt([parent], reply.ts)).toBeUndefined();
    expect(messageAt([], reply.ts)).toBeUndefined();
    expect(messageAt(undefined, reply.ts)).toBeUndefined();
  });
});
