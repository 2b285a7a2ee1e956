import type { ActionsBlock, Button } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { IncidentEvent } from '../../../src/engine/notifier-port.js';
import { decisionRequest } from '../../../src/slack/blocks/decision-request.js';
import { LIMITS } from '../../../src/slack/blocks/limits.js';
import { mention, mentionIds, threadLine } from '../../../src/slack/blocks/thread.js';
import { ACTIONS } from '../../../src/slack/ids.js';
import { expectWithinSlackLimits } from '../../helpers/block-limits.js';
import { BROKEN, flattened, HOSTILE, TRIAGE, triaged } from './fixtures.js';

const buttons = (blocks: { type: string }[]) =>
  blocks.filter((b): b is ActionsBlock => b.type === 'actions').flatMap((b) => b.elements as Button[]);

describe('mention', () => {
  it('renders users, user groups and channels, and anything else as inert text', () => {
    expect(mention('U024BE7LH')).toBe('<@U024BE7LH>');
    expect(mention('W0ENTERPRISE')).toBe('<@W0ENTERPRISE>');
    expect(mention('S0614TZR7')).toBe('<!subteam^S0614TZR7>');
    expect(mention('C0FRAUD01')).toBe('<#C0FRAUD01>');
    expect(mention('<!here>')).toBe('&lt;!here&gt;');
  });
});

describe('mentionIds', () => {
  it('writes each of the IDs standing as a word as a mention, and nothing else', () => {
    const text =
      'U0BO may not roll back: the runbook allows U0ANA, S0ONCALL1; S0ONCALL1 unchecked (U0ANAX, xU0ANA)';
    expect(mentionIds(text, ['U0ANA', 'S0ONCALL1', 'C0FRAUD01', 'ops-lead'])).toBe(
      'U0BO may not roll back: the runbook allows <@U0ANA>, <!subteam^S0ONCALL1>; <!subteam^S0ONCALL1> unchecked (U0ANAX, xU0ANA)',
    );
  });

  it('leaves a mention that is one already, and text without the IDs, as it is', () => {
    expect(mentionIds('by <@U0ANA> and <!subteam^S0ONCALL1>', ['U0ANA', 'S0ONCALL1'])).toBe(
      'by <@U0ANA> and <!subteam^S0ONCALL1>',
    );
    expect(mentionIds('nobody here', [])).toBe('nobody here');
  });
});

describe('decisionRequest', () => {
  const base = { model: 'fraud-scorer', incidentId: 'INC-7', text: 'No data from Prometheus: decide.' };

  it('offers Roll back and Not a rollback of its own (told apart from the incident message’s), naming who may decide', () => {
    const message = decisionRequest({ ...base, policy: 'approve', approvers: ['U0ALICE', 'S0ONCALL1'] });
    expectWithinSlackLimits(message);
    expect(message.text).toContain('INC-7 fraud-scorer: No data from Prometheus');
    expect(JSON.stringify(message.blocks)).toContain('Who may decide: <@U0ALICE> <!subteam^S0ONCALL1>');
    const all = buttons(message.blocks);
    expect(all.map((b) => b.action_id)).toEqual([ACTIONS.decisionRollback, ACTIONS.decisionNotRollback]);
    for (const b of all)
      expect(JSON.parse(b.value ?? '')).toEqual({ model: 'fraud-scorer', incidentId: 'INC-7' });
  });

  it('offers only Approve rollback under the two-person rule; anyone may when no approvers are set', () => {
    const message = decisionRequest({ ...base, policy: 'two-person', approvers: [] });
    expectWithinSlackLimits(message);
    const all = buttons(message.blocks);
    expect(all.map((b) => b.action_id)).toEqual([ACTIONS.approve]);
    expect(all[0]?.text.text).toBe('Approve rollback');
    expect(JSON.stringify(message.blocks)).toContain('anyone in this channel');
  });

  it("keeps the engine's text on its line, where a reason's line break could pose as the two-person rule", () => {
    const text = `rollback of fraud-scorer requested by U0ANA: p99 ${BROKEN}. Two-person rule: a different approver must approve`;
    const message = decisionRequest({ ...base, text, policy: 'two-person', approvers: [`@lead ${BROKEN}`] });
    expect(message).toEqual(
      decisionRequest({
        ...base,
        text: flattened(text),
        policy: 'two-person',
        approvers: [flattened(`@lead ${BROKEN}`)],
      }),
    );
  });

  it('stays within every limit with hostile input', () => {
    const approvers = Array.from({ length: 500 }, (_, i) => (i % 2 ? `U${i}ABC` : `S${i}ABC`));
    const message = decisionRequest({
      model: HOSTILE,
      incidentId: HOSTILE,
      text: HOSTILE,
      policy: 'approve',
      approvers,
    });
    expectWithinSlackLimits(message);
    expect(JSON.stringify(message.blocks)).toMatch(/\+\d+ more/);
  });
});

