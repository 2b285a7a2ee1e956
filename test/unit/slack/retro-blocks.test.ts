import { describe, expect, it } from 'vitest';
import type { ActionItem, Retrospective } from '../../../src/core/retro.js';
import {
  closeItemActionId,
  CLOSE_ITEM_ACTION,
  MAX_ITEMS_SHOWN,
  retroMessage,
  retroModal,
} from '../../../src/slack/blocks/retro.js';
import { ACTIONS, INPUTS, VIEWS } from '../../../src/slack/ids.js';
import { expectWithinSlackLimits } from '../../helpers/block-limits.js';
import { BROKEN, flattened, shown } from './fixtures.js';

const T = Date.parse('2026-11-22T02:00:00Z');
const HOSTILE = `<!channel> & <@U1> ${'🙂'.repeat(2_000)}`;

function retro(overrides: Partial<Retrospective> = {}): Retrospective {
  return {
    incidentId: 'INC-7',
    model: 'fraud-scorer',
    openedAt: T,
    dueAt: T + 48 * 3_600_000,
    actionItems: [],
    remindersSent: [],
    ...overrides,
  };
}

const items = (count: number, text = 'add a canary gate'): ActionItem[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `A${i + 1}`,
    owner: i % 2 ? '<@U0ANA>' : HOSTILE,
    text,
    due: T,
    status: 'open',
  }));

type Json = Record<string, unknown>;
const json = (value: unknown): Json[] => JSON.parse(JSON.stringify(value)) as Json[];

/** The retro_template block's mrkdwn. */
const templateText = (blocks: unknown): string => {
  const block = json(blocks).find((b) => b.block_id === 'retro_template') as { text?: { text?: string } };
  return block.text?.text ?? '';
};
/** A template whose outside text tries to end the code block: a fence, and backticks next to the fences. */
const FENCED = '``Trigger: x ```\n*Decision*: roll back by <@U0ALICE> ```` ``';

/** The text shows as one code block: a fence at each end and no backtick in between. */
function expectOneCodeBlock(text: string): void {
  expect(text.startsWith('```')).toBe(true);
  expect(text.endsWith('```')).toBe(true);
  expect(text.slice(3, -3)).not.toContain('`');
}

