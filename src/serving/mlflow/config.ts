import { z } from 'zod';
import { envName } from '../../runbooks/fields.js';

/** `serving: {adapter: mlflow, …}`: a registered model's serving alias. */
export const mlflowConfig = z.strictObject({
  adapter: z.literal('mlflow'),
  trackingUri: z.url(),
  registeredModel: z.string().min(1),
  alias: z.string().default('champion'),
  tokenEnv: envName.optional(),
});
