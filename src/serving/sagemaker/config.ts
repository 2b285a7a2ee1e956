import { z } from 'zod';

/** `serving: {adapter: sagemaker, …}`: a real-time endpoint. */
export const sagemakerConfig = z.strictObject({
  adapter: z.literal('sagemaker'),
  endpoint: z.string().min(1),
  region: z.string().optional(),
  /** For multi-variant endpoints: the variant that keeps the known-good model. */
  stableVariant: z.string().optional(),
});
