/**
 * A drill occurrence that came due while every replica was down: started late within DRILL_LATE_TOLERANCE_MS of
 * its time (the people reminded are still around), skipped past it with a log line and a note in the channel
 * (a drill started at 3 a.m. or days later asks a decision of nobody, and fails), and never started twice.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DRILL_LATE_TOLERANCE_MS } from '../../../src/core/drill-cadence.js';
import { scheduleDrillOccurrence } from '../../../src/engine/drill-schedule.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { deploymentGate, overrideGate } from '../../../src/engine/gate.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { resolve } from '../../../src/engine/resolve.js';
import { closeActionItem, completeRetrospective, getRetrospective } from '../../../src/engine/retro.js';
import { createLogger } from '../../../src/observability/logger.js';
import { drillListText } from '../../../src/engine/drill-list.js';
import { drillListings, planDrills } from '../../../src/scheduling/drills.js';
import { firing } from '../../helpers/alerts.js';
import { DRY, drillDeps } from '../../helpers/drill-deps.js';
import type { TestDeps } from '../../helpers/engine.js';

afterEach(() => {
  vi.useRealTimers();
});

const AT = Date.parse('2027-01-15T10:00:00Z');

/** The bot with fraud-scorer's quarterly drill planned, its log lines kept; down from a week before the drill. */
async function plannedThenDown(
  options: { passedAt?: number } = {},
): Promise<{ deps: TestDeps; logs: { msg?: string; model?: string }[] }> {
  vi.useFakeTimers({ now: Date.parse('2027-01-01T00:00:00Z'), toFake: ['Date'] });
  const { deps } = drillDeps(DRY);
  if (options.passedAt !== undefined) {
    // The model's last drill, run by hand and passed then.
    deps.clock.set(options.passedAt);
    await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });
  }
  const logs: { msg?: string; model?: string }[] = [];
  deps.logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(JSON.parse(chunk.toString()) as { msg?: string });
        done();
      },
    }),
  });
  deps.clock.set(Date.now());
  await planDrills(deps);
  deps.clock.set(AT - 7 * 86_400_000);
  await pollDeadlines(deps);
  return { deps, logs };
}

/** A real incident of fraud-scorer, resolved, its retrospective leaving an action item open: its ID. */
async function withOpenActionItem(deps: TestDeps): Promise<string> {
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  const id = (await deps.store.openIncidentFor('fraud-scorer'))?.id ?? '';
  await resolve(deps, id, { by: 'U0LEAD', reason: 'back to normal' });
  await completeRetrospective(deps, id, {
    by: 'U0LEAD',
    rootCause: 'a feature pipeline change',
    actionItemsText: '@ana | add an input-drift check | 2027-02-01',
  });
  return id;
}

const drills = async (deps: TestDeps) =>
  (await deps.store.listIncidents({})).filter((incident) => incident.drill);
const said = (deps: TestDeps) => deps.notifier.ofType('channel.message').map((event) => event.text);

