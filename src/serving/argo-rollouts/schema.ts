import { z } from 'zod';
import { objectMeta } from '../k8s/objects.js';

/** A pod template kept as raw JSON: it is compared and sent back, never interpreted. */
const podTemplate = z.record(z.string(), z.unknown());

const weightDestination = z.looseObject({
  weight: z.number().optional(),
  podTemplateHash: z.string().optional(),
});

/** The parts of an `argoproj.io/v1alpha1` Rollout the adapter reads. */
export const rollout = z.looseObject({
  metadata: objectMeta,
  spec: z.looseObject({
    selector: z.looseObject({ matchLabels: z.record(z.string(), z.string()).nullish() }).nullish(),
    template: podTemplate.nullish(),
    workloadRef: z.unknown().optional(),
  }),
  status: z
    .looseObject({
      abort: z.boolean().nullish(),
      currentPodHash: z.string().optional(),
      stableRS: z.string().optional(),
      phase: z.string().optional(),
      message: z.string().optional(),
      // A string in Argo Rollouts' API (strconv.Itoa of the generation).
      observedGeneration: z.union([z.string(), z.number()]).optional(),
      canary: z
        .looseObject({
          weights: z.looseObject({ canary: weightDestination, stable: weightDestination }).nullish(),
        })
        .nullish(),
      blueGreen: z.looseObject({ activeSelector: z.string().optional() }).nullish(),
    })
    .optional(),
});

/** The parts of an `apps/v1` ReplicaSet the adapter reads. */
export const replicaSet = z.looseObject({
  metadata: objectMeta,
  spec: z.looseObject({ template: podTemplate.nullish() }).optional(),
  status: z
    .looseObject({ replicas: z.number().optional(), availableReplicas: z.number().optional() })
    .optional(),
});

export const replicaSetList = z.looseObject({ items: z.array(replicaSet) });

export type Rollout = z.output<typeof rollout>;
export type ReplicaSet = z.output<typeof replicaSet>;
