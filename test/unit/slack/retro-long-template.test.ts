/**
 * The retrospective's opening post carries the whole template rollbot pre-filled (stages against targets, decisions,
 * impact, the notes people added): a long one is spread over several code blocks of the same message, within
 * Slack's limits, every line of it reaching Slack in order; one too long even for that says where it was cut. The
 * "Complete retrospective" modal shows it the same way: people fill in the form looking at all of it.
 */
import { describe, expect, it } from 'vitest';
import type { Retrospective } from '../../../src/core/retro.js';
import type { NotifierEvent } from '../../../src/engine/notifier-port.js';
import { RunbookSet } from '../../../src/engine/runbook-set.js';
import { retroMessage, retroModal } from '../../../src/slack/blocks/retro.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';
import { expectWithinSlackLimits } from '../../helpers/block-limits.js';
import { makeIncident } from '../../helpers/incidents.js';
import { opened, setupNotifier, slackAnsweredByNock } from '../../helpers/notifier.js';

slackAnsweredByNock();

const T = Date.parse('2026-11-22T02:00:00Z');
const retro: Retrospective = {
  incidentId: 'INC-7',
  model: 'fraud-scorer',
  openedAt: T,
  dueAt: T + 48 * 3_600_000,
  actionItems: [],
  remindersSent: [],
};

/** A template as long as rollbot's gets (~3,400 characters): its last lines are the notes and their count. */
const LONG = [
  `Blameless retrospective for INC-7 is open, due 2026-11-24T02:00:00Z (in 2d). ${'Fill in what rollbot cannot know. '.repeat(8)}`,
  '',
  `Retrospective: INC-7 fraud-scorer, severity SEV-2`,
  `Trigger: ModelAccuracyDrop from alertmanager: ${'accuracy dropped below 0.92 on the EU shard '.repeat(8)}`,
  'Stages against targets:',
  '- detect: 1m against 5m, met',
  '- triage: 4m against 10m, met',
  '- rollback: 2m against 5m, met',
  '- confirm: 12m against 15m, met',
  `Decision: rollback by U0ONCALL (slack): ${'v2 is worse than v1 on every shard & region '.repeat(6)}`,
  `Rollback: v2 → v1 on kserve ml-prod/fraud-scorer (traffic-flip), attempt 1, succeeded in 40s`,
  'Impact (estimate): about 1200 excess failed requests over 20m (check "error rate")',
  '',
  'Notes from the timeline:',
  ...Array.from(
    { length: 5 },
    (_, i) => `- 2026-11-22T02:0${i}:00Z U0ANA: note ${i + 1} ${'<feature store> stale '.repeat(12)}`,
  ),
  '+3 more notes: `rollbot timeline INC-7` shows them all',
].join('\n');

/** The mrkdwn of the message's template code blocks, in order, fences off and escapes undone. */
function templateShown(blocks: unknown[]): string {
  return (blocks as { block_id?: string; text?: { text?: string } }[])
    .filter((block) => block.block_id?.startsWith('retro_template'))
    .map((block) => (block.text?.text ?? '').replace(/^```|```$/g, ''))
    .join('\n')
    .replace(/ˋ/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

describe('the retrospective post of a long template', () => {
  it('carries every line of it, in order, within Slack limits', () => {
    expect(LONG.length).toBeGreaterThan(3_000);
    const message = retroMessage(retro, LONG);
    expectWithinSlackLimits(message);
    expect(templateShown(message.blocks)).toBe(LONG);
  });

  it('reaches Slack whole in the thread', async () => {
    const { notifier, slack, calls, run, failures } = setupNotifier({
      renderer: createSlackRenderer(new RunbookSet([])),
    });
    const incident = makeIncident({ id: 'INC-7' });
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await run();
    const event: NotifierEvent = { type: 'retro.opened', incident, channel: 'C0FRAUD01', retro, text: LONG };
    slack('chat.update');
    slack('chat.postMessage');
    await notifier.notify(event);
    await run();
    expect(failures).toEqual([]);
    const reply = calls.find((call) => call.method === 'chat.postMessage' && call.form.thread_ts);
    const blocks = JSON.parse(reply?.form.blocks ?? '[]') as unknown[];
    expect(templateShown(blocks)).toBe(LONG);
    expect(templateShown(blocks)).toContain('+3 more notes');
  });

  it('says where it was cut, and how to see the rest, when even several blocks cannot hold it', () => {
    const huge = Array.from({ length: 400 }, (_, i) => `line ${i} ${'<&>'.repeat(10)}`).join('\n');
    const message = retroMessage(retro, huge);
    expectWithinSlackLimits(message);
    const shown = templateShown(message.blocks);
    expect(huge.startsWith(shown)).toBe(true);
    expect(JSON.stringify(message.blocks)).toMatch(/cut here.*rollbot timeline INC-7 --format md/);
  });
});

describe('the Complete retrospective modal of a long template', () => {
  it('shows every line of it, in order, above the inputs, within Slack limits', () => {
    const view = retroModal({ incidentId: 'INC-7', model: 'fraud-scorer', template: LONG });
    expectWithinSlackLimits(view);
    expect(templateShown(view.blocks)).toBe(LONG);
    // Read before the form is filled in: no part of it after the first input.
    const firstInput = view.blocks.findIndex((block) => block.type === 'input');
    expect(templateShown(view.blocks.slice(0, firstInput))).toBe(LONG);
  });

  it('says where it was cut, and how to see the rest, when even several blocks cannot hold it', () => {
    const huge = Array.from({ length: 2_000 }, (_, i) => `line ${i} ${'<&>'.repeat(10)}`).join('\n');
    const view = retroModal({ incidentId: 'INC-7', model: 'fraud-scorer', template: huge });
    expectWithinSlackLimits(view);
    expect(huge.startsWith(templateShown(view.blocks))).toBe(true);
    expect(JSON.stringify(view.blocks)).toMatch(/cut here.*rollbot timeline INC-7 --format md/);
  });
});
