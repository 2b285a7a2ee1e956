import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createConsoleNotifier, render } from '../../src/console/notifier.js';
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
      /^\[C1\] ❓ DECISION NEEDED \(two-person; @U0A @S0B\) SEV-\d INC-7 fraud-scorer: breach$/,
    );
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
    expect(delivered).toBe(true);
    expect(written).toMatch(/^\[C1\] ⏰ ESCALATION .*INC-7 fraud-scorer: late\n$/);
  });
});
