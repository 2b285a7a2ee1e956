import { z } from 'zod';

/** A Kubernetes object name. */
export const k8sName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a Kubernetes object name');

/** `serving: {adapter: kserve, …}`: an InferenceService. */
export const kserveConfig = z
  .strictObject({
    adapter: z.literal('kserve'),
    namespace: k8sName,
    name: k8sName,
    /** `knative` (canaryTrafficPercent) or `standard` (spec.canary, KServe ≥ 0.20). */
    mode: z.enum(['knative', 'standard']).default('knative'),
    component: z.enum(['predictor', 'transformer', 'explainer']).default('predictor'),
  })
  .superRefine((config, ctx) => {
    // Refused when the runbook loads, not when the adapter is built (at the first rollback through it).
    if (config.mode === 'standard' && config.component !== 'predictor') {
      ctx.addIssue({
        code: 'custom',
        path: ['component'],
        message:
          'mode standard splits only the predictor (spec.canary): remove component, or use mode: knative',
      });
    }
  });
