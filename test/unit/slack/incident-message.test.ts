import type { ActionsBlock, Button, KnownBlock, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { acknowledge, decide } from '../../../src/core/incident.js';
import type { IncidentView } from '../../../src/engine/views.js';
import { ACTIONS } from '../../../src/slack/ids.js';
import {
  checkLine,
  incidentMessage,
  MAX_CHECK_ROWS,
  outcomeText,
  versionsText,
} from '../../../src/slack/blocks/incident-message.js';
import { expectWithinSlackLimits } from '../../helpers/block-limits.js';
import { T0 } from '../../helpers/incidents.js';
import {
  BROKEN,
  brokenView,
  check,
  flattened,
  HOSTILE,
  hostileView,
  MINUTE,
  resolvedIncident,
  stormed,
  triaged,
  viewAt,
} from './fixtures.js';

const CONTEXT = { channel: 'C0FRAUD01', owner: '@fraud-ml', escalation: ['S0PLATFORM', 'U0BOB'] };

function block<T extends KnownBlock>(blocks: KnownBlock[], blockId: string): T {
  const found = blocks.find((b) => b.block_id === blockId);
  if (!found) throw new Error(`no block ${blockId}`);
  return found as T;
}
const sectionText = (blocks: KnownBlock[], id: string) => block<SectionBlock>(blocks, id).text?.text ?? '';
const buttons = (blocks: KnownBlock[]) =>
  blocks.filter((b): b is ActionsBlock => b.type === 'actions').flatMap((b) => b.elements as Button[]);

describe('incidentMessage', () => {
  it('shows a fresh SEV-1 incident with its triage, checklist and four buttons', () => {
    const message = incidentMessage(viewAt(triaged(), 4), CONTEXT, T0 + 4 * MINUTE);
    expectWithinSlackLimits(message);
    expect(message.text).toBe('SEV-1 INC-7 fraud-scorer: fraud-scorer error rate 0.079 &gt; 0.02');
    const header = block<KnownBlock & { text: { text: string } }>(message.blocks, 'incident_header');
    expect(header.text.text).toBe('🔴 SEV-1 fraud-scorer · INC-7 · triage');

    const triage = sectionText(message.blocks, 'incident_triage');
    expect(triage).toContain('*Triage* (breach): error rate 0.079 &gt; 0.02 for 3 of 3 measurements');
    // Failing checks first, each with its value, threshold, verdict and trend.
    expect(triage.split('\n')[1]).toBe('❌ *error rate* 0.079 (≤ 0.02) FAIL ▁▁▂▃▅▇█ rising over 15m');
    expect(triage).toContain('✅ *p99 latency* 0.12 (≤ 0.25) PASS');

    const checklist = sectionText(message.blocks, 'incident_checklist').split('\n');
    expect(checklist).toEqual([
      '*Runbook*',
      '✓ *detect* 1m / 5m',
      // The countdown is as of rendering; the due time is a Slack date that stays true.
      '⏳ *triage* 4m / 10m (6m left, due <!date^1700000600^{date_short_pretty} {time}|2023-11-14T22:23:20.000Z>)',
      '· *rollback* — / 15m',
      '· *confirm* — / 30m',
      '· *retro* — / 5d',
    ]);

    const all = buttons(message.blocks);
    expect(all.map((b) => b.action_id)).toEqual([
      ACTIONS.acknowledge,
      ACTIONS.rollback,
      ACTIONS.notRollback,
      ACTIONS.runbook,
    ]);
    expect(all.map((b) => b.text.text)).toEqual(['Acknowledge', 'Roll back', 'Not a rollback', 'Runbook']);
    expect(all.find((b) => b.action_id === ACTIONS.rollback)?.style).toBe('danger');
    for (const b of all)
      expect(JSON.parse(b.value ?? '')).toEqual({ incidentId: 'INC-7', model: 'fraud-scorer' });

    const fields = block<SectionBlock>(message.blocks, 'incident_fields').fields?.map((f) => f.text) ?? [];
    expect(fields).toContain('*Escalation*\n<!subteam^S0PLATFORM> <@U0BOB>');
    expect(fields).toContain('*Owner*\n@fraud-ml');
    expect(fields).toContain('*Acknowledged by*\n_nobody yet_');
  });

  it('marks a missed target ✗, drops Acknowledge once acknowledged and Not a rollback once decided', () => {
    let incident = acknowledge(triaged(), 'U0ALICE', T0 + MINUTE) ?? triaged();
    incident = decide(incident, {
      kind: 'rollback',
      by: 'U0ALICE',
      at: T0 + 12 * MINUTE,
      reason: 'bad',
      trigger: 'slack',
    });
    const message = incidentMessage(viewAt(incident, 30), CONTEXT, T0 + 30 * MINUTE);
    expectWithinSlackLimits(message);
    const checklist = sectionText(message.blocks, 'incident_checklist');
    expect(checklist).toContain('✗ *triage* 12m / 10m (missed)');
    expect(checklist).toContain('✗ *rollback* 18m / 15m (3m over)');
    expect(checklist).toContain(
      '⏳ *confirm* 18m / 30m (12m left, due <!date^1700002520^{date_short_pretty} {time}|2023-11-14T22:55:20.000Z>)',
    );
    expect(buttons(message.blocks).map((b) => b.action_id)).toEqual([ACTIONS.rollback, ACTIONS.runbook]);
    const fields = block<SectionBlock>(message.blocks, 'incident_fields').fields?.map((f) => f.text) ?? [];
    expect(fields.find((f) => f.startsWith('*Acknowledged by*'))).toMatch(
      /^\*Acknowledged by\*\n<@U0ALICE> <!date\^/,
    );
  });

  it('shows the outcome instead of buttons once resolved, with the versions rolled between', () => {
    const message = incidentMessage(
      viewAt(resolvedIncident(), 20),
      { ...CONTEXT, watchNote: 'retro due in 5d' },
      T0,
    );
    expectWithinSlackLimits(message);
    expect(buttons(message.blocks)).toEqual([]);
    expect(sectionText(message.blocks, 'incident_outcome')).toMatch(
      /^✅ \*Resolved\* <!date\^\d+\^.*12m after opening; rollback succeeded/,
    );
    const fields = block<SectionBlock>(message.blocks, 'incident_fields').fields?.map((f) => f.text) ?? [];
    expect(fields[0]).toBe(
      '*Versions*\n`fraud-scorer-00042` → `fraud-scorer-00041` (traffic-flip, succeeded)',
    );
    expect(JSON.stringify(message.blocks)).toContain('👀 retro due in 5d');
  });

  it('counts every alert of a storm, not only the ones the incident keeps', () => {
    const message = incidentMessage(viewAt(stormed(triaged(), 141), 4), CONTEXT, T0 + 4 * MINUTE);
    expect(JSON.stringify(message.blocks)).toContain('· 141 alerts');
    const single = incidentMessage(viewAt(triaged(), 4), CONTEXT, T0 + 4 * MINUTE);
    expect(JSON.stringify(single.blocks)).toContain('· 1 alert');
  });

  it('shows a check value in its unit', () => {
    expect(checkLine(check({ threshold: '≤ 2%', unit: 'ratio' }))).toBe(
      '❌ *error rate* 7.9% (≤ 2%) FAIL ▁▁▂▃▅▇█ rising over 15m',
    );
    expect(checkLine(check({ value: 0.4128, threshold: '≤ 250ms', unit: 'seconds' }))).toContain(
      '412.8ms (≤ 250ms)',
    );
  });

  it('marks a check whose answer Prometheus flagged as partial, its warning escaped and short', () => {
    const warnings = ['remote read <!channel> & <https://evil.test|slack.com> failed', 'limit'];
    expect(checkLine(check({ warnings }))).toBe(
      '❌ *error rate* 0.079 (≤ 0.02) FAIL ▁▁▂▃▅▇█ rising over 15m ⚠️ partial answer: "remote read &lt;!channel&gt; &amp; &lt;https://evil.test|slack.com&gt; failed" (+1 more)',
    );
    const long = checkLine(check({ warnings: [`<!here> ${'&'.repeat(2000)}`] }));
    expect(long.length).toBeLessThan(300);
    expect(long).not.toMatch(/&[a-z]*…/); // no entity cut in half
    expect(long).not.toContain('<!here>');
  });

  it('shows a check from a record kept before warnings were, as before', () => {
    const { warnings: _none, ...old } = check({ warnings: ['x'] });
    expect(checkLine(old)).toBe('❌ *error rate* 0.079 (≤ 0.02) FAIL ▁▁▂▃▅▇█ rising over 15m');
  });

  it('links the runbook’s dashboards and the alert’s source under the summary, safely', () => {
    const view = { ...viewAt(triaged(), 1), sourceUrl: 'http://prometheus.test/graph?g0.expr=a|b>c' };
    const links = [{ name: 'Grafana <board>', url: 'https://grafana.test/d/fraud' }];
    const message = incidentMessage(view, { ...CONTEXT, links }, T0);
    const line = (message.blocks[3] as { elements: { text: string }[] }).elements[0]?.text;
    expect(message.blocks[3]?.block_id).toBe('incident_links');
    expect(line).toBe(
      '🔗 <https://grafana.test/d/fraud|Grafana &lt;board&gt;> · <http://prometheus.test/graph?g0.expr=a%7Cb%3Ec|alert source>',
    );
    const without = incidentMessage(viewAt(triaged(), 1), CONTEXT, T0);
    expect(without.blocks.some((b) => b.block_id === 'incident_links')).toBe(false);
  });

  it("shows an alert's summary on one line, so that a line break in it cannot pose as a line of rollbot's", () => {
    const summary = 'error rate up\n✅ *Resolved* by <@U0ALICE>\r\n*Decision*: none';
    const message = incidentMessage(viewAt({ ...triaged(), summary }, 4), CONTEXT, T0);
    const shown = 'error rate up ✅ *Resolved* by &lt;@U0ALICE&gt; *Decision*: none';
    expect(sectionText(message.blocks, 'incident_summary')).toBe(shown);
    expect(message.text).toBe(`SEV-1 INC-7 fraud-scorer: ${shown}`);
  });

  it("keeps all outside text on rollbot's lines, where a line break in it could pose as a check, a field or an outcome", () => {
    const view = brokenView();
    const context = {
      ...CONTEXT,
      owner: `@fraud-ml ${BROKEN}`,
      watchNote: `watching ${BROKEN}`,
      links: [{ name: `Grafana ${BROKEN}`, url: 'https://grafana.test/d/fraud' }],
    };
    expect(incidentMessage(view, context, T0)).toEqual(
      incidentMessage(flattened(view), flattened(context), T0),
    );
    const dismissed: IncidentView = {
      ...view,
      phase: 'dismissed',
      open: false,
      decision: {
        kind: 'not-rollback',
        by: 'U0ALICE',
        at: T0,
        reason: `noise ${BROKEN}`,
        trigger: 'slack',
      },
    };
    expect(outcomeText(dismissed)).toBe(outcomeText(flattened(dismissed)));
  });

  it("shows a check's error and a rollback's error on the line they belong to", () => {
    const error = 'timeout\n✅ *p99 latency* 0.12 (≤ 0.25) PASS';
    expect(checkLine(check({ verdict: 'ERROR', error }))).toBe(
      '⚠️ *error rate* error: timeout ✅ *p99 latency* 0.12 (≤ 0.25) PASS (≤ 0.02) ERROR ▁▁▂▃▅▇█ rising over 15m',
    );
    const view = viewAt(resolvedIncident(), 20);
    if (!view.rollback) throw new Error('fixture: the resolved incident has a rollback');
    const failed: IncidentView = {
      ...view,
      rollback: { ...view.rollback, status: 'failed', error: 'HTTP 500\n*Owner*' },
    };
    expect(versionsText(failed)).toBe(
      '`fraud-scorer-00042` → `fraud-scorer-00041` (traffic-flip, failed: HTTP 500 *Owner*)',
    );
  });

  it('keeps a backtick in a version inside its code span', () => {
    const view = viewAt(resolvedIncident(), 20);
    if (!view.rollback) throw new Error('fixture: the resolved incident has a rollback');
    const plan = { ...view.rollback.plan, from: 'v42` *Owner* `x', to: 'v41`' };
    expect(versionsText({ ...view, rollback: { ...view.rollback, plan } })).toBe(
      '`v42ˋ *Owner* ˋx` → `v41ˋ` (traffic-flip, succeeded)',
    );
  });

  it('labels drills', () => {
    const message = incidentMessage({ ...viewAt(triaged(), 1), drill: true }, CONTEXT, T0);
    expect(message.text.startsWith('[DRILL] SEV-1 INC-7')).toBe(true);
    expect(JSON.stringify(message.blocks[0])).toContain('🧪 DRILL');
  });

  it('stays within every Slack limit with hostile input', () => {
    const view = hostileView();
    const context = {
      channel: 'C1',
      owner: 'x'.repeat(5000),
      escalation: Array.from({ length: 300 }, (_, i) => `U${i}XYZ`),
      watchNote: 'w'.repeat(10_000),
      links: Array.from({ length: 5 }, (_, i) => ({
        name: HOSTILE.slice(0, 40),
        url: `https://x.test/${i}${'|>'.repeat(990)}`,
      })),
    };
    const message = incidentMessage(
      { ...view, sourceUrl: `https://x.test/${'y'.repeat(1990)}` },
      context,
      T0,
    );
    expectWithinSlackLimits(message);
    const triage = sectionText(message.blocks, 'incident_triage');
    expect(triage.split('\n').length).toBeLessThanOrEqual(MAX_CHECK_ROWS + 2);
    expect(triage).toMatch(/\+\d+ more checks$/);
    // Outside text never becomes a live mention.
    expect(JSON.stringify(message)).not.toContain('<!channel>');
    expect(JSON.stringify(block(message.blocks, 'incident_fields'))).toMatch(/\+\d+ more/);
  });
});
