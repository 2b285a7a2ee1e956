import { describe, expect, it } from 'vitest';
import { recordDeployment } from '../../../src/engine/deployments.js';
import { drillHistory, lastDrillSuccess } from '../../../src/engine/drill.js';
import { runDrillNow, startDrill } from '../../../src/engine/drill-start.js';
import { rollback } from '../../../src/engine/rollback.js';
import { DRY, STAGING, drillDeps, scorecards } from '../../helpers/drill-deps.js';

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

describe('a dry-run drill against a layer that keeps no previous version', () => {
  it('plans from the production ledger, as the real rollback would, without writing to it', async () => {
    const { deps, production } = drillDeps(DRY);
    // As KServe after a promotion: the layer says what serves, not what served before; the ledger knows.
    production.current = 'v42';
    production.previous = undefined;
    await recordDeployment(deps, { model: 'fraud-scorer', version: 'v41', strategy: 'canary', by: 'ci' });
    deps.clock.advance(60_000);
    await recordDeployment(deps, { model: 'fraud-scorer', version: 'v42', strategy: 'canary', by: 'ci' });
    const ledger = await deps.store.deployments('fraud-scorer');

    const real = await rollback(
      deps,
      { model: 'fraud-scorer', reason: 'what would it do?', by: 'cli:ana', trigger: 'cli', dryRun: true },
      () => {},
    );
    expect(real.plan).toMatchObject({ from: 'v42', to: 'v41' });

    const { result } = await runDrillNow(deps, 'fraud-scorer', { by: 'schedule', dryRun: false });
    expect(result).toMatchObject({ outcome: 'passed', problems: [] });
    const planned = (await deps.store.list('INC-1')).find((entry) => entry.type === 'rollback.started');
    expect(planned?.text).toContain('v42 → v41');
    expect(production.mutations).toBe(0);
    expect(await deps.store.deployments('fraud-scorer')).toEqual(ledger);
  });
});

describe('a staging drill after a production rollback', () => {
  it("is not refused by production's rolled-back marks: staging's versions are its own", async () => {
    const { deps, staging } = drillDeps(STAGING);
    // Production rolled back from v42 (INC-1); staging serves v43 and keeps v42 as its previous version.
    await deps.store.markRolledBack('fraud-scorer', 'v42', deps.clock.now(), 'INC-1');
    staging.current = 'v43';
    staging.previous = 'v42';

    const { result } = await runDrillNow(deps, 'fraud-scorer', { by: 'schedule', dryRun: false });
    expect(result).toMatchObject({ outcome: 'passed', problems: [] });
    expect(staging.current).toBe('v42');
  });
});

describe('a drill run with --dry-run on a runbook with a staging target', () => {
  it('says everywhere that it only planned, not that it rehearsed the staging target', async () => {
    const { deps, staging } = drillDeps(STAGING);
    const { incident, result } = await runDrillNow(deps, 'fraud-scorer', { by: 'cli:ana', dryRun: true });
    expect(staging.mutations).toBe(0);
    const dry = 'dry run (plan only, nothing changes)';
    // The scorecard, its history and the drill's own words: a pass here must not read as staging rehearsed.
    expect(result).toMatchObject({ outcome: 'passed', target: dry });
    expect((await drillHistory(deps, 'fraud-scorer'))[0]?.target).toBe(dry);
    expect(incident.summary).toContain(dry);
    const started = (await deps.store.list(incident.id)).find((entry) => entry.type === 'drill.started');
    expect(started?.text).toBe(`drill started by cli:ana against ${dry}`);
  });

  it('does not count as the rehearsal the deployment gate waits for: nothing on staging was rolled back', async () => {
    const { deps } = drillDeps(STAGING);
    await runDrillNow(deps, 'fraud-scorer', { by: 'cli:ana', dryRun: true });
    expect(await lastDrillSuccess(deps, 'fraud-scorer')).toBeUndefined();
    const [scorecard] = scorecards(deps);
    expect(scorecard).toMatch(
      /^DRILL PASSED for fraud-scorer .*; a dry run: not the rehearsal of the drill target kserve \(drill target\), which the deployment gate waits for$/,
    );

    // The rehearsal itself counts.
    const { result } = await runDrillNow(deps, 'fraud-scorer', { by: 'cli:ana', dryRun: false });
    expect(await lastDrillSuccess(deps, 'fraud-scorer')).toBe(result?.at);
  });
});