describe('a drill occurrence missed while every replica was down', () => {
  it('starts late when rollbot is back within the tolerance', async () => {
    const { deps } = await plannedThenDown();
    deps.clock.set(AT + DRILL_LATE_TOLERANCE_MS);
    while ((await pollDeadlines(deps)) > 0);
    expect(await drills(deps)).toMatchObject([{ phase: 'triage' }]);
  });

  it('is not started a moment past it', async () => {
    const { deps } = await plannedThenDown();
    deps.clock.set(AT + DRILL_LATE_TOLERANCE_MS + 1);
    while ((await pollDeadlines(deps)) > 0);
    expect(await drills(deps)).toEqual([]);
  });

  it('is skipped the next morning, with a log line and a note in the channel saying how to rehearse now', async () => {
    const { deps, logs } = await plannedThenDown();
    deps.clock.set(AT + 23 * 3_600_000);
    while ((await pollDeadlines(deps)) > 0);
    expect(await drills(deps)).toEqual([]);
    expect(said(deps).slice(1)).toEqual([
      'Scheduled drill of fraud-scorer skipped: it was due at 2027-01-15T10:00:00.000Z while rollbot was down, and is not started 23h late (more than 4h): nobody would be there to decide. The deployment gate of fraud-scorer closes on 2027-04-11T00:00:00.000Z, 100d after its drills were planned, unless a drill passes before then: rehearse now with /drill run fraud-scorer (or rollbot drill run fraud-scorer). The next scheduled drill is unchanged',
    ]);
    expect(logs).toContainEqual(
      expect.objectContaining({
        model: 'fraud-scorer',
        msg: expect.stringMatching(/^drill occurrence missed while rollbot was down; skipped/),
      }),
    );
    // Skipped once: the occurrence put back by a planner that read "next" just before it came due changes nothing.
    await scheduleDrillOccurrence(deps, deps.runbooks.require('fraud-scorer'), AT);
    while ((await pollDeadlines(deps)) > 0);
    expect(await drills(deps)).toEqual([]);
    expect(said(deps)).toHaveLength(2);
  });

  it('is shown with why in the drill list (rollbot drill list, /drill list, GET /api/drills)', async () => {
    const { deps } = await plannedThenDown();
    deps.clock.set(AT + 23 * 3_600_000);
    while ((await pollDeadlines(deps)) > 0);
    const listings = await drillListings(deps);
    const reason = 'due while rollbot was down; not started 23h late (more than 4h)';
    expect(listings).toMatchObject([{ model: 'fraud-scorer', lastSkipped: { at: AT, reason } }]);
    expect(drillListText(listings)).toContain(`; last skipped 2027-01-15T10:00:00.000Z: ${reason}`);
  });

  it('says that the deployment gate is closed now that the last passed drill is over 100 days old, and how to open it', async () => {
    const passedAt = AT - 100 * 86_400_000 + 3_600_000;
    const { deps, logs } = await plannedThenDown({ passedAt });
    deps.clock.set(AT + 23 * 3_600_000);
    while ((await pollDeadlines(deps)) > 0);

    expect((await deploymentGate(deps, 'fraud-scorer')).status).toBe('closed');
    expect(said(deps).at(-1)).toBe(
      'Scheduled drill of fraud-scorer skipped: it was due at 2027-01-15T10:00:00.000Z while rollbot was down, and is not started 23h late (more than 4h): nobody would be there to decide. The deployment gate of fraud-scorer is closed: last successful rollback drill 100d 22h ago (due every quarter). A passed drill opens it: run one now with /drill run fraud-scorer (or rollbot drill run fraud-scorer). The next scheduled drill is unchanged',
    );
    expect(logs).toContainEqual(
      expect.objectContaining({
        model: 'fraud-scorer',
        gate: 'closed',
        msg: expect.stringMatching(
          /skipped .*; the deployment gate is closed \(overdue drill\) until a drill passes$/,
        ),
      }),
    );
  });

  it('says that an approver’s override holds the deployment gate open, until when, and that it closes then', async () => {
    const passedAt = AT - 100 * 86_400_000 + 3_600_000;
    const { deps, logs } = await plannedThenDown({ passedAt });
    // The drill is overdue from AT + 1h; an approver lets the next deployment through at AT + 2h.
    deps.clock.set(AT + 2 * 3_600_000);
    await overrideGate(deps, 'fraud-scorer', { actor: { id: 'U0LEAD', groups: [] }, reason: 'hotfix' });
    deps.clock.set(AT + 23 * 3_600_000);
    while ((await pollDeadlines(deps)) > 0);

    expect((await deploymentGate(deps, 'fraud-scorer')).status).not.toBe('closed');
    expect(said(deps).at(-1)).toBe(
      'Scheduled drill of fraud-scorer skipped: it was due at 2027-01-15T10:00:00.000Z while rollbot was down, and is not started 23h late (more than 4h): nobody would be there to decide. The deployment gate of fraud-scorer is held open by the override of U0LEAD until 2027-01-16T12:00:00.000Z, despite an overdue drill: last successful rollback drill 100d 22h ago (due every quarter). It closes then unless a drill passes: run one now with /drill run fraud-scorer (or rollbot drill run fraud-scorer). The next scheduled drill is unchanged',
    );
    expect(logs).toContainEqual(
      expect.objectContaining({
        model: 'fraud-scorer',
        gate: 'held open',
        gateOverriddenBy: 'U0LEAD',
        gateClosesAt: '2027-01-16T12:00:00.000Z',
        msg: expect.stringMatching(
          /skipped .*; the deployment gate is held open by the override of U0LEAD until 2027-01-16T12:00:00.000Z, and closes then unless a drill passes$/,
        ),
      }),
    );
  });

  it('says the override’s end as the day the deployment gate closes when the override outlasts the drill’s 100 days', async () => {
    const passedAt = AT - 100 * 86_400_000 + 24 * 3_600_000;
    const { deps } = await plannedThenDown({ passedAt });
    deps.clock.set(AT + 2 * 3_600_000);
    // Given for an open action item (an override with nothing to waive is refused), closed since.
    const real = await withOpenActionItem(deps);
    await overrideGate(deps, 'fraud-scorer', { actor: { id: 'U0LEAD', groups: [] }, reason: 'hotfix' });
    const [item] = (await getRetrospective(deps, real))?.actionItems ?? [];
    await closeActionItem(deps, real, item?.id ?? '', 'U0LEAD');
    deps.clock.set(AT + 23 * 3_600_000);
    while ((await pollDeadlines(deps)) > 0);

    expect(said(deps).at(-1)).toContain(
      'The deployment gate of fraud-scorer is held open by the override of U0LEAD until 2027-01-16T12:00:00.000Z, past the day its drill comes due (2027-01-16T10:00:00.000Z, 100d after its last successful drill). It closes then unless a drill passes: rehearse now with /drill run fraud-scorer (or rollbot drill run fraud-scorer).',
    );
  });

  it('says on which day the deployment gate closes when the last passed drill reaches 100 days before long', async () => {
    const passedAt = AT - 95 * 86_400_000;
    const { deps, logs } = await plannedThenDown({ passedAt });
    deps.clock.set(AT + 23 * 3_600_000);
    while ((await pollDeadlines(deps)) > 0);

    expect((await deploymentGate(deps, 'fraud-scorer')).status).not.toBe('closed');
    expect(said(deps).at(-1)).toContain(
      'The deployment gate of fraud-scorer closes on 2027-01-20T10:00:00.000Z, 100d after its last successful drill, unless a drill passes before then: rehearse now with /drill run fraud-scorer (or rollbot drill run fraud-scorer).',
    );
    expect(logs).toContainEqual(
      expect.objectContaining({ model: 'fraud-scorer', gateClosesAt: '2027-01-20T10:00:00.000Z' }),
    );
  });
});