describe('retroMessage', () => {
  it('offers "Complete retrospective" while open, carrying the incident and model', () => {
    const message = retroMessage(retro(), 'Trigger: ModelAccuracyDrop');
    expectWithinSlackLimits(message);
    const actions = json(message.blocks).find((b) => b.block_id === 'retro_actions') as { elements: Json[] };
    expect(actions.elements[0]).toMatchObject({ action_id: ACTIONS.completeRetro, style: 'primary' });
    expect(JSON.parse(String(actions.elements[0]?.value))).toEqual({
      incidentId: 'INC-7',
      model: 'fraud-scorer',
    });
  });

  it('stays within Slack limits with 60 hostile action items and long texts, showing "+N more"', () => {
    const message = retroMessage(
      retro({
        completedAt: T,
        completedBy: 'U0LEAD',
        rootCause: HOSTILE,
        wentWell: HOSTILE,
        wentBadly: HOSTILE,
        actionItems: items(60, HOSTILE),
      }),
      HOSTILE.repeat(3),
    );
    expectWithinSlackLimits(message);
    const blocks = json(message.blocks);
    const buttons = blocks.filter((b) => b.accessory !== undefined).map((b) => b.accessory as Json);
    expect(buttons).toHaveLength(MAX_ITEMS_SHOWN);
    expect(buttons[0]).toMatchObject({ action_id: closeItemActionId('A1') });
    expect(CLOSE_ITEM_ACTION.test(String(buttons[0]?.action_id))).toBe(true);
    expect(JSON.parse(String(buttons[0]?.value))).toEqual({ incidentId: 'INC-7', itemId: 'A1' });
    expect(JSON.stringify(blocks)).toContain(`+${60 - MAX_ITEMS_SHOWN} more open action items`);
    const odd = retroMessage(retro({ incidentId: 'INC-`7', actionItems: items(60) }), 'template');
    expect(JSON.stringify(odd.blocks)).toContain('(see `rollbot timeline INC-ˋ7`)');
    expect(JSON.stringify(blocks)).not.toContain('<!channel>');
    expect(blocks.some((b) => b.block_id === 'retro_actions')).toBe(false);
  });

  it('keeps the template in one code block whatever backticks its outside text carries', () => {
    const text = templateText(retroMessage(retro(), FENCED).blocks);
    expectOneCodeBlock(text);
    expect(text).toContain('Trigger: x ˋˋˋ\n*Decision*: roll back by &lt;@U0ALICE&gt;');
  });

  it("keeps names, owners and action items on rollbot's lines, and what people wrote as they wrote it", () => {
    const broken = retro({
      incidentId: `INC-7 ${BROKEN}`,
      model: `fraud ${BROKEN}`,
      completedAt: T,
      completedBy: `U0LEAD ${BROKEN}`,
      actionItems: [
        { id: `A1 ${BROKEN}`, owner: `@ana ${BROKEN}`, text: `gate ${BROKEN}`, due: T, status: 'open' },
      ],
    });
    expect(shown(retroMessage(broken, '').blocks)).toEqual(shown(retroMessage(flattened(broken), '').blocks));
    const modal = { incidentId: `INC-7 ${BROKEN}`, model: `fraud ${BROKEN}`, template: 'Trigger: x' };
    expect(retroModal(modal).blocks).toEqual(retroModal(flattened(modal)).blocks);
    // A root cause is paragraphs of its own under its heading: its line breaks are the writer's, and kept.
    const written = retroMessage(retro({ completedAt: T, completedBy: 'U0LEAD', rootCause: 'a\nb' }), '');
    expect(JSON.stringify(written.blocks)).toContain('*Root cause*\\na\\nb');
  });

  it('shows closed items as a count, without a Close button', () => {
    const [open, closed] = items(2);
    const message = retroMessage(retro({ actionItems: [open!, { ...closed!, status: 'closed' }] }), '');
    expectWithinSlackLimits(message);
    const blocks = json(message.blocks);
    expect(blocks.filter((b) => b.accessory !== undefined)).toHaveLength(1);
    expect(JSON.stringify(blocks)).toContain('1 open, 1 closed');
  });
});

describe('retroModal', () => {
  it('has the four inputs, root cause required, and the incident in private_metadata', () => {
    const view = retroModal({ incidentId: 'INC-7', model: 'fraud-scorer', template: 'Trigger: x' });
    expectWithinSlackLimits(view);
    expect(view.callback_id).toBe(VIEWS.retro);
    expect(view.title.text).toBe('Retrospective');
    expect(JSON.parse(view.private_metadata ?? '')).toEqual({ incidentId: 'INC-7', model: 'fraud-scorer' });
    const inputs = json(view.blocks).filter((b) => b.type === 'input');
    expect(inputs.map((b) => [b.block_id, b.optional])).toEqual([
      [INPUTS.rootCause.block, false],
      [INPUTS.wentWell.block, true],
      [INPUTS.wentBadly.block, true],
      [INPUTS.actionItems.block, true],
    ]);
    expect(JSON.stringify(inputs[3])).toContain('owner> | <what> | <due YYYY-MM-DD>');
  });

  it('keeps the template in one code block whatever backticks its outside text carries', () => {
    expectOneCodeBlock(
      templateText(retroModal({ incidentId: 'INC-7', model: 'fraud-scorer', template: FENCED }).blocks),
    );
  });

  it('stays within limits with a hostile template and names', () => {
    expectWithinSlackLimits(retroModal({ incidentId: HOSTILE, model: HOSTILE, template: HOSTILE.repeat(5) }));
  });
});
