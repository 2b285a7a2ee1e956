import { describe, expect, it } from 'vitest';
import { startDrill } from '../../../src/engine/drill-start.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { DRY, drillDeps } from '../../helpers/drill-deps.js';
import { permanent } from '../../helpers/fake-serving.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('a drill told apart from a real incident where people are notified', () => {
  it("says DRILL in the escalation of its missed target, which mentions the runbook's escalation people", async () => {
    const { deps } = drillDeps(DRY);
    const drill = await startDrill(deps, 'fraud-scorer', { by: 'schedule', auto: false });
    deps.clock.advance(10 * MINUTE);
    await pollDeadlines(deps);
    const [escalation] = deps.notifier.ofType('escalation');
    expect(escalation).toMatchObject({ stage: 'triage', mention: ['S0PLATFORM'] });
    expect(escalation?.text).toBe(
      `DRILL: triage target missed for fraud-scorer (${drill.id}): 10m against a target of 10m: no decision yet; roll back or record "not a rollback"`,
    );
  });

  it("says drill in the reminders of a failed drill's retrospective, which mention people too", async () => {
    const { deps, production } = drillDeps(DRY);
    production.stateErrors.push(permanent('GET Rollout: no Kubernetes credentials'));
    const drill = await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });
    deps.clock.advance(24 * HOUR);
    await pollDeadlines(deps);
    const reminders = deps.notifier
      .ofType('incident.updated')
      .filter((event) => event.text.includes('retrospective for'));
    expect(reminders.map((event) => [event.text, event.mention])).toEqual([
      [
        `@ml: retrospective for the drill ${drill.id} (fraud-scorer) due in 24h, at 2026-11-24T02:00:00Z`,
        ['S0PLATFORM'],
      ],
    ]);
  });
});
