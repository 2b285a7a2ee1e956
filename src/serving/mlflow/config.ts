import { z } from 'zod';
import { envName, optionalText, requiredText } from '../../runbooks/fields.js';

/** `serving: {adapter: mlflow, …}`: a registered model's serving alias. */
export const mlflowConfig = z.strictObject({
  adapter: z.literal('mlflow'),
  trackingUri: z.url(),
  registeredModel: requiredText('the registered model name, like fraud-scorer'),
  alias: optionalText(z.string().default('champion')),
  tokenEnv: envName.optional(),
});