describe('threadLine', () => {
  const incident = triaged();
  const channel = 'C0FRAUD01';

  it('writes one line for updates, triage and escalations, none for the opening or decision requests', () => {
    const events: IncidentEvent[] = [
      { type: 'incident.opened', incident, channel },
      { type: 'decision.requested', incident, channel, text: 'decide', approvers: [], policy: 'approve' },
    ];
    for (const event of events) expect(threadLine(event)).toBeUndefined();
    expect(threadLine({ type: 'incident.updated', incident, channel, text: 'traffic on v41 <3' })).toBe(
      'ℹ️ traffic on v41 &lt;3',
    );
    expect(threadLine({ type: 'triage.completed', incident, channel, triage: TRIAGE })).toBe(
      '🔎 Triage (breach): error rate 0.079 &gt; 0.02 for 3 of 3 measurements',
    );
    const escalation = threadLine({
      type: 'escalation',
      incident,
      channel,
      stage: 'triage',
      mention: ['S0PLATFORM', 'U0BOB'],
      text: 'triage target of 10m missed',
    });
    expect(escalation).toBe(
      '⏰ <!subteam^S0PLATFORM> <@U0BOB> *triage* is over its target: triage target of 10m missed',
    );
    // Not every escalation is a missed target: a failed rollback says what happened, and only that.
    const failed = threadLine({
      type: 'escalation',
      incident,
      channel,
      stage: 'rollback',
      about: 'rollback-failed',
      mention: ['S0PLATFORM'],
      text: 'rollback of fraud-scorer to v41 FAILED: HTTP 500; decide now.',
    });
    expect(failed).toBe(
      '⏰ <!subteam^S0PLATFORM> *rollback*: rollback of fraud-scorer to v41 FAILED: HTTP 500; decide now.',
    );
  });

  it('mentions the people an update names (a retrospective reminder), as escalations do', () => {
    const text = '@fraud-ml: retrospective for INC-7 (fraud-scorer) is OVERDUE by 1d';
    expect(
      threadLine({ type: 'incident.updated', incident, channel, text, mention: ['S0FRAUDML', 'U0ANA'] }),
    ).toBe(`ℹ️ <!subteam^S0FRAUDML> <@U0ANA> ${text}`);
    // Nobody named: the line it always was.
    expect(threadLine({ type: 'incident.updated', incident, channel, text, mention: [] })).toBe(`ℹ️ ${text}`);
  });

  it('is one line whatever line breaks the text it quotes carries', () => {
    const events = [
      { type: 'incident.updated', incident, channel, text: `rollback failed: HTTP 500 ${BROKEN}` },
      { type: 'triage.completed', incident, channel, triage: { ...TRIAGE, summary: `breach ${BROKEN}` } },
      { type: 'escalation', incident, channel, stage: 'rollback', mention: [`@sre ${BROKEN}`], text: BROKEN },
    ] satisfies IncidentEvent[];
    for (const event of events) {
      expect(threadLine(event)).toBe(threadLine(flattened(event)));
      expect(threadLine(event)).not.toMatch(/[\r\n]/);
    }
  });

  it('says so when there is no one to escalate to, and stays within the text limit', () => {
    const empty = threadLine({
      type: 'escalation',
      incident,
      channel,
      stage: 'confirm',
      mention: [],
      text: 'x',
    });
    expect(empty).toContain('no one to escalate to');
    const mention = Array.from({ length: 400 }, () => HOSTILE.slice(0, 200));
    for (const event of [
      { type: 'incident.updated', incident, channel, text: HOSTILE },
      { type: 'incident.updated', incident, channel, text: HOSTILE, mention },
      { type: 'triage.completed', incident, channel, triage: { ...TRIAGE, summary: HOSTILE } },
      { type: 'escalation', incident, channel, stage: 'retro', mention, text: HOSTILE },
    ] satisfies IncidentEvent[]) {
      const line = threadLine(event) ?? '';
      expect(line.length).toBeGreaterThan(0);
      expect(line.length).toBeLessThanOrEqual(LIMITS.fallbackText);
      expect(line).not.toContain('<!channel>');
    }
  });
});
