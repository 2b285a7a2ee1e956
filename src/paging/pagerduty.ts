import { truncate } from '../core/text.js';
import { deliver, type DeliveryOptions, type Page, type Pager } from './types.js';

/** Options of the PagerDuty Events API v2 pager. */
export interface PagerDutyOptions extends DeliveryOptions {
  /** The integration (routing) key of the PagerDuty service. */
  routingKey: string;
  /** The environment variable the key came from (the runbook's `routingKeyEnv`), named in error hints. */
  routingKeyEnv?: string;
  /**
   * The API base (EU: `https://events.eu.pagerduty.com`), as the runbook's `paging.url` documents it, or the
   * full enqueue endpoint. Default `https://events.pagerduty.com/v2/enqueue`.
   */
  url?: string;
  /** Per attempt (default 10s). */
  timeoutMs?: number;
}

const DEFAULT_URL = 'https://events.pagerduty.com/v2/enqueue';
const ENQUEUE_PATH = '/v2/enqueue';
const MAX_SUMMARY = 1024;

const EVENT_ACTION = { trigger: 'trigger', acknowledge: 'acknowledge', resolve: 'resolve' } as const;

/**
 * A pager on the PagerDuty Events API v2: one POST per page, keyed by the page's dedup key so that
 * acknowledge and resolve reach the alert that trigger opened. PagerDuty answers 202.
 */
export function createPagerDuty(options: PagerDutyOptions): Pager {
  const url = enqueueUrl(options.url ?? DEFAULT_URL);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const keyEnv = options.routingKeyEnv ?? "the variable the runbook's paging.routingKeyEnv names";
  const hint = `check the PagerDuty routing key in ${keyEnv} and that ${new URL(url).host} is reachable`;
  return {
    async send(page: Page, signal?: AbortSignal): Promise<void> {
      await deliver(
        {
          method: 'POST',
          url,
          body: eventBody(options.routingKey, page),
          timeoutMs,
          what: `PagerDuty ${page.action} ${page.dedupKey}`,
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
 * Where events go for `url`: a bare host (the API base the runbook documents, `https://events.eu.pagerduty.com`)
 * gets the enqueue path, which PagerDuty's root does not answer to, and so does the base written with its version
 * (`…/v2`) or the endpoint with a trailing slash: each a 404, refused at once, every page lost. Another path (a
 * proxy's) is taken as it is.
 */
function enqueueUrl(url: string): string {
  const parsed = new URL(url);
  const path = parsed.pathname.replace(/\/+$/, '');
  if (path !== '' && !/^\/v2(\/enqueue)?$/i.test(path)) return url;
  parsed.pathname = ENQUEUE_PATH;
  return parsed.toString();
}

/** The Events API v2 body; `payload` only for trigger. */
export function eventBody(routingKey: string, page: Page): Record<string, unknown> {
  const body: Record<string, unknown> = {
    routing_key: routingKey,
    event_action: EVENT_ACTION[page.action],
    dedup_key: page.dedupKey,
  };
  if (page.action === 'trigger') {
    body['payload'] = {
      summary: truncate(page.summary, MAX_SUMMARY),
      source: page.source,
      severity: page.severity,
      custom_details: page.details ?? {},
    };
  }
  return body;
}
