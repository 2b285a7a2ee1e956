import { describe, expect, it } from 'vitest';
import { plainText } from '../../../src/slack/markup.js';
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

  it("tells rollbot's own posts by their metadata, whatever bot name they show", () => {
    const own = { ...parent, metadata: { event_type: 'rollbot_post', event_payload: { key: 'INC-1' } } };
    expect(messageAt([own], own.ts)?.byRollbot).toBe(true);
    expect(messageAt([parent], parent.ts)?.byRollbot).toBeUndefined();
    const other = { ...reply, metadata: { event_type: 'deploy_finished' } };
    expect(messageAt([other], other.ts)?.byRollbot).toBeUndefined();
  });

  it('is undefined when the answer does not hold the message', () => {
    expect(messageAt([parent], reply.ts)).toBeUndefined();
    expect(messageAt([], reply.ts)).toBeUndefined();
    expect(messageAt(undefined, reply.ts)).toBeUndefined();
  });
});

describe('plainText', () => {
  it("records what people read, not Slack's markup: entities decoded, mentions and links as they are shown", () => {
    // conversations.replies answers a message's text in Slack's markup: & < > escaped, mentions and links in <…>.
    const raw =
      'p99 &gt; 2s &amp; rising since <!date^1700000000^{time}|01:40>, see <https://grafana.example/d/x|the dashboard> ' +
      'and <https://runbooks.example/fraud>; cc <@U0ANA> <@U0CY|cy> <!subteam^S0ONCALL|@ml-oncall> <!subteam^S0OPS> ' +
      'in <#C0TEST0001|ml-alerts> <#C0OTHER01> <!here> <!channel> <mailto:ana@example.com|ana@example.com>';
    expect(messageAt([{ ts: '1.2', user: 'U0ANA', text: raw }], '1.2')?.text).toBe(
      'p99 > 2s & rising since 01:40, see the dashboard (https://grafana.example/d/x) ' +
        'and https://runbooks.example/fraud; cc @U0ANA @cy @ml-oncall @S0OPS ' +
        'in #ml-alerts #C0OTHER01 @here @channel ana@example.com',
    );
  });

  it('decodes an escaped entity once: "&amp;lt;" was typed as "&lt;"', () => {
    expect(plainText('a &amp;lt; b, x &lt;= y')).toBe('a &lt; b, x <= y');
    expect(plainText('no markup')).toBe('no markup');
  });
});
