import { describe, expect, it } from 'vitest';
import { deployApprovalRequest } from '../../../src/slack/blocks/deploy-approval.js';
import { LIMITS } from '../../../src/slack/blocks/limits.js';
import { ACTIONS } from '../../../src/slack/ids.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';
import { RunbookSet } from '../../../src/engine/runbook-set.js';
import { expectWithinSlackLimits } from '../../helpers/block-limits.js';
import { BROKEN, flattened, HOSTILE } from './fixtures.js';

describe('the deployment approval request', () => {
  it('carries the Approve deployment button for the deployment asked about, and names who may approve', () => {
    const message = deployApprovalRequest({
      model: 'fraud-scorer',
      text: 'A deployment of fraud-scorer is waiting for approval',
      approvers: ['U0LEAD', 'S0SRE'],
      askedFor: 'rollback:INC-1:1700000000000',
    });
    const actions = message.blocks.find((block) => block.type === 'actions');
    expect(actions).toMatchObject({
      elements: [
        {
          action_id: ACTIONS.approveDeployment,
          value: JSON.stringify({
            incidentId: '',
            model: 'fraud-scorer',
            askedFor: 'rollback:INC-1:1700000000000',
          }),
        },
      ],
    });
    expect(JSON.stringify(message.blocks)).toContain('May approve: <@U0LEAD> <!subteam^S0SRE>');
    expectWithinSlackLimits(message);
  });

  it("keeps the engine's text on its line, where a version's line break could pose as another line", () => {
    const input = {
      model: 'fraud-scorer',
      text: `A deployment of fraud-scorer is waiting for approval: first deployment after the rollback from v42 ${BROKEN}`,
      approvers: [`@lead ${BROKEN}`],
      askedFor: 'deployment:none',
    };
    expect(deployApprovalRequest(input)).toEqual(deployApprovalRequest(flattened(input)));
  });

  it('stays within Slack limits and escapes hostile text', () => {
    const message = deployApprovalRequest({
      model: HOSTILE,
      text: HOSTILE,
      approvers: [HOSTILE, HOSTILE],
      askedFor: HOSTILE,
    });
    expectWithinSlackLimits(message);
    // Shown text is escaped (the button's value is data, never rendered).
    const shown = message.blocks.filter((block) => block.type !== 'actions');
    expect(JSON.stringify([message.text, shown])).not.toContain('<!channel>');
  });

  it('is what the renderer posts for a channel message asking for approval; plain text otherwise', () => {
    const renderer = createSlackRenderer(new RunbookSet([]));
    const base = { type: 'channel.message' as const, channel: 'C0TEST0001', text: 'waiting' };
    expect(renderer.channelMessage?.(base)).toEqual({ text: 'waiting' });
    const asking = renderer.channelMessage?.({
      ...base,
      approveDeployment: { model: 'm', approvers: [], askedFor: 'deployment:none' },
    });
    expect(JSON.stringify(asking?.blocks)).toContain(ACTIONS.approveDeployment);
    expect(JSON.stringify(asking?.blocks)).toContain('anyone in this channel');
  });

  it('carries Approve rollback on a two-person request posted to the channel', () => {
    const renderer = createSlackRenderer(new RunbookSet([]));
    const message = renderer.channelMessage?.({
      type: 'channel.message',
      channel: 'C0TEST0001',
      text: 'rollback of m requested by U0ANA: p99',
      approveRollback: { model: 'm', approvers: ['U0BO'], requestedAt: 1_700_000_000_000 },
    });
    expect(message?.text).toBe('Decision needed on m: rollback of m requested by U0ANA: p99');
    // The button names the request it approves: one replacing it since is refused.
    expect(JSON.stringify(message?.blocks)).toContain(
      JSON.stringify(JSON.stringify({ incidentId: '', model: 'm', requestedAt: '1700000000000' })).slice(
        1,
        -1,
      ),
    );
    expect(JSON.stringify(message?.blocks)).toContain(ACTIONS.approve);
  });

  it('fits a long plain channel message by whole lines, counting the lines left out', () => {
    const renderer = createSlackRenderer(new RunbookSet([]));
    const lines = Array.from({ length: 40 }, (_, i) => `• line ${i} ${'& '.repeat(60)}`);
    const message = renderer.channelMessage?.({
      type: 'channel.message',
      channel: 'C0TEST0001',
      text: ['Heading', ...lines].join('\n'),
    });
    const shown = message?.text.split('\n') ?? [];
    expect(message?.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
    expect(shown[0]).toBe('Heading');
    expect(shown.at(-1)).toBe(`+${41 - (shown.length - 1)} more lines`);
    expect(shown.slice(1, -1).every((line) => line.endsWith('&amp; '))).toBe(true);
  });

  it('escapes a plain channel message, so a summary quoted in it cannot ping the channel or disguise a link', () => {
    const renderer = createSlackRenderer(new RunbookSet([]));
    const text =
      'Daily digest:\n• INC-1 m: <!channel> re-auth at <https://evil.example/login|slack.com/sso> & retry';
    expect(renderer.channelMessage?.({ type: 'channel.message', channel: 'C0TEST0001', text })).toEqual({
      text: 'Daily digest:\n• INC-1 m: &lt;!channel&gt; re-auth at &lt;https://evil.example/login|slack.com/sso&gt; &amp; retry',
    });
  });
});
