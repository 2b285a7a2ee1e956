import { z } from 'zod';
import { envName, optionalText, requiredText } from '../../runbooks/fields.js';
import { urlCredentials } from '../url-credentials.js';

/** What each basic-auth field holds, and the variable MLflow's own clients read it from. */
const BASIC_FIELDS = {
  usernameEnv: { holds: 'the user', mlflowVariable: 'MLFLOW_TRACKING_USERNAME' },
  passwordEnv: { holds: 'the password', mlflowVariable: 'MLFLOW_TRACKING_PASSWORD' },
} as const;

/**
 * `serving: {adapter: mlflow, …}`: a registered model's serving alias. Credentials come from variables it names,
 * as MLflow's clients take them: a token (`tokenEnv`, sent as Bearer), or a user and password (`usernameEnv`,
 * `passwordEnv`, sent as Basic: MLflow's built-in auth app), not both.
 */
export const mlflowConfig = z
  .strictObject({
    adapter: z.literal('mlflow'),
    trackingUri: z.url().superRefine((url, ctx) => {
      for (const where of urlCredentials(url)) {
        ctx.addIssue({
          code: 'custom',
          input: url,
          message: `${where} is a secret written in the runbook: give MLflow its credentials in variables the block names (tokenEnv for a token, sent as Authorization: Bearer; usernameEnv and passwordEnv for a user and password), and remove it from trackingUri`,
        });
      }
    }),
    registeredModel: requiredText('the registered model name, like fraud-scorer'),
    alias: optionalText(z.string().default('champion')),
    tokenEnv: envName.optional(),
    usernameEnv: envName.optional(),
    passwordEnv: envName.optional(),
  })
  .superRefine((config, ctx) => {
    const basic = config.usernameEnv !== undefined || config.passwordEnv !== undefined;
    if (basic && config.tokenEnv !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tokenEnv'],
        message:
          'give either tokenEnv (a token, sent as Authorization: Bearer) or usernameEnv and passwordEnv (sent as Authorization: Basic), not both',
      });
    }
    for (const [field, { holds, mlflowVariable }] of Object.entries(BASIC_FIELDS)) {
      if (basic && config[field as keyof typeof BASIC_FIELDS] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `basic auth needs both usernameEnv and passwordEnv: add ${field}, naming the variable that holds ${holds} (MLflow clients use ${mlflowVariable})`,
        });
      }
    }
  });
