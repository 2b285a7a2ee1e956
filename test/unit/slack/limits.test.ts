import { describe, expect, it } from 'vitest';
import {
  codeBlock,
  escapeText,
  fitLines,
  inlineCode,
  LIMITS,
  truncate,
} from '../../../src/slack/blocks/limits.js';
import { expectWithinSlackLimits, slackLimitProblems } from '../../helpers/block-limits.js';

describe('truncate', () => {
  it('leaves short text alone and cuts long text with an ellipsis', () => {
    expect(truncate('rollbot', 10)).toBe('rollbot');
    expect(truncate('rollback now', 8)).toBe('rollbac…');
    expect(truncate('rollback now', 8)).toHaveLength(8);
  });

  it('never splits an emoji in half', () => {
    const cut = truncate('💥💥💥💥', 4);
    expect(cut).toBe('💥…');
    expect(cut.length).toBeLessThanOrEqual(4);
  });
});

describe('escapeText', () => {
  it('escapes &, < and > so that outside text cannot ping a channel', () => {
    expect(escapeText('<!channel> a & b')).toBe('&lt;!channel&gt; a &amp; b');
  });

  it('does not leave half an entity when it cuts', () => {
    const cut = escapeText('ab<<<<', 6);
    expect(cut.length).toBeLessThanOrEqual(6);
    expect(cut).toMatch(/^ab(&lt;)*…$/);
  });
});

describe('codeBlock', () => {
  it('leaves outside text no backtick that could close the block early', () => {
    expect(codeBlock('a ``` *b* `` <c>')).toBe('```a ˋˋˋ *b* ˋˋ &lt;c&gt;```');
  });

  it('keeps both fences when it cuts, within the budget', () => {
    const block = codeBlock('x'.repeat(5_000), 100);
    expect(block).toHaveLength(100);
    expect(block.endsWith('…```')).toBe(true);
  });
});

describe('inlineCode', () => {
  it('leaves outside text no backtick that could end the span early, nor a line break', () => {
    expect(inlineCode('v4`2 *b*\n<c>')).toBe('`v4ˋ2 *b* &lt;c&gt;`');
  });

  it('keeps both backticks when it cuts, within the budget', () => {
    const span = inlineCode('x'.repeat(500), 50);
    expect(span).toHaveLength(50);
    expect(span.endsWith('…`')).toBe(true);
  });
});

describe('fitLines', () => {
  it('keeps lines within the count and says how many more there are', () => {
    const lines = Array.from({ length: 60 }, (_, i) => `check ${i}`);
    const text = fitLines(lines, { max: 3000, maxLines: 10, noun: 'checks' });
    expect(text.split('\n')).toHaveLength(11);
    expect(text.endsWith('+50 more checks')).toBe(true);
  });

  it('keeps within the character budget whatever the lines are', () => {
    const lines = Array.from({ length: 500 }, () => 'x'.repeat(5000));
    const text = fitLines(lines, { max: 3000 });
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).toMatch(/\+\d+ more$/);
  });
});

describe('the Slack limits checker (negative controls)', () => {
  const section = (text: string, blockId?: string) => ({
    type: 'section',
    ...(blockId ? { block_id: blockId } : {}),
    text: { type: 'mrkdwn', text },
  });
  const button = (actionId: string, text: string, value = '{}') => ({
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text },
    value,
  });

  it('accepts a small valid message', () => {
    expectWithinSlackLimits({ text: 'hi', blocks: [section('hi')] });
  });

  it('rejects too many blocks, long texts, missing fallback and too much text in total', () => {
    const problems = slackLimitProblems({
      blocks: Array.from({ length: 51 }, () => section('x'.repeat(3001))),
    });
    expect(problems.join('\n')).toMatch(/51 blocks/);
    expect(problems.join('\n')).toMatch(/3001 characters > 3000/);
    expect(problems.join('\n')).toMatch(/fallback text/);
    expect(problems.join('\n')).toMatch(/characters of text > 10000/);
  });

  it('rejects long button texts and values, duplicate ids and half emoji', () => {
    const problems = slackLimitProblems({
      text: 'x',
      blocks: [
        section('a', 'same'),
        section('💥'.slice(0, 1), 'same'),
        { type: 'actions', elements: [button('a', 'x'.repeat(76)), button('a', 'ok', 'v'.repeat(2001))] },
      ],
    }).join('\n');
    expect(problems).toMatch(/duplicate id same/);
    expect(problems).toMatch(/duplicate id a/);
    expect(problems).toMatch(/76 characters > 75/);
    expect(problems).toMatch(/button value too long/);
    expect(problems).toMatch(/surrogate/);
  });

  it('rejects a modal with a long title, no submit for inputs and metadata that is not JSON', () => {
    const problems = slackLimitProblems({
      type: 'modal',
      callback_id: 'x',
      title: { type: 'plain_text', text: 'A title longer than twenty-four' },
      private_metadata: '{not json',
      blocks: [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Reason' },
          element: { type: 'plain_text_input', action_id: 'r' },
        },
      ],
    }).join('\n');
    expect(problems).toMatch(/title: 31 characters > 24/);
    expect(problems).toMatch(/submit: missing/);
    expect(problems).toMatch(/not JSON/);
  });

  it('uses the documented numbers', () => {
    expect(LIMITS).toMatchObject({ messageBlocks: 50, modalBlocks: 100, sectionText: 3000, fieldText: 2000 });
    expect(LIMITS).toMatchObject({ buttonText: 75, buttonValue: 2000, id: 255, modalText: 24 });
    expect(LIMITS).toMatchObject({ privateMetadata: 3000, fallbackText: 4000, fields: 10 });
  });
});
