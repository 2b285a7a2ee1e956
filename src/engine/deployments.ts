import { RollbotError } from '../core/errors.js';
import type { Deployment, DeploymentStrategy } from '../core/ledger.js';
import type { EngineDeps } from './context.js';
import type { ServingState } from './serving-port.js';
import { approvalInForce, useApproval } from './deploy-approval.js';
import { startWatch } from './watch.js';

export interface DeploymentInput {
  model: string;
  version: string;
  previousVersion?: string;
  strategy: DeploymentStrategy;
  by: string;
  spec?: Record<string, unknown>;
  /** Percent of traffic the version has now; absent means all of it (which starts the watch period). */
  traffic?: number;
}

/** Records a deployment in the ledger (what CI calls after each deploy), so rollbot knows the known-good. */
export async function recordDeployment(deps: EngineDeps, input: DeploymentInput): Promise<Deployment> {
  const runbook = deps.runbooks.require(input.model);
  refuseSelfAsPrevious(input);
  const approval = await approvalInForce(deps, runbook.model);
  const deployment = await deps.store.recordDeployment({
    ...input,
    model: runbook.model,
    at: deps.clock.now(),
  });
  deps.metrics.deploymentRecorded(runbook.model);
  await startWatch(deps, runbook, deployment);
  await useApproval(deps, runbook.model, approval);
  deps.logger.info({ model: runbook.model, version: input.version, by: input.by }, 'deployment recorded');
  return deployment;
}

/**
 * A deployment that names itself as the version it replaced (a pipeline reading "what serves" after deploying)
 * would make the bad version its own rollback target: refused, so that CI sees the mistake.
 */
function refuseSelfAsPrevious(input: DeploymentInput): void {
  if (input.previousVersion !== input.version) return;
  throw new RollbotError(
    'BAD_REQUEST',
    `previousVersion is ${input.version}, the version being deployed: it must be the version ${input.version} replaced`,
    {
      hint: 'send the version that served before this deployment (read it before deploying), or omit previousVersion (--previous on the CLI)',
    },
  );
}

/**
 * Keeps the ledger current from what a serving layer reports: a serving version that is not the newest in the
 * ledger is recorded as `observed` (by `serving`), with the layer's previous version. Versions are then in the
 * layer's own terms, which is what plans are made in.
 */
export async function observeServing(deps: EngineDeps, model: string, state: ServingState): Promise<void> {
  if (state.current === undefined) return;
  const [newest] = await deps.store.deployments(model, 1);
  if (newest?.version === state.current) return;
  const previousVersion = state.previous ?? newest?.version;
  await deps.store.recordDeployment({
    model,
    version: state.current,
    strategy: 'observed',
    at: deps.clock.now(),
    by: 'serving',
    ...(previousVersion !== undefined && previousVersion !== state.current ? { previousVersion } : {}),
  });
}
