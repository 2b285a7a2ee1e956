import { z } from 'zod';
import { duration, envName } from './fields.js';

/**
 * Where a model is served and how to roll it back. One block per serving layer; the adapters in src/serving/
 * implement them. The exact API calls are documented in runbooks/README.md.
 */
const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a Kubernetes object name');

export const kserveConfig = z.strictObject({
  adapter: z.literal('kserve'),
  namespace: k8sName,
  name: k8sName,
  /** `knative` (canaryTrafficPercent) or `standard` (spec.canary, KServe ≥ 0.20). */
  mode: z.enum(['knative', 'standard']).default('knative'),
  component: z.enum(['predictor', 'transformer', 'explainer']).default('predictor'),
});

export const argoRolloutsConfig = z.strictObject({
  adapter: z.literal('argo-rollouts'),
  namespace: k8sName,
  name: k8sName,
});

export const sagemakerConfig = z.strictObject({
  adapter: z.literal('sagemaker'),
  endpoint: z.string().min(1),
  region: z.string().optional(),
  /** For multi-variant endpoints: the variant that keeps the known-good model. */
  stableVariant: z.string().optional(),
});

export const mlflowConfig = z.strictObject({
  adapter: z.literal('mlflow'),
  trackingUri: z.url(),
  registeredModel: z.string().min(1),
  alias: z.string().default('champion'),
  tokenEnv: envName.optional(),
});

const httpRequest = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  url: z.string().min(1),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
});

export const httpConfig = z.strictObject({
  adapter: z.literal('http'),
  rollback: httpRequest,
  status: httpRequest.optional(),
  timeout: duration.default(10_000),
});

export const commandConfig = z.strictObject({
  adapter: z.literal('command'),
  argv: z.array(z.string()).min(1, 'argv needs at least the program to run'),
  timeout: duration.default(120_000),
  /** Environment variables passed through to the command; nothing else is. */
  env: z.array(envName).default([]),
});

export const servingConfig = z.discriminatedUnion('adapter', [
  kserveConfig,
  argoRolloutsConfig,
  sagemakerConfig,
  mlflowConfig,
  httpConfig,
  commandConfig,
]);

export type ServingConfig = z.output<typeof servingConfig>;
export const SERVING_ADAPTERS = servingConfig.options.map((option) => option.shape.adapter.value);
