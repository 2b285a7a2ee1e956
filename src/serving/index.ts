import type { ServingAdapter, ServingAdapterFactory } from '../engine/serving-port.js';
import type { ServingConfig } from '../runbooks/serving.js';
import { createArgoRolloutsAdapter } from './argo-rollouts/adapter.js';
import { createCommandAdapter } from './command/adapter.js';
import { commandProgramProblems } from './command/program.js';
import type { CredentialProblem } from './credential-problem.js';
import { createHttpAdapter } from './http/adapter.js';
import { kubeCredentialProblem, loadKubeConnection } from './k8s/connection.js';
import type { ReadFile } from './k8s/types.js';
import { createKserveAdapter } from './kserve/adapter.js';
import { createMlflowAdapter } from './mlflow/adapter.js';
import { sagemakerCredentialProblems } from './sagemaker/credentials.js';
import { createLazySagemakerAdapter } from './sagemaker/lazy.js';
import { createVertexAdapter } from './vertex/adapter.js';
import { vertexCredentialProblems } from './vertex/credentials.js';

export interface ServingFactoryOptions {
  /**
   * The process environment, passed in by the composition root: Kubernetes finds its credentials here
   * (in-cluster variables or KUBECONFIG), and runbooks name the variables that hold their secrets.
   */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The variables a `serving` block names, each with its field (`env`, `tokenEnv`, `usernameEnv`, `passwordEnv`): the adapter reads them when it
 * acts, so a rollback through it fails (or its command runs without them) while they are unset.
 */
export function servingVariables(config: ServingConfig): { name: string; field: string }[] {
  switch (config.adapter) {
    case 'http':
    case 'command':
      return config.env.map((name) => ({ name, field: 'env' }));
    case 'mlflow':
      return (['tokenEnv', 'usernameEnv', 'passwordEnv'] as const).flatMap((field) => {
        const name = config[field];
        return name === undefined ? [] : [{ name, field }];
      });
    case 'kserve':
    case 'argo-rollouts':
    case 'sagemaker':
    case 'vertex':
      // Their credentials are the platform's (the pod's service account, the AWS SDK's chain, Google's ADC), not the runbook's:
      // servingCredentialProblems checks those.
      return [];
  }
}

/**
 * What a `serving` block needs from the platform rollbot runs on that is not there: Kubernetes credentials (the
 * pod's service account, or a kubeconfig) for kserve and argo-rollouts, an AWS region and credentials for
 * sagemaker, Google credentials for vertex, the programs a command runs. Files only, no network call. The variables a block names are
 * servingVariables'.
 */
export function servingCredentialProblems(
  config: ServingConfig,
  env: Readonly<Record<string, string | undefined>>,
  readFile: ReadFile,
): CredentialProblem[] {
  switch (config.adapter) {
    case 'kserve':
    case 'argo-rollouts': {
      const problem = kubeCredentialProblem(env, readFile);
      return problem === undefined ? [] : [problem];
    }
    case 'sagemaker':
      return sagemakerCredentialProblems(config, env, readFile);
    case 'vertex':
      return vertexCredentialProblems(env, readFile);
    case 'command':
      // Its secrets are the variables the runbook names (servingVariables); its programs are the platform's.
      return commandProgramProblems(config, env);
    case 'mlflow':
    case 'http':
      // Their secrets are the variables the runbook names (servingVariables).
      return [];
  }
}

/**
 * Builds the adapter for a runbook's `serving` block — the one place that maps adapter names to code.
 * Kubernetes credentials are read on each call, so rotated service-account tokens are picked up.
 */
export function createServingFactory(options: ServingFactoryOptions): ServingAdapterFactory {
  const { env } = options;
  const kube = () => loadKubeConnection(env);
  return (config: ServingConfig, { model }): ServingAdapter => {
    switch (config.adapter) {
      case 'kserve':
        return createKserveAdapter(config, { model, kube });
      case 'argo-rollouts':
        return createArgoRolloutsAdapter(config, { model, kube });
      case 'sagemaker':
        // Lazy: the AWS SDK is loaded on the adapter's first call, not whenever rollbot starts (F9).
        return createLazySagemakerAdapter(config, { model });
      case 'vertex':
        // Google credentials (GOOGLE_APPLICATION_CREDENTIALS, else the metadata server) are read at the first call.
        return createVertexAdapter(config, { model, env });
      case 'mlflow':
        return createMlflowAdapter(config, { model, env });
      case 'http':
        return createHttpAdapter(config, { model, env });
      case 'command':
        return createCommandAdapter(config, { model, env });
    }
  };
}
