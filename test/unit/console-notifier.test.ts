import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createConsoleNotifier, render } from '../../src/console/notifier.js';
import type { NotifierEvent } from '../../src/engine/notifier-port.js';
import { makeIncident, T0 } from '../helpers/incidents.js';

const incident = makeIncident({ id: 'INC-7', model: 'fraud-scorer', at: T0 });

describe('console notifier', () => {
  it('prints an opened incident with its runbook checklist', () => {
    const text = render({ type: 'incident.opened', incident, channel: 'C0FRAUD01' }, T0 + 65_000);
    const [head, ...checklist] = text.split('\n');
    expect(head).toMatch(/^\[C0FRAUD01\] 🚨 SEV-\d INC-7 fraud-scorer: /);
    expect(checklist.map((line) => /[a-z]+/.exec(line)?.[0])).toEqual([
      'detect',
      'triage',
      'rollback',
      'confirm',
      'retro',
    ]);
    expect(checklist[1]).toMatch(/… triage +1m 5s \/ /);
  });

  it('prints the people an update names (a retrospective reminder) before its text, as escalations', () => {
    const text = '@fraud-ml: retrospective for INC-7 (fraud-scorer) is OVERDUE by 1d';
    const line = (mention: string[]) =>
      render({ type: 'incident.updated', incident, channel: 'C0FRAUD01', text, mention }, T0);
    expect(line(['S0FRAUDML', 'U0ANA'])).toMatch(
      /^\[C0FRAUD01\] ℹ️ {2}SEV-\d INC-7 fraud-scorer: @S0FRAUDML @U0ANA @fraud-ml: retrospective for INC-7/,
    );
    expect(line([])).toMatch(
      /^\[C0FRAUD01\] ℹ️ {2}SEV-\d INC-7 fraud-scorer: @fraud-ml: retrospective for INC-7/,
    );
  });

  it('prints triage with each value against its threshold and the trend', () => {
    const text = render(
      {
        type: 'triage.completed',
        incident,
        channel: 'C0FRAUD01',
        triage: {
          at: T0,
          finding: 'breach',
          summary: 'error rate 0.079 outside ≤ 0.02 for 3 of 3 measurements (3 needed)',
          checks: [
            {
              name: 'error rate',
              kind: 'error',
              value: 0.079,
              threshold: '≤ 0.02',
              outcomes: ['fail', 'fail', 'fail'],
              verdict: 'FAIL',
              trend: { sparkline: '▁▂▃▅▇', direction: 'rising', windowMs: 900_000 },
            },
            {
              name: 'p99 latency',
              kind: 'latency',
              threshold: '≤ 0.25',
              outcomes: ['error'],
              verdict: 'ERROR',
              error: 'timeout',
            },
          ],
        },
      },
      T0,
    );
    expect(text.split('\n')).toEqual([
      expect.stringMatching(
        /^\[C0FRAUD01\] 🔎 SEV-\d INC-7 fraud-scorer triage: error rate 0\.079 outside ≤ 0\.02/,
      ),
      '    FAIL         error rate 0.079 (≤ 0.02)  ▁▂▃▅▇ rising over 15m',
      '    ERROR        p99 latency error: timeout (≤ 0.25)',
    ]);
  });

  it('marks a check whose answer Prometheus flagged as partial, its warning on one line and short', () => {
    const text = render(
      {
        type: 'triage.completed',
        incident,
        channel: 'C0FRAUD01',
        triage: {
          at: T0,
          finding: 'ok',
          summary: 'no threshold breached',
          checks: [
            {
              name: 'error rate',
              kind: 'error',
              value: 0.004,
              threshold: '≤ 0.02',
              outcomes: ['pass'],
              verdict: 'PASS',
              // As a record may hold it, whatever the engine keeps: line breaks and a terminal escape.
              warnings: [`remote read\nfailed\u001b[2J ${'x'.repeat(500)}`, 'results truncated due to limit'],
            },
          ],
        },
      },
      T0,
    );
    const lines = text.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      /^ {4}PASS {9}error rate 0\.004 \(≤ 0\.02\) {2}⚠ partial answer: "remote read failed \[2J x+…" \(\+1 more\)$/,
    );
    expect(lines[1]?.split('partial answer: ')[1]?.length).toBeLessThanOrEqual(160);
  });

  it('names who must decide, and who is escalated to', () => {
    const decision = render(
      {
        type: 'decision.requested',
        incident,
        channel: 'C1',
        text: 'breach',
        approvers: ['U0A', 'S0B'],
        policy: 'two-person',
      },
      T0,
    );
    expect(decision).toMatch(
      /^\[C1\] ❓ DECISION NEEDED \(policy two-person; @U0A @S0B\) SEV-\d INC-7 fraud-scorer: breach \[decide: rollbot rollback fraud-scorer --reason "…" \| rollbot dismiss INC-7 --reason "…" --as <your Slack user ID>\]$/,
    );
    const anyone = render(
      {
        type: 'decision.requested',
        incident,
        channel: 'C1',
        text: 'breach',
        approvers: [],
        policy: 'approve',
      },
      T0,
    );
    expect(anyone).toMatch(/rollbot dismiss INC-7 --reason "…"\]$/);
    // Under policy auto a person is asked when triage could not measure: "(auto; …)" beside DECISION NEEDED read as
    // if the decision were automatic; named as the runbook's policy, it reads as the rule that did not apply.
    const auto = render(
      {
        type: 'decision.requested',
        incident,
        channel: 'C1',
        text: 'no metrics source (PROMETHEUS_URL is not set): a person decides',
        approvers: ['S0ONCALL1'],
        policy: 'auto',
      },
      T0,
    );
    expect(auto).toMatch(/^\[C1\] ❓ DECISION NEEDED \(policy auto; @S0ONCALL1\) SEV/);
    const escalation = render(
      { type: 'escalation', incident, channel: 'C1', stage: 'triage', mention: [], text: 'late' },
      T0,
    );
    expect(escalation).toMatch(/⏰ ESCALATION \(no escalation target\) SEV-\d INC-7 fraud-scorer: late$/);
  });

  it('writes one block per event to its stream', async () => {
    const out = new PassThrough();
    let written = '';
    out.on('data', (chunk: Buffer) => (written += chunk.toString()));
    await createConsoleNotifier({ out, clock: { now: () => T0 } }).notify({
      type: 'incident.updated',
      incident,
      channel: 'C1',
      text: 'rolled back',
    });
    expect(written).toMatch(/^\[C1\] ℹ️ {2}SEV-\d INC-7 fraud-scorer: rolled back\n$/);
  });

  it('writes nothing for a tick: the console is a log of what happened', async () => {
    const out = new PassThrough();
    let written = '';
    out.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const notifier = createConsoleNotifier({ out, clock: { now: () => T0 } });
    await notifier.notify({ type: 'incident.tick', incident, channel: 'C1' });
    await notifier.notify({ type: 'incident.updated', incident, channel: 'C1', text: 'rolled back' });
    expect(written.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('delivers an escalation by writing it: delivered once it is on the stream', async () => {
    const out = new PassThrough();
    let written = '';
    out.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const notifier = createConsoleNotifier({ out, clock: { now: () => T0 } });
    const delivered = await notifier.deliver({
      type: 'escalation',
      incident,
      channel: 'C1',
      stage: 'triage',
      mention: ['S0ONCALL'],
      text: 'late',
    });
    expect(delivered).toEqual({ arrived: true });
    expect(written).toMatch(/^\[C1\] ⏰ ESCALATION .*INC-7 fraud-scorer: late\n$/);
  });
});

describe('console notifier with outside text', () => {
  // What an alert, a query error or a typed reason may carry: a cursor-up-and-clear-line sequence, a carriage
  // return, a C1 CSI, a bidi override, and a line break followed by something that looks like an event.
  const HOSTILE =
    'disk \u001b[1A\u001b[2K\rfull\u009b2J \u202eevil\u202c\n[C1] ✅ SEV-1 INC-7 fraud-scorer: resolved';
  // Every character a terminal could act on, except the line feeds rollbot itself writes between lines.
  const UNPRINTABLE = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
  const printable = (text: string) => text.split('\n').every((line) => !UNPRINTABLE.test(line));

  it('prints an alert summary on its event line, without controls, keeping the checklist lines', () => {
    const hostile = makeIncident({ id: 'INC-7', model: 'fraud-scorer', at: T0, summary: HOSTILE });
    const text = render({ type: 'incident.opened', incident: hostile, channel: 'C1' }, T0);
    expect(printable(text)).toBe(true);
    const [head, ...checklist] = text.split('\n');
    expect(head).toMatch(
      /^\[C1\] 🚨 SEV-\d INC-7 fraud-scorer: disk \[1A \[2K full 2J evil \[C1\] ✅ SEV-1 INC-7 fraud-scorer: resolved$/,
    );
    expect(checklist).toHaveLength(5);
    expect(checklist.every((line) => line.startsWith('    '))).toBe(true);
  });

  it('prints a check’s name and query error on the check’s line, without controls', () => {
    const text = render(
      {
        type: 'triage.completed',
        incident,
        channel: 'C1',
        triage: {
          at: T0,
          finding: 'unavailable',
          summary: `p99 latency: ${HOSTILE}`,
          checks: [
            {
              name: 'p99\u001b[31m latency',
              kind: 'latency',
              threshold: '≤ 0.25',
              outcomes: ['error'],
              verdict: 'ERROR',
              error: HOSTILE,
            },
          ],
        },
      },
      T0,
    );
    expect(printable(text)).toBe(true);
    const lines = text.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^ {4}ERROR {8}p99 \[31m latency error: disk \[1A .* resolved \(≤ 0\.25\)$/);
  });

  it.each([
    ['incident.updated', { type: 'incident.updated', incident, channel: 'C1', text: HOSTILE }],
    [
      'decision.requested',
      {
        type: 'decision.requested',
        incident,
        channel: 'C1',
        text: HOSTILE,
        approvers: [],
        policy: 'approve',
      },
    ],
    [
      'escalation',
      { type: 'escalation', incident, channel: 'C1', stage: 'triage', mention: [], text: HOSTILE },
    ],
    ['channel.message', { type: 'channel.message', channel: 'C1', text: HOSTILE }],
  ] satisfies [string, NotifierEvent][])(
    'prints the text of %s without controls, no line of it posing as an event',
    (_type, event) => {
      const text = render(event, T0);
      expect(printable(text)).toBe(true);
      const [, ...rest] = text.split('\n');
      expect(rest.length).toBeGreaterThan(0);
      expect(rest.every((line) => line.startsWith('    '))).toBe(true);
    },
  );

  it('keeps the lines of a block rollbot wrote, each indented under its event', () => {
    const retro = {
      incidentId: 'INC-7',
      model: 'fraud-scorer',
      openedAt: T0,
      dueAt: T0,
      actionItems: [],
      remindersSent: [],
    };
    const text = render(
      {
        type: 'retro.opened',
        incident,
        channel: 'C1',
        retro,
        text: 'Blameless retrospective is open.\n\nTrigger: disk full\n- detect: 1m against 5m, met',
      },
      T0,
    );
    expect(text.split('\n')).toEqual([
      expect.stringMatching(
        /^\[C1\] 📝 SEV-\d INC-7 fraud-scorer retrospective: Blameless retrospective is open\.$/,
      ),
      '',
      '    Trigger: disk full',
      '    - detect: 1m against 5m, met',
    ]);
  });
});
