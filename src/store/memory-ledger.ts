import { markLifted, type Deployment } from '../core/ledger.js';
import type { Ledger } from '../engine/ports.js';

/** How many deployments per model the ledger keeps; older ones are dropped. */
export const LEDGER_KEEP = 200;
export const LEDGER_DEFAULT_LIMIT = 50;

/** The deployment ledger in process memory (part of the memory store). */
export function createMemoryLedger(): Ledger {
  const byModel = new Map<string, Deployment[]>();
  const rolledBack = new Map<string, Map<string, { at: number; incidentId: string }>>();
  return {
    async recordDeployment(deployment) {
      const list = byModel.get(deployment.model) ?? [];
      list.unshift(structuredClone(deployment));
      byModel.set(deployment.model, list.slice(0, LEDGER_KEEP));
      return structuredClone(deployment);
    },
    async deployments(model, limit = LEDGER_DEFAULT_LIMIT) {
      const marks = rolledBack.get(model);
      return (byModel.get(model) ?? []).slice(0, limit).map((deployment) => {
        const mark = marks?.get(deployment.version);
        return mark
          ? { ...deployment, rolledBackAt: mark.at, incidentId: mark.incidentId }
          : { ...deployment };
      });
    },
    async rolledBack(model) {
      // The window the ledger's readers see (deployments' default), so that both agree on which marks hold.
      const deployments = (byModel.get(model) ?? []).slice(0, LEDGER_DEFAULT_LIMIT);
      return Object.fromEntries(
        [...(rolledBack.get(model) ?? new Map<string, { at: number; incidentId: string }>())]
          .filter(([version, mark]) => !markLifted(deployments, version, mark.at))
          .map(([version, mark]) => [version, { ...mark }]),
      );
    },
    async markRolledBack(model, version, at, incidentId) {
      const marks = rolledBack.get(model) ?? new Map<string, { at: number; incidentId: string }>();
      marks.set(version, { at, incidentId });
      rolledBack.set(model, marks);
    },
  };
}