describe('a drill occurrence refused because the model has a real incident open', () => {
  it('says what that means for the deployment gate, and to rehearse once the incident is over', async () => {
    const passedAt = AT - 100 * 86_400_000 + 3_600_000;
    const { deps, logs } = await plannedThenDown({ passedAt });
    deps.clock.set(AT - 3_600_000);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const real = await deps.store.openIncidentFor('fraud-scorer');
    deps.clock.set(AT + 2 * 3_600_000);
    while ((await pollDeadlines(deps)) > 0);

    expect(await deps.store.openIncidentFor('fraud-scorer')).toMatchObject({ id: real?.id, drill: false });
    expect(said(deps).at(-1)).toBe(
      `Scheduled drill of fraud-scorer skipped: fraud-scorer has a real incident open (${real?.id}): no drill now. The deployment gate of fraud-scorer is closed: last successful rollback drill 100d 1h ago (due every quarter). A passed drill opens it: run one once ${real?.id} is over with /drill run fraud-scorer (or rollbot drill run fraud-scorer). The next scheduled drill is unchanged`,
    );
    expect(logs).toContainEqual(
      expect.objectContaining({
        model: 'fraud-scorer',
        gate: 'closed',
        msg: expect.stringMatching(
          /^scheduled drill refused; skipped: .*no drill now; the deployment gate is closed/,
        ),
      }),
    );
    expect(drillListText(await drillListings(deps))).toContain(
      `; last skipped 2027-01-15T10:00:00.000Z: fraud-scorer has a real incident open (${real?.id}): no drill now`,
    );
  });
  it('says that an approver’s override holds the deployment gate open once the incident is over, and until when', async () => {
    const passedAt = AT - 100 * 86_400_000 + 3_600_000;
    const { deps } = await plannedThenDown({ passedAt });
    deps.clock.set(AT - 3_600_000);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const real = await deps.store.openIncidentFor('fraud-scorer');
    // Once the drill is overdue (an override with nothing to waive is refused).
    deps.clock.set(AT + 3_600_000);
    await overrideGate(deps, 'fraud-scorer', { actor: { id: 'U0LEAD', groups: [] }, reason: 'hotfix' });
    deps.clock.set(AT + 2 * 3_600_000);
    while ((await pollDeadlines(deps)) > 0);

    expect(said(deps).at(-1)).toContain(
      `The deployment gate of fraud-scorer is closed while ${real?.id} is open, then held open by the override of U0LEAD until 2027-01-16T11:00:00.000Z, despite an overdue drill: last successful rollback drill 100d 1h ago (due every quarter). It closes then unless a drill passes: run one once ${real?.id} is over with /drill run fraud-scorer`,
    );
  });
});
