import { RollbotError } from '../core/errors.js';
import type { RunbookSet } from '../engine/runbook-set.js';
import { envValue, unsetState } from '../env.js';
import { createOpsgenie } from './opsgenie.js';
import { createPagerDuty } from './pagerduty.js';
import type { PagingConfig } from './config.js';
import type { PagingRoute } from './notifier.js';
import type { DeliveryOptions } from './types.js';

/**
 * Each runbook's paging route, built once at start-up from the variables the runbooks name. A runbook that
 * names a variable that is not set stops start-up: a bot that silently does not page is worse than none.
 * `delivery` overrides the providers' retry settings (tests inject time through it).
 */
export function pagingRoutes(
  runbooks: RunbookSet,
  env: Readonly<Record<string, string | undefined>>,
  delivery: DeliveryOptions = {},
): (model: string) => PagingRoute | undefined {
  const routes = new Map<string, PagingRoute>();
  for (const runbook of runbooks.all) {
    const paging = runbook.paging;
    if (!paging) continue;
    const { name } = pagingKeyEnv(paging);
    const key = pagingKey(env, name);
    if (!key) {
      throw new RollbotError(
        'INVALID_CONFIG',
        `runbook ${runbook.model} pages through ${paging.provider} with the key in ${name}, which is ${unsetState(env, name)}`,
        {
          hint: `set ${name} in rollbot's environment, or remove paging from ${runbooks.fileOf(runbook.model)}`,
        },
      );
    }
    const malformed = keyFormatProblem(paging.provider, key, name);
    if (malformed) {
      throw new RollbotError(
        'INVALID_CONFIG',
        `runbook ${runbook.model} pages through ${paging.provider} with the key in ${name}, which ${malformed.problem}`,
        { hint: `${malformed.hint}, or remove paging from ${runbooks.fileOf(runbook.model)}` },
      );
    }
    const url = paging.url ? { url: paging.url } : {};
    const pager =
      paging.provider === 'pagerduty'
        ? createPagerDuty({ routingKey: key, routingKeyEnv: name, ...url, ...delivery })
        : createOpsgenie({ apiKey: key, apiKeyEnv: name, ...url, ...delivery });
    routes.set(runbook.model, { pager, hours: paging.businessHours });
  }
  return (model) => routes.get(model);
}

/** An Opsgenie API key: a UUID. Opsgenie answers any other 422 "Key format is not valid!". */
const OPSGENIE_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A PagerDuty Events API v2 routing (integration) key: 32 characters, anything else refused with HTTP 400. */
const PAGERDUTY_KEY_LENGTH = 32;

/**
 * What is wrong with `key` in a form its provider refuses on every page (the PagerDuty REST API key, 20 characters,
 * is the usual mix-up), said without quoting the key; undefined when its form is right. Checked at start-up: a
 * refused key otherwise shows at the first page, at 2am, as nobody paged.
 */
export function keyFormatProblem(
  provider: PagingConfig['provider'],
  key: string,
  name: string,
): { problem: string; hint: string } | undefined {
  if (provider === 'pagerduty') {
    if (key.length === PAGERDUTY_KEY_LENGTH) return undefined;
    return {
      problem: `is ${key.length} characters long: PagerDuty refuses every routing key but a ${PAGERDUTY_KEY_LENGTH}-character one (HTTP 400), so nobody would be paged`,
      hint: `set ${name} to the Integration Key of an Events API v2 integration on the PagerDuty service (a REST API key is not one)`,
    };
  }
  if (OPSGENIE_KEY.test(key)) return undefined;
  return {
    problem:
      'is not an Opsgenie API key (a UUID, 8-4-4-4-12 hexadecimal digits): Opsgenie refuses it (HTTP 422, "Key format is not valid!"), so nobody would be paged',
    hint: `set ${name} to the API key of an Opsgenie API integration (a team's Integrations page)`,
  };
}

/** The variable a runbook's paging block takes its key from, and the field that names it. */
export function pagingKeyEnv(paging: PagingConfig): { name: string; field: string } {
  return paging.provider === 'pagerduty'
    ? { name: paging.routingKeyEnv, field: 'paging.routingKeyEnv' }
    : { name: paging.apiKeyEnv, field: 'paging.apiKeyEnv' };
}

/**
 * The key in `name`, or undefined when it is unset or blank (start-up refuses that, `rollbot validate` warns).
 * Trimmed (src/env.ts): a Kubernetes Secret made from a file keeps the file's trailing newline, which PagerDuty
 * refuses as a routing key and Node as an Opsgenie header, so that every page would fail.
 */
export function pagingKey(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  return envValue(env, name);
}

/**
 * The paging keys the runbooks read, as they are sent: for the logger to mask wherever one appears in a message,
 * as it masks the Slack tokens. Unset ones are left out (start-up stops on them: pagingRoutes).
 */
export function pagingKeys(
  runbooks: RunbookSet,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  return runbooks.all.flatMap((runbook) => {
    const key = runbook.paging && pagingKey(env, pagingKeyEnv(runbook.paging).name);
    return key ? [key] : [];
  });
}
