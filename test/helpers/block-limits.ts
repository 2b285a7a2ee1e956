/**
 * One checker for every Block Kit payload rollbot builds: walks a message (`{text, blocks}`) or a modal view and
 * lists every Slack limit it breaks (shared/reference/slack-platform.md §4). Tests call
 * `expectWithinSlackLimits(payload)`; `slackLimitProblems` is exported so the checker itself can be tested.
 */
import { expect } from 'vitest';
import { LIMITS } from '../../src/slack/blocks/limits.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const textOf = (value: unknown): string | undefined =>
  isObject(value) && typeof value.text === 'string' ? value.text : undefined;
// A lone surrogate (half an emoji) makes the text invalid UTF-8 on the wire.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  return isObject(value) ? Object.values(value).flatMap(strings) : [];
}

/** Every broken limit, as `where: what` lines; empty when the payload is fine. */
export function slackLimitProblems(payload: unknown): string[] {
  const problems: string[] = [];
  const fail = (where: string, what: string): void => {
    problems.push(`${where}: ${what}`);
  };
  if (!isObject(payload)) return ['payload: not an object'];
  const blockIds = new Set<string>();
  const actionIds = new Set<string>();
  let totalText = 0;

  const text = (where: string, value: unknown, max: number, required = true): void => {
    const content = textOf(value);
    if (content === undefined) {
      if (required || value !== undefined) fail(where, 'missing text object');
      return;
    }
    totalText += content.length;
    if (content.length < 1) fail(where, 'empty text');
    if (content.length > max) fail(where, `${content.length} characters > ${max}`);
  };
  const id = (where: string, value: unknown, seen: Set<string>): void => {
    if (value === undefined) return;
    if (typeof value !== 'string' || value.length < 1 || value.length > LIMITS.id)
      fail(where, `bad id ${String(value)}`);
    else if (seen.has(value)) fail(where, `duplicate id ${value}`);
    else seen.add(value);
  };
  const element = (where: string, value: unknown): void => {
    if (!isObject(value)) return fail(where, 'element is not an object');
    id(`${where}.action_id`, value.action_id, actionIds);
    if (value.type === 'button') {
      text(`${where}.text`, value.text, LIMITS.buttonText);
      if (typeof value.value === 'string' && value.value.length > LIMITS.buttonValue)
        fail(where, 'button value too long');
    } else if (value.type === 'plain_text_input') {
      text(`${where}.placeholder`, value.placeholder, LIMITS.placeholder, false);
      if (typeof value.max_length === 'number' && value.max_length > 3000) fail(where, 'max_length > 3000');
    } else if (value.type === 'checkboxes') {
      const options = list(value.options);
      if (options.length < 1 || options.length > 10) fail(where, `${options.length} options`);
      options.forEach((option, i) => {
        text(`${where}.options[${i}]`, isObject(option) ? option.text : undefined, LIMITS.optionText);
        const optionValue = isObject(option) ? option.value : undefined;
        if (typeof optionValue !== 'string' || optionValue.length > LIMITS.optionValue)
          fail(where, 'bad option value');
      });
    } else fail(where, `unchecked element type ${String(value.type)}`);
  };

  const modal = payload.type === 'modal';
  const blocks = list(payload.blocks);
  const maxBlocks = modal ? LIMITS.modalBlocks : LIMITS.messageBlocks;
  if (blocks.length < 1 || blocks.length > maxBlocks)
    fail('blocks', `${blocks.length} blocks (1…${maxBlocks})`);
  blocks.forEach((block, i) => {
    const where = `blocks[${i}]`;
    if (!isObject(block)) return fail(where, 'not an object');
    id(`${where}.block_id`, block.block_id, blockIds);
    switch (block.type) {
      case 'header':
        return text(`${where}.text`, block.text, LIMITS.headerText);
      case 'divider':
        return;
      case 'section': {
        const fields = list(block.fields);
        if (block.text === undefined && fields.length === 0) fail(where, 'section without text or fields');
        text(`${where}.text`, block.text, LIMITS.sectionText, false);
        if (fields.length > LIMITS.fields) fail(where, `${fields.length} fields > ${LIMITS.fields}`);
        fields.forEach((f, j) => text(`${where}.fields[${j}]`, f, LIMITS.fieldText));
        if (block.accessory !== undefined) element(`${where}.accessory`, block.accessory);
        return;
      }
      case 'context': {
        const elements = list(block.elements);
        if (elements.length < 1 || elements.length > LIMITS.contextElements)
          fail(where, `${elements.length} elements`);
        return elements.forEach((e, j) => text(`${where}.elements[${j}]`, e, LIMITS.sectionText));
      }
      case 'actions': {
        const elements = list(block.elements);
        if (elements.length < 1 || elements.length > LIMITS.actionsElements)
          fail(where, `${elements.length} elements`);
        return elements.forEach((e, j) => element(`${where}.elements[${j}]`, e));
      }
      case 'input':
        if (!modal) fail(where, 'input block outside a modal');
        text(`${where}.label`, block.label, LIMITS.inputLabel);
        text(`${where}.hint`, block.hint, LIMITS.inputLabel, false);
        return element(`${where}.element`, block.element);
      default:
        return fail(where, `unchecked block type ${String(block.type)}`);
    }
  });

  if (modal) {
    text('title', payload.title, LIMITS.modalText);
    text(
      'submit',
      payload.submit,
      LIMITS.modalText,
      blocks.some((b) => isObject(b) && b.type === 'input'),
    );
    text('close', payload.close, LIMITS.modalText, false);
    if (typeof payload.callback_id !== 'string' || payload.callback_id.length > LIMITS.id)
      fail('callback_id', 'bad');
    const metadata = payload.private_metadata;
    if (typeof metadata !== 'string' || metadata.length > LIMITS.privateMetadata)
      fail('private_metadata', 'too long');
    else if (metadata !== '') {
      try {
        JSON.parse(metadata);
      } catch {
        fail('private_metadata', 'not JSON');
      }
    }
  } else {
    const fallback = payload.text;
    if (typeof fallback !== 'string' || fallback.length < 1 || fallback.length > LIMITS.fallbackText) {
      fail('text', `fallback text must be 1…${LIMITS.fallbackText} characters`);
    }
    if (totalText > LIMITS.messageText)
      fail('blocks', `${totalText} characters of text > ${LIMITS.messageText}`);
  }
  // JSON.stringify would escape a lone surrogate and hide it, so every string is tested as it is.
  if (strings(payload).some((value) => LONE_SURROGATE.test(value))) fail('payload', 'half a surrogate pair');
  return problems;
}

/** Fails the test, listing every problem, when the message or modal breaks a Slack limit. */
export function expectWithinSlackLimits(messageOrView: unknown): void {
  expect(slackLimitProblems(messageOrView)).toEqual([]);
}
