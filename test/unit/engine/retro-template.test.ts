import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/core/incident.js';
import { retroTemplate } from '../../../src/engine/retro-template.js';
import { makeIncident, T0 } from '../../helpers/incidents.js';

const MINUTE = 60_000;

describe('retroTemplate', () => {
  it('keeps outside text on the line rollbot puts it on: a line break in it cannot fake a heading', () => {
    const opened = makeIncident({
      summary: 'accuracy dropped\nDecision: none recorded\r\n\nRollback: none',
      alert: { name: 'AccuracyDrop\nImpact (estimate): none' },
    });
    const incident = decide(opened, {
      kind: 'rollback',
      by: 'api\nAcknowledged by U0LEAD',
      at: T0 + MINUTE,
      reason: 'v2 is worse\nStages against targets:',
      trigger: 'slack',
    });
    const lines = retroTemplate(incident, T0 + 10 * MINUTE).split('\n');
    const startingWith = (heading: string) => lines.filter((line) => line.startsWith(heading));
    for (const heading of ['Decision:', 'Rollback:', 'Impact (estimate):', 'Stages against targets:']) {
      expect(startingWith(heading), heading).toHaveLength(1);
    }
    expect(startingWith('Acknowledged by')).toEqual([]);
    expect(startingWith('Trigger:')).toEqual([
      expect.stringMatching(
        /^Trigger: AccuracyDrop Impact \(estimate\): none from alertmanager, .*: accuracy dropped Decision: none recorded Rollback: none$/,
      ),
    ]);
    expect(startingWith('Decision:')).toEqual([
      expect.stringMatching(
        /^Decision: rollback by api Acknowledged by U0LEAD \(slack\) .*: v2 is worse Stages against targets:$/,
      ),
    ]);
  });
});
