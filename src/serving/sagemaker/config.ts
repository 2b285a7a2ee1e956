import { z } from 'zod';
import { optionalText, requiredText } from '../../runbooks/fields.js';

/** `serving: {adapter: sagemaker, …}`: a real-time endpoint. */
export const sagemakerConfig = z.strictObject({
  adapter: z.literal('sagemaker'),
  endpoint: requiredText('the endpoint name, like fraud-prod'),
  region: optionalText(z.string().optional()),
  /** For multi-variant endpoints: the variant that keeps the known-good model. */
  stableVariant: optionalText(z.string().optional()),
});
