import { RollbotError, ServingError } from '../core/errors.js';
import { truncate } from '../core/text.js';
import { requestJson } from '../serving/request.js';
import {
  defaultSleep,
  deliver,
  type DeliveryOptions,
  type Page,
  type PageSeverity,
  type Pager,
  systemClock,
} from './types.js';

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

/**
 * How often, and how many times, a request's status is asked for before the next request on its alias is sent
 * anyway: Opsgenie processes most within a second, and a page waiting longer is worse than the rare reordering.
 */
const PROCESSED_POLL_MS = 500;
const PROCESSED_POLLS = 20;
/** The longest the polls take in all, answered slowly or not: 10 s. */
const PROCESSED_WAIT_MS = PROCESSED_POLL_MS * PROCESSED_POLLS;

const PRIORITY: Record<PageSeverity, string> = {
  critical: 'P1',
  error: 'P2',
  warning: 'P3',
  info: 'P5',
};

/**
 * A pager on the Opsgenie Alert API: trigger creates an alert whose alias is the page's dedup key, and
 * acknowledge and close address that alias. Opsgenie answers 202 and processes requests asynchronously, in no
 * promised order, so send() returns once the request's status says it was processed (or after
 * PROCESSED_POLLS polls): the notifier sends an incident's next page when this one returns, and a create sent
 * while the close before it (an escalation superseding its stage's page) waits to be processed could be added to
 * the alert still open, then closed with it, ringing nobody; a close could likewise overtake its create.
 */
export function createOpsgenie(options: OpsgenieOptions): Pager {
  const base = apiBase(options.url ?? DEFAULT_URL);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const keyEnv = options.apiKeyEnv ?? "the variable the runbook's paging.apiKeyEnv names";
  const hint = `check the Opsgenie API key in ${keyEnv}, its create-and-update rights, and the API region URL (${base})`;
  return {
    async send(page: Page, signal?: AbortSignal, onAccepted?: (requestId: string) => void): Promise<void> {
      const { path, body } = opsgenieCall(page);
      const response = await deliver(
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
      const requestId = (response.body as { requestId?: unknown } | undefined)?.requestId;
      if (typeof requestId !== 'string') return;
      // Accepted: from here on the page is Opsgenie's, whatever becomes of the wait below (a shutdown).
      onAccepted?.(requestId);
      const failed = await processed(requestId, page, signal);
      // A create processed unsuccessfully opened no alert and rang nobody: not a page sent. (An acknowledge or close
      // of an alias with no open alert is processed unsuccessfully too, and is what was meant.)
      if (failed !== undefined && page.action === 'trigger') {
        throw new RollbotError(
          'UNAVAILABLE',
          `Opsgenie ${page.action} ${page.dedupKey}: accepted as request ${requestId}, then not processed: ${failed}`,
          { hint },
        );
      }
    },
  };

  /**
   * Waits until Opsgenie has processed `requestId`: its status answers 200 (a close of an alias with no open
   * alert included: processed, unsuccessfully, which is what was meant), 404 until then. Gives up, quietly, once
   * the polls are spent, on abort, or on another refusal (a key without read rights): the page was accepted.
   * Returns Opsgenie's status text when it says the request was processed unsuccessfully (`isSuccess: false`).
   */
  async function processed(requestId: string, page: Page, signal?: AbortSignal): Promise<string | undefined> {
    const sleep = options.sleep ?? defaultSleep;
    const clock = options.clock ?? systemClock;
    const startedAt = clock.now();
    // The polls' time, not only their number: each answered slowly (a 10 s timeout apiece) would hold the incident's
    // next page, and an escalation's delivery, for minutes.
    const waited = () => clock.now() - startedAt;
    for (let poll = 0; poll < PROCESSED_POLLS && !signal?.aborted && waited() < PROCESSED_WAIT_MS; poll++) {
      await sleep(PROCESSED_POLL_MS);
      try {
        const status = await requestJson({
          method: 'GET',
          url: `${base}/v2/alerts/requests/${encodeURIComponent(requestId)}`,
          headers: { authorization: `GenieKey ${options.apiKey}` },
          timeoutMs: Math.min(timeoutMs, Math.max(PROCESSED_POLL_MS, PROCESSED_WAIT_MS - waited())),
          what: `Opsgenie request status of ${page.action} ${page.dedupKey}`,
        });
        return unsuccessful(status.body);
      } catch (error) {
        const notYet =
          error instanceof ServingError &&
          (error.status === undefined || error.status === 404 || error.status === 429 || error.status >= 500);
        if (!notYet) return undefined;
      }
    }
    return undefined;
  }
}

/** Opsgenie's status text of a request processed unsuccessfully (`data.isSuccess: false`); else undefined. */
function unsuccessful(body: unknown): string | undefined {
  const data = (body as { data?: { isSuccess?: unknown; status?: unknown } } | undefined)?.data;
  if (data?.isSuccess !== false) return undefined;
  return typeof data.status === 'string' && data.status.trim() !== ''
    ? data.status
    : 'Opsgenie gave no reason (see the alert log)';
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
      message: truncate(page.summary, MAX_MESSAGE),
      alias: page.dedupKey,
      description: truncate(page.summary, MAX_DESCRIPTION),
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
    const cut = truncate(value, room);
    kept.set(key, cut);
    budget -= key.length + cut.length;
  }
  // In the order given, which is the order Opsgenie shows them in.
  return Object.fromEntries(entries.map(([key]) => [key, kept.get(key) ?? '']));
}
