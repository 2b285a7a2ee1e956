import { describe, expect, it } from 'vitest';
import { drillHistory } from '../../../src/engine/drill.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import type { Store } from '../../../src/engine/ports.js';
import { firing } from '../../helpers/alerts.js';
import { DRY, drillDeps } from '../../helpers/drill-deps.js';
import type { TestDeps } from '../../helpers/engine.js';

/** A replica's store on which a scheduled drill starts (on another replica) just before it stores its incident. */
function drillStartsBeforeCreate(deps: TestDeps): Store {
  let started = false;
  return {
    ...deps.store,
    async createIfNoneOpen(incident) {
      if (!started) {
        started = true;
        await startDrill(deps, 'fraud-scorer', { by: 'schedule', auto: false });
      }
      return deps.store.createIfNoneOpen(incident);
    },
  };
}

describe('a real alert arriving as a drill starts on another replica', () => {
  it('gets a real incident of its own, and the drill ends interrupted, not the alert buried in the drill', async () => {
    const { deps } = drillDeps(DRY);
    const replica: TestDeps = { ...deps, store: drillStartsBeforeCreate(deps) };

    const [result] = await ingestAlerts(replica, [firing('fraud-scorer', deps.clock.now())]);

    const open = await deps.store.openIncidentFor('fraud-scorer');
    expect(open).toMatchObject({ drill: false, phase: 'triage' });
    expect(result).toMatchObject({ outcome: 'opened', incidentId: open?.id });
    expect(open?.alerts.map((ref) => ref.fingerprint)).toEqual(['fp-fraud-scorer']);
    expect((await drillHistory(deps, 'fraud-scorer')).map((drill) => drill.problems)).toEqual([
      ['interrupted by a real alert (ModelErrorRateHigh)'],
    ]);
  });
});
