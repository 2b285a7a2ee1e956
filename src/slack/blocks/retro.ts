import { mention } from './thread.js';
import type { InputBlock, KnownBlock, ModalView } from '@slack/types';
import { ACTION_ITEM_FORMAT, openItems, type ActionItem, type Retrospective } from '../../core/retro.js';
import { ACTIONS, INPUTS, VIEWS } from '../ids.js';
import { actionValue, button, contextLine, section, slackDate } from './elements.js';
import { codeBlock, escapeLine, escapeText, inlineCode, LIMITS, truncate } from './limits.js';

/** Open items shown with their own Close button; the rest are counted ("+N more"). */
export const MAX_ITEMS_SHOWN = 15;

const ITEM_BUDGET = 280;
const FENCES = 6;
/** Room kept for the line that says where a template too long for one message was cut. */
const CUT_NOTE_BUDGET = 200;

/** Slack mentions are kept (they notify the owner); anything else an owner could be is escaped. */
const MENTION = /^<(@|!subteam\^)[A-Z0-9]+>$/;
const owner = (text: string): string => (MENTION.test(text) ? text : escapeLine(text, 80));
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The Close button's action_id: unique per item (Slack and our checker want unique action IDs). */
export const closeItemActionId = (itemId: string): string => `${ACTIONS.closeActionItem}:${itemId}`;
/** Matches every Close button, for `app.action`. */
export const CLOSE_ITEM_ACTION = new RegExp(`^${ACTIONS.closeActionItem}:`);

function itemBlock(retro: Retrospective, item: ActionItem, index: number): KnownBlock {
  const line = `*${escapeLine(item.id, 20)}* · ${owner(item.owner)} · due ${isoDay(item.due)}\n${escapeLine(item.text, ITEM_BUDGET)}`;
  return {
    ...section(`retro_item_${index}`, line),
    accessory: button(
      closeItemActionId(item.id),
      'Close',
      JSON.stringify({ incidentId: truncate(retro.incidentId, 150), itemId: truncate(item.id, 50) }),
    ),
  };
}

/**
 * What people wrote, each under its heading. Root cause and what went well or badly are paragraphs of their own
 * (`escapeText`, not `escapeLine`): their line breaks are the writer's, kept on purpose; who completed it sits
 * inside rollbot's line.
 */
function completedText(retro: Retrospective): string {
  const parts = [
    `*Completed* by ${mention(retro.completedBy ?? '?')} ${slackDate(retro.completedAt ?? 0)}`,
    `*Root cause*\n${escapeText(retro.rootCause ?? '', 900)}`,
  ];
  if (retro.wentWell) parts.push(`*Went well*\n${escapeText(retro.wentWell, 500)}`);
  if (retro.wentBadly) parts.push(`*Went badly*\n${escapeText(retro.wentBadly, 500)}`);
  return parts.join('\n');
}

/** The characters of text a message's blocks carry, as Slack counts them against its limit (LIMITS.messageText). */
function textLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + textLength(item), 0);
  if (typeof value !== 'object' || value === null) return 0;
  const { type, text } = value as { type?: unknown; text?: unknown };
  if ((type === 'mrkdwn' || type === 'plain_text') && typeof text === 'string') return text.length;
  return Object.values(value).reduce((sum: number, item) => sum + textLength(item), 0);
}

/**
 * The template rollbot pre-filled, whole, as code blocks of whole lines in order, each within a section's 3,000
 * characters and all within `room` characters and `blocks` blocks: it was once cut at 2,200 characters, losing its
 * end (the timings, the notes) without a word. One longer than a message can carry (only outside text escaped many
 * times over gets there) is cut at a line, saying so and where the whole record is.
 */
function templateBlocks(incidentId: string, text: string, room: number, blocks: number): KnownBlock[] {
  const perBlock = LIMITS.sectionText - FENCES;
  const chunks: string[][] = [[]];
  let size = 0;
  let used = 0;
  let cut = false;
  for (const line of text.split('\n')) {
    // Escaped as codeBlock escapes it; a line longer than a block (never one of the template's) is cut with `…`.
    const length = Math.min(escapeText(line, Infinity).length, perBlock);
    const current = chunks.at(-1) ?? [];
    const joined = current.length === 0 ? length : size + 1 + length;
    const fresh = joined > perBlock;
    const cost = (fresh || current.length === 0 ? FENCES : 1) + length;
    if (used + cost > room - CUT_NOTE_BUDGET || (fresh && chunks.length >= blocks - 1)) {
      cut = true;
      break;
    }
    if (fresh) {
      chunks.push([line]);
      size = length;
    } else {
      current.push(line);
      size = joined;
    }
    used += cost;
  }
  const out: KnownBlock[] = chunks
    .filter((chunk) => chunk.length > 0)
    .map((chunk, index) =>
      section(index === 0 ? 'retro_template' : `retro_template_${index + 1}`, codeBlock(chunk.join('\n'))),
    );
  if (cut) {
    out.push(
      contextLine(
        'retro_template_cut',
        `The template is cut here: longer than Slack can show here. The whole record: ${inlineCode(`rollbot timeline ${incidentId} --format md`, 150)}`,
      ),
    );
  }
  return out;
}

