import { z } from 'zod';
import { envName, optionalText, requiredText } from '../../runbooks/fields.js';
import { urlCredentials } from '../url-credentials.js';

/** `serving: {adapter: mlflow, …}`: a registered model's serving alias. */
export const mlflowConfig = z.strictObject({
  adapter: z.literal('mlflow'),
  trackingUri: z.url().superRefine((url, ctx) => {
    for (const where of urlCredentials(url)) {
      ctx.addIssue({
        code: 'custom',
        input: url,
        message: `${where} is a secret written in the runbook: give MLflow a token in the variable tokenEnv names (sent as Authorization: Bearer), and remove it from trackingUri`,
      });
    }
  }),
  registeredModel: requiredText('the registered model name, like fraud-scorer'),
  alias: optionalText(z.string().default('champion')),
  tokenEnv: envName.optional(),
});
