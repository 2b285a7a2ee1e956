import { z } from 'zod';
import { envName, timeZone } from '../runbooks/fields.js';

const businessHours = z.strictObject({
  timezone: timeZone.default('UTC'),
  start: z.int().min(0).max(23).default(9),
  end: z.int().min(1).max(24).default(18),
  days: z.array(z.int().min(0).max(6)).default([1, 2, 3, 4, 5]),
});

/**
 * `paging:` in a runbook: who gets paged for SEV-1/2 incidents and missed targets (SEV-3 only in business
 * hours). The key itself never goes in the runbook: `routingKeyEnv` / `apiKeyEnv` name the variable.
 */
export const pagingConfig = z.discriminatedUnion('provider', [
  z.strictObject({
    provider: z.literal('pagerduty'),
    routingKeyEnv: envName,
    url: z.url().optional(),
    businessHours: businessHours.default({ timezone: 'UTC', start: 9, end: 18, days: [1, 2, 3, 4, 5] }),
  }),
  z.strictObject({
    provider: z.literal('opsgenie'),
    apiKeyEnv: envName,
    url: z.url().optional(),
    businessHours: businessHours.default({ timezone: 'UTC', start: 9, end: 18, days: [1, 2, 3, 4, 5] }),
  }),
]);

export type PagingConfig = z.output<typeof pagingConfig>;