/**
 * The retrospective's thread message: status and due time, the template rollbot pre-filled (`incidentText`,
 * plain text), what people wrote once completed, a **Complete retrospective** button while it is open, and a
 * **Close** button per open action item (the first MAX_ITEMS_SHOWN; the rest counted). Within Slack's limits
 * whatever people typed.
 */
export function retroMessage(
  retro: Retrospective,
  incidentText: string,
): { text: string; blocks: KnownBlock[] } {
  const done = retro.completedAt !== undefined;
  const name = `*${escapeLine(retro.incidentId, 100)}* (${escapeLine(retro.model, 100)})`;
  const status = done ? 'completed' : `due ${slackDate(retro.dueAt)}`;
  const head = section('retro_head', `📝 *Blameless retrospective* for ${name}: ${status}`);
  const blocks: KnownBlock[] = [];
  if (done) blocks.push(section('retro_completed', completedText(retro)));
  else {
    blocks.push({
      type: 'actions',
      block_id: 'retro_actions',
      elements: [
        button(
          ACTIONS.completeRetro,
          'Complete retrospective',
          actionValue({ incidentId: retro.incidentId, model: retro.model }),
          'primary',
        ),
      ],
    });
  }
  const open = openItems(retro);
  const closed = retro.actionItems.length - open.length;
  if (retro.actionItems.length > 0) {
    const summary = `*Action items*: ${open.length} open, ${closed} closed${open.length ? ` — open ones block the next deployment of ${escapeLine(retro.model, 100)}` : ''}`;
    blocks.push(section('retro_items_head', summary));
    open.slice(0, MAX_ITEMS_SHOWN).forEach((item, index) => blocks.push(itemBlock(retro, item, index)));
    if (open.length > MAX_ITEMS_SHOWN) {
      blocks.push(
        contextLine(
          'retro_items_more',
          `+${open.length - MAX_ITEMS_SHOWN} more open action items (see ${inlineCode(`rollbot timeline ${retro.incidentId}`, 120)})`,
        ),
      );
    }
  }
  const text = truncate(
    `Retrospective for ${retro.incidentId} (${retro.model}): ${done ? 'completed' : `due ${new Date(retro.dueAt).toISOString()}`}`,
    LIMITS.fallbackText,
  );
  // The template takes what the rest leaves of the message: what people wrote and the items are bounded above.
  const template = incidentText.trim()
    ? templateBlocks(
        retro.incidentId,
        incidentText,
        LIMITS.messageText - textLength([head, ...blocks]),
        LIMITS.messageBlocks - blocks.length - 1,
      )
    : [];
  return { text, blocks: [head, ...template, ...blocks] };
}

function textInput(
  ids: { block: string; action: string },
  label: string,
  options: { optional?: boolean; hint?: string; placeholder?: string; initial?: string },
): InputBlock {
  const block: InputBlock = {
    type: 'input',
    block_id: ids.block,
    label: { type: 'plain_text', text: label },
    optional: options.optional ?? false,
    element: {
      type: 'plain_text_input',
      action_id: ids.action,
      multiline: true,
      max_length: 3000,
      ...(options.placeholder
        ? { placeholder: { type: 'plain_text', text: truncate(options.placeholder, LIMITS.placeholder) } }
        : {}),
    },
  };
  if (options.hint) block.hint = { type: 'plain_text', text: truncate(options.hint, LIMITS.inputLabel) };
  return block;
}

/** The modal's blocks other than the template's: the intro and the four inputs. */
const MODAL_OTHER_BLOCKS = 5;

/**
 * The "Complete retrospective" modal: rollbot's pre-filled template for reference, then root cause (required),
 * went well, went badly and action items (`owner | what | YYYY-MM-DD`, one per line). The template is shown whole,
 * as the thread's message shows it (`templateBlocks`, as much of it as a message may carry): it was once cut at
 * 2,800 characters, losing its end (the timings, the notes people added) without a word.
 */
export function retroModal(input: { incidentId: string; model: string; template: string }): ModalView {
  const intro = `Blameless retrospective of *${escapeLine(input.incidentId, 150)}* (${escapeLine(input.model, 150)}). Describe systems and decisions, not people.`;
  return {
    type: 'modal',
    callback_id: VIEWS.retro,
    title: { type: 'plain_text', text: 'Retrospective' },
    submit: { type: 'plain_text', text: 'Complete' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: actionValue({ incidentId: input.incidentId, model: input.model }),
    blocks: [
      section('retro_intro', intro),
      ...templateBlocks(
        input.incidentId,
        input.template || 'nothing recorded',
        LIMITS.messageText,
        LIMITS.modalBlocks - MODAL_OTHER_BLOCKS,
      ),
      textInput(INPUTS.rootCause, 'Root cause', {
        placeholder: 'What caused it? "Unknown yet: <what we checked>" is an answer.',
      }),
      textInput(INPUTS.wentWell, 'What went well', { optional: true }),
      textInput(INPUTS.wentBadly, 'What went badly', { optional: true }),
      textInput(INPUTS.actionItems, 'Action items', {
        optional: true,
        placeholder: '<@U012ABC> | add a canary gate for accuracy | 2026-12-15',
        hint: `One per line: ${ACTION_ITEM_FORMAT}. The date is optional (default: 14 days). Open items block the next deployment.`,
      }),
    ],
  };
}
