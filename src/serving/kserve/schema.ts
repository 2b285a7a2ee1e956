import { z } from 'zod';
import { condition, objectMeta } from '../k8s/objects.js';
import type { RollbackRegime, ServingState } from '../../engine/serving-port.js';

/** A Knative traffic target as KServe copies it into `status.components.<component>.traffic`. */
const trafficTarget = z.looseObject({
  revisionName: z.string().optional(),
  percent: z.number().nullish(),
  latestRevision: z.boolean().optional(),
  tag: z.string().optional(),
});

const componentStatus = z.looseObject({
  latestReadyRevision: z.string().optional(),
  latestCreatedRevision: z.string().optional(),
  latestRolledoutRevision: z.string().optional(),
  previousRolledoutRevision: z.string().optional(),
  traffic: z.array(trafficTarget).nullish(),
});

const componentSpec = z.looseObject({
  /** Standard mode: the stable predictor's name (canaries must have one; the stable one may not). */
  name: z.string().optional(),
  canaryTrafficPercent: z.number().nullish(),
});

/** The parts of a `serving.kserve.io/v1beta1` InferenceService the adapter reads. */
export const inferenceService = z.looseObject({
  metadata: objectMeta,
  spec: z
    .looseObject({
      predictor: componentSpec.optional(),
      transformer: componentSpec.optional(),
      explainer: componentSpec.optional(),
      /** Standard mode: each canary's share of the HTTPRoute; a missing share is 0 (a dark launch). */
      canary: z.array(z.looseObject({ trafficPercent: z.number().nullish() })).nullish(),
    })
    .optional(),
  status: z
    .looseObject({
      observedGeneration: z.number().optional(),
      conditions: z.array(condition).nullish(),
      components: z.record(z.string(), componentStatus).nullish(),
      canaryStatuses: z
        .array(
          z.looseObject({
            name: z.string(),
            ready: z.union([z.boolean(), z.string()]).optional(),
            trafficPercent: z.number().nullish(),
          }),
        )
        .nullish(),
    })
    .optional(),
});

export type InferenceService = z.output<typeof inferenceService>;
export type Component = 'predictor' | 'transformer' | 'explainer';
export type TrafficTarget = z.output<typeof trafficTarget>;

/** How one KServe deployment mode reads state and flips traffic back; the adapter does the I/O. */
export interface KserveMode {
  /** The merge patch that rolls back. */
  readonly patch: Record<string, unknown>;
  state(isvc: InferenceService): ServingState;
  /** The version to roll back to and the regime; throws a ServingError when `to` is not reachable. */
  plan(request: { to?: string; knownGood?: string; state: ServingState }): {
    to: string;
    regime: RollbackRegime;
    etaMs: number;
  };
  /** False when the object already matches the plan; throws when it moved on since the plan. */
  needsPatch(isvc: InferenceService, to: string): boolean;
  onTarget(isvc: InferenceService, to: string): boolean;
}
