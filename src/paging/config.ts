import { z } from 'zod';
import { webUrl } from '../core/links.js';
import { envName, timeZone } from '../runbooks/fields.js';

/**
 * When a SEV-3 may page. The hours are [start, end) of one local day: a window that ends before it starts (an
 * overnight `start: 22, end: 6`) or at its start holds no hour, and would silently never page a SEV-3.
 */
const businessHours = z
  .strictObject({
    timezone: timeZone.default('UTC'),
    start: z.int().min(0).max(23).default(9),
    end: z.int().min(1).max(24).default(18),
    // No day at all would hold no hour either: a SEV-3 never paged, its night misses scheduled for a start never found.
    days: z
      .array(z.int().min(0).max(6))
      .min(1, {
        message:
          'business hours on no day hold no hour, so SEV-3 incidents would never page: list the weekdays that page, 0 (Sunday) to 6 (Saturday), like [1, 2, 3, 4, 5], or leave days out for Monday to Friday',
      })
      .default([1, 2, 3, 4, 5]),
  })
  .superRefine((hours, ctx) => {
    if (hours.start < hours.end) return;
    ctx.addIssue({
      code: 'custom',
      input: hours.end,
      path: ['end'],
      message: `business hours from ${hours.start}:00 to ${hours.end}:00 hold no hour, so SEV-3 incidents would never page: hours are local to businessHours.timezone and cannot cross midnight; make end later than start (at most 24)`,
    });
  });

/**
 * The provider's API base: http(s) only, as the pagers send nothing else (an `ftp:` one would load, then fail every
 * page at 2am), with a message that says what to write rather than zod's bare "Invalid URL".
 */
function apiBase(example: string) {
  return z
    .string()
    .refine((text) => webUrl(text) !== undefined, {
      message: `expected an http(s) URL of the provider's API base, like ${example} for an EU account`,
    })
    .refine((text) => webUrl(text) === undefined || !hasCredentials(text), {
      message:
        "a URL with a user or password in it puts a secret in the runbook, and in the logs' hints: give the provider's API base without them (the key comes from the variable the runbook names)",
    })
    .optional();
}

/** Whether `url` carries a user or password (`https://user:pass@host`). */
function hasCredentials(url: string): boolean {
  const { username, password } = new URL(url);
  return username !== '' || password !== '';
}

/**
 * `paging:` in a runbook: who gets paged for SEV-1/2 incidents and missed targets (SEV-3 only in business
 * hours). The key itself never goes in the runbook: `routingKeyEnv` / `apiKeyEnv` name the variable.
 */
export const pagingConfig = z.discriminatedUnion('provider', [
  z.strictObject({
    provider: z.literal('pagerduty'),
    routingKeyEnv: envName,
    url: apiBase('https://events.eu.pagerduty.com'),
    businessHours: businessHours.default({ timezone: 'UTC', start: 9, end: 18, days: [1, 2, 3, 4, 5] }),
  }),
  z.strictObject({
    provider: z.literal('opsgenie'),
    apiKeyEnv: envName,
    url: apiBase('https://api.eu.opsgenie.com'),
    businessHours: businessHours.default({ timezone: 'UTC', start: 9, end: 18, days: [1, 2, 3, 4, 5] }),
  }),
]);

export type PagingConfig = z.output<typeof pagingConfig>;
