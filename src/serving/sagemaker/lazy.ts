import type { ServingAdapter } from '../../engine/serving-port.js';
// Type-only: erased at compile time, so this file loads neither adapter.ts nor the AWS SDK.
import type { SagemakerAdapterContext, SagemakerConfig } from './adapter.js';

/**
 * The SageMaker adapter, loaded on its first call. `@aws-sdk/client-sagemaker` costs ~40 MB of RSS (bench
 * F9: 41.6 → 81.4 MB in a bare node), a quarter of the memory budget, which a bot whose runbooks only build
 * this adapter (or never name SageMaker at all) should not pay at start-up. Adapter factories are
 * synchronous, so the module is imported on the first `state`/`plan`/`execute`/`onTarget` instead.
 */
export function createLazySagemakerAdapter(
  config: SagemakerConfig,
  context: SagemakerAdapterContext,
): ServingAdapter {
  let loading: Promise<ServingAdapter> | undefined;
  const adapter = (): Promise<ServingAdapter> => {
    loading ??= import('./adapter.js').then(
      ({ createSagemakerAdapter }) => createSagemakerAdapter(config, context),
      (error: unknown) => {
        // A failed import is not cached: the next call tries again.
        loading = undefined;
        throw error;
      },
    );
    return loading;
  };
  return {
    kind: 'sagemaker',
    target: `sagemaker ${config.endpoint}`,
    state: async () => (await adapter()).state(),
    plan: async (request) => (await adapter()).plan(request),
    execute: async (plan, execution) => (await adapter()).execute(plan, execution),
    onTarget: async (plan) => (await adapter()).onTarget(plan),
  };
}
