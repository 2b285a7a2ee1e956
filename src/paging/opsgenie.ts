import { deliver, type DeliveryOptions, type Page, type PageSeverity, type Pager } from './types.js';

/** Options of the Opsgenie Alert API pager. */
export interface OpsgenieOptions extends DeliveryOptions {
  /** An Opsgenie API integration key, sent as `Authorization: GenieKey <apiKey>`. */
  apiKey: string;
  /** The environment variable the key came from (the runbook's `apiKeyEnv`), named in error hints. */
  apiKeyEnv?: string;
  /** Default `https://api.opsgenie.com` (EU: `https://api.eu.opsgenie.com`). */
  url?: string;
  /** Per attempt (default 10s). */
  timeoutMs?: number;
}

const DEFAULT_URL = 'https://api.opsgenie.com';
const MAX_MESSAGE = 130;
const MAX_DESCRIPTION = 15_000;
/** Keys and values together, as Opsgenie counts them; over it the alert is refused and nobody is paged. */
const MAX_DETAILS = 8_000;

const PRIORITY: Record<PageSeverity, string> = {
  critical: 'P1',
  error: 'P2',
  warning: 'P3',
  info: 'P5',
};

/**
 * A pager on the Opsgenie Alert API: trigger creates an alert whose alias is the page's dedup key, and
 * acknowledge and close address that alias. Opsgenie answers 202 (it processes requests asynchronously).
 */
export function createOpsgenie(options: OpsgenieOptions): Pager {
  const base = apiBase(options.url ?? DEFAULT_URL);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const keyEnv = options.apiKeyEnv ?? "the variable the runbook's paging.apiKeyEnv names";
  const hint = `check the Opsgenie API key in ${keyEnv}, its create-and-update rights, and the API region URL (${base})`;
  return {
    async send(page: Page, signal?: AbortSignal): Promise<void> {
      const { path, body } = opsgenieCall(page);
      await deliver(
        {
          method: 'POST',
          url: `${base}${path}`,
          headers: { authorization: `GenieKey ${options.apiKey}` },
          body,
          timeoutMs,
          what: `Opsgenie ${page.action} ${page.dedupKey}`,
        },
        202,
        hint,
        options,
        signal,
      );
    },
  };
}

/**
 * The API base the calls' `/v2/…` paths go under. Opsgenie's documentation writes the base with its version
 * (`https://api.eu.opsgenie.com/v2`) and its examples the alerts endpoint: either, given as `paging.url`, is read as
 * the base rather than doubled (`/v2/v2/alerts`, a 404 refused at once: nobody paged). Another path (a proxy's)
 * is kept.
 */
function apiBase(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v2(\/alerts)?$/i, '');
}

/** The path and JSON body of the Opsgenie call for a page. */
export function opsgenieCall(page: Page): { path: string; body: Record<string, unknown> } {
  const alias = encodeURIComponent(page.dedupKey);
  if (page.action === 'acknowledge') {
    return { path: `/v2/alerts/${alias}/acknowledge?identifierType=alias`, body: { source: page.source } };
  }
  if (page.action === 'resolve') {
    return { path: `/v2/alerts/${alias}/close?identifierType=alias`, body: { source: page.source } };
  }
  return {
    path: '/v2/alerts',
    body: {
      message: page.summary.slice(0, MAX_MESSAGE),
      alias: page.dedupKey,
      description: page.summary.slice(0, MAX_DESCRIPTION),
      priority: PRIORITY[page.severity],
      source: page.source,
      details: stringDetails(page.details ?? {}),
    },
  };
}

/**
 * Opsgenie details are string → string, at most 8,000 characters in all. An escalation's carry the alert's summary,
 * which can be any length (an Alertmanager annotation): the longest values are cut, shortest kept whole first,
 * rather than the create being refused and the page lost.
 */
function stringDetails(details: Record<string, unknown>): Record<string, string> {
  const entries = Object.entries(details)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]): [string, string] => [
      key,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]);
  let budget = MAX_DETAILS;
  const kept = new Map<string, string>();
  for (const [key, value] of [...entries].sort(([, a], [, b]) => a.length - b.length)) {
    const room = Math.max(0, budget - key.length);
    const cut = value.slice(0, room);
    kept.set(key, cut);
    budget -= key.length + cut.length;
  }
  // In the order given, which is the order Opsgenie shows them in.
  return Object.fromEntries(entries.map(([key]) => [key, kept.get(key) ?? '']));
}
