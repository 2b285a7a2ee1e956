import { z } from 'zod';
import { argoRolloutsConfig } from '../serving/argo-rollouts/config.js';
import { commandConfig } from '../serving/command/config.js';
import { httpConfig } from '../serving/http/config.js';
import { kserveConfig } from '../serving/kserve/config.js';
import { mlflowConfig } from '../serving/mlflow/config.js';
import { sagemakerConfig } from '../serving/sagemaker/config.js';
import { vertexConfig } from '../serving/vertex/config.js';

/**
 * Where a model is served and how to roll it back: one block per serving layer, each defined beside its
 * adapter in src/serving/<adapter>/config.ts and documented in runbooks/README.md.
 */
export const servingConfig = z.discriminatedUnion('adapter', [
  kserveConfig,
  argoRolloutsConfig,
  sagemakerConfig,
  vertexConfig,
  mlflowConfig,
  httpConfig,
  commandConfig,
]);

export type ServingConfig = z.output<typeof servingConfig>;
export const SERVING_ADAPTERS = servingConfig.options.map((option) => option.shape.adapter.value);
