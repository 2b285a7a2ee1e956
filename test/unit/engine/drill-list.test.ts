import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { drillListText, listDrills } from '../../../src/engine/drill-list.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { firing } from '../../helpers/alerts.js';
import { DRY, drillDeps } from '../../helpers/drill-deps.js';

const next = () => [Date.parse('2027-01-15T10:00:00Z')];

describe('the drill list (rollbot drill list, /drill list, GET /api/drills)', () => {
  it('shows the drill under way, which a person may still have to decide', async () => {
    const { deps } = drillDeps(DRY);
    const drill = await startDrill(deps, 'fraud-scorer', { by: 'schedule', auto: false });
    const listings = await listDrills(deps, next);
    expect(listings).toMatchObject([
      {
        model: 'fraud-scorer',
        open: { incidentId: drill.id, drill: true, phase: 'triage', since: drill.openedAt },
      },
    ]);
    expect(drillListText(listings)).toContain(
      `; drill ${drill.id} under way since 2026-11-22T02:00:00.000Z (triage)`,
    );
  });

  it('says a real incident is open, which refuses a drill due meanwhile', async () => {
    const { deps } = drillDeps(DRY);
    const [opened] = await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const listings = await listDrills(deps, next);
    expect(listings).toMatchObject([
      { model: 'fraud-scorer', open: { incidentId: opened?.incidentId, drill: false } },
    ]);
    expect(drillListText(listings)).toContain(
      `; incident ${opened?.incidentId} open since 2026-11-22T02:00:00.000Z (triage): a drill due meanwhile is skipped`,
    );
  });

  it('shows nothing open once the drill is over', async () => {
    const { deps } = drillDeps(DRY);
    await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });
    const [listing] = await listDrills(deps, next);
    expect(listing).not.toHaveProperty('open');
    expect(drillListText([listing!])).not.toContain('under way');
  });
});
