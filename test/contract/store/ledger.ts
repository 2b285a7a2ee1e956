import { describe, expect, it } from 'vitest';
import type { GetHarness } from './harness.js';

const deployment = (version: string, at: number) => ({
  model: 'fraud-scorer',
  version,
  strategy: 'canary' as const,
  at,
  by: 'api',
});

export function ledgerContract(get: GetHarness): void {
  describe('deployment ledger', () => {
    it('lists a model’s deployments newest first, up to a limit', async () => {
      const { store } = get();
      await store.recordDeployment(deployment('v40', 1));
      await store.recordDeployment({ ...deployment('v41', 2), previousVersion: 'v40' });
      await store.recordDeployment(deployment('v42', 3));
      await store.recordDeployment({ ...deployment('x1', 4), model: 'other' });
      expect((await store.deployments('fraud-scorer')).map((d) => d.version)).toEqual(['v42', 'v41', 'v40']);
      expect((await store.deployments('fraud-scorer', 2)).map((d) => d.version)).toEqual(['v42', 'v41']);
      expect((await store.deployments('fraud-scorer'))[1]).toEqual({
        ...deployment('v41', 2),
        previousVersion: 'v40',
      });
      expect(await store.deployments('nobody')).toEqual([]);
    });

    it('marks every deployment of a version as rolled back, as seen from another replica', async () => {
      const { store, peer } = get();
      await store.recordDeployment(deployment('v42', 1));
      await store.recordDeployment(deployment('v43', 2));
      await store.recordDeployment(deployment('v42', 3));
      await store.markRolledBack('fraud-scorer', 'v42', 10, 'INC-7');
      const listed = await peer.deployments('fraud-scorer');
      expect(listed.map((d) => [d.version, d.rolledBackAt, d.incidentId])).toEqual([
        ['v42', 10, 'INC-7'],
        ['v43', undefined, undefined],
        ['v42', 10, 'INC-7'],
      ]);
    });

    it('remembers versions rolled back from even without a recorded deployment', async () => {
      const { store, peer } = get();
      expect(await store.rolledBack('fraud-scorer')).toEqual({});
      await store.markRolledBack('fraud-scorer', 'rev-7', 10, 'INC-1');
      await store.markRolledBack('other', 'rev-1', 11, 'INC-2');
      expect(await peer.rolledBack('fraud-scorer')).toEqual({ 'rev-7': { at: 10, incidentId: 'INC-1' } });
    });

    it('leaves out of rolledBack a mark lifted by CI recording the version again, not by rollbot observing it', async () => {
      const { store, peer } = get();
      await store.recordDeployment(deployment('v41', 1));
      await store.recordDeployment(deployment('v42', 2));
      await store.markRolledBack('fraud-scorer', 'v42', 3, 'INC-1');
      await store.markRolledBack('fraud-scorer', 'v40', 3, 'INC-0');
      await store.recordDeployment({ ...deployment('v42', 4), strategy: 'observed', by: 'serving' });
      expect(Object.keys(await peer.rolledBack('fraud-scorer')).sort()).toEqual(['v40', 'v42']);

      await peer.recordDeployment(deployment('v42', 5)); // deployed again on purpose
      expect(await store.rolledBack('fraud-scorer')).toEqual({ v40: { at: 3, incidentId: 'INC-0' } });
      // The entries keep the mark: which rollouts it covers is for the ledger's readers (core/ledger.ts) to say.
      expect((await store.deployments('fraud-scorer')).map((d) => [d.version, d.rolledBackAt])).toEqual([
        ['v42', 3],
        ['v42', 3],
        ['v42', 3],
        ['v41', undefined],
      ]);

      await store.markRolledBack('fraud-scorer', 'v42', 6, 'INC-2'); // rolled back again
      expect(Object.keys(await peer.rolledBack('fraud-scorer')).sort()).toEqual(['v40', 'v42']);
    });

    it('keeps concurrent records from two replicas', async () => {
      const { store, peer } = get();
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? peer : store).recordDeployment(deployment(`v${i}`, i))),
      );
      expect(await store.deployments('fraud-scorer')).toHaveLength(10);
    });
  });
}
