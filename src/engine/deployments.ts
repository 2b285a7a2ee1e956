import type { Deployment, DeploymentStrategy } from '../core/ledger.js';
import type { EngineDeps } from './context.js';

export interface DeploymentInput {
  model: string;
  version: string;
  previousVersion?: string;
  strategy: DeploymentStrategy;
  by: string;
}

/** Records a deployment in the ledger (what CI calls after each deploy), so rollbot knows the known-good. */
export async function recordDeployment(deps: EngineDeps, input: DeploymentInput): Promise<Deployment> {
  const runbook = deps.runbooks.require(input.model);
  const deployment = await deps.store.recordDeployment({
    ...input,
    model: runbook.model,
    at: deps.clock.now(),
  });
  deps.metrics.deploymentRecorded(runbook.model);
  deps.logger.info({ model: runbook.model, version: input.version, by: input.by }, 'deployment recorded');
  return deployment;
}
