import { describe, expect, it } from 'vitest';
import { drillHistory } from '../../../src/engine/drill.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { drillDeps } from '../../helpers/drill-deps.js';

/** A drill block that keeps its staging target but is set to plan only, as while staging is being rebuilt. */
const STAGING_BUT_DRY =
  'drill: { dryRun: true, serving: { adapter: kserve, namespace: ml-staging, name: fraud-scorer } }';

describe('a runbook drill with dryRun: true', () => {
  it('plans only, changing nothing, even when it names a drill target', async () => {
    const { deps, staging, production } = drillDeps(STAGING_BUT_DRY);
    await startDrill(deps, 'fraud-scorer', { by: 'schedule', auto: true });
    expect(staging.mutations).toBe(0);
    expect(production.mutations).toBe(0);
    const [result] = await drillHistory(deps, 'fraud-scorer');
    expect(result).toMatchObject({ outcome: 'passed', target: 'dry run (plan only, nothing changes)' });
  });
});
