import { z } from 'zod';

/** A status condition (`Ready`, `Available`, …). */
export const condition = z.looseObject({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

/** The parts of `metadata` the adapters read. */
export const objectMeta = z.looseObject({
  name: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().optional(),
  labels: z.record(z.string(), z.string()).nullish(),
  annotations: z.record(z.string(), z.string()).nullish(),
  ownerReferences: z
    .array(
      z.looseObject({
        kind: z.string(),
        name: z.string(),
        uid: z.string().optional(),
        controller: z.boolean().optional(),
      }),
    )
    .nullish(),
});

type Condition = z.output<typeof condition>;

/** True when the condition of that type has status `True`. */
export function conditionTrue(conditions: readonly Condition[] | null | undefined, type: string): boolean {
  return conditions?.find((entry) => entry.type === type)?.status === 'True';
}

/** `Ready=False (reason: message)`, for summaries and messages. */
export function describeCondition(conditions: readonly Condition[] | null | undefined, type: string): string {
  const found = conditions?.find((entry) => entry.type === type);
  if (!found) return `${type} unknown`;
  const why = [found.reason, found.message].filter(Boolean).join(': ');
  return why === '' ? `${type}=${found.status}` : `${type}=${found.status} (${why})`;
}

/**
 * True when the controller has seen the latest spec. Some CRDs (Argo Rollouts) write observedGeneration as
 * a string, so both forms are compared as text.
 */
export function generationObserved(
  generation: number | undefined,
  observed: number | string | null | undefined,
): boolean {
  return (
    generation !== undefined &&
    observed !== undefined &&
    observed !== null &&
    String(observed) === String(generation)
  );
}
