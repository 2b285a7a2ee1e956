import { RollbotError, isRollbotError } from '../core/errors.js';
import type { Deployment } from '../core/ledger.js';
import type { TimelineEntry } from '../engine/ports.js';
import type { DrillListing } from '../engine/drill-list.js';
import type { DrillRun } from '../engine/drill-start.js';
import type { GateAnswer } from '../engine/gate.js';
import type { FreezeOutcome } from '../engine/freeze.js';
import type { RollbackOutcome, RollbackStep } from '../engine/rollback.js';
import type { IncidentDetail, IncidentListItem, IncidentView } from '../engine/views.js';
import type { Backend } from './backend-port.js';
import {
  apiError,
  forTheCli,
  fromBotError,
  parseJson,
  redirected,
  type BotError,
  type Shape,
} from './bot-errors.js';
import { apiUrl, healthCheck, refuseCredentials } from './bot-url.js';
import { whyUnreachable } from './unreachable.js';

// What the commands read of the bot's answers (parseJson): an answer without it is not the bot's.
const INCIDENT_VIEW: Shape = { id: 'string', phase: 'string', stages: 'array' };
const INCIDENT_DETAIL: Shape = { ...INCIDENT_VIEW, timeline: 'array' };
const FREEZE_OUTCOME: Shape = { freeze: 'object', models: 'array' };

/**
 * How long the CLI waits for an answer it reads whole (a list, an incident, a resolve…): the bot answers those in
 * moments, and a bot or proxy that hangs would otherwise hold the command for fetch's five minutes. A rollback's
 * and a drill's answers come as the change runs, for as long as it takes: not bounded.
 */
export const ANSWER_TIMEOUT_MS = 30_000;

export interface RemoteOptions {
  /** ANSWER_TIMEOUT_MS by default; shorter in tests. */
  answerTimeoutMs?: number;
}

/** Talks to the bot at `baseUrl` (ROLLBOT_URL) through its HTTP API. */
export function remoteBackend(baseUrl: string, apiToken?: string, options: RemoteOptions = {}): Backend {
  refuseCredentials(baseUrl);
  const answerTimeoutMs = options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS;
  /** `bounded`: the answer is read whole and must come within answerTimeoutMs (see timedOut for a write's). */
  const call = async (path: string, init: RequestInit = {}, bounded = true): Promise<Response> => {
    const headers = {
      ...(apiToken ? { authorization: `Bearer ${apiToken}` } : {}),
      ...(init.headers as Record<string, string>),
    };
    const signal = bounded ? AbortSignal.timeout(answerTimeoutMs) : null;
    let response: Response;
    try {
      response = await fetch(apiUrl(baseUrl, path), { ...init, headers, redirect: 'manual', signal });
    } catch (error) {
      if (isTimeout(error)) throw timedOut(init.method ?? 'GET');
      throw new RollbotError('UNAVAILABLE', `cannot reach rollbot at ${baseUrl} (${whyUnreachable(error)})`, {
        hint: `check ROLLBOT_URL and that the bot is running: ${healthCheck(baseUrl)}`,
        cause: error,
      });
    }
    if (response.status >= 300 && response.status < 400) throw redirected(response, baseUrl, path);
    // Every route the CLI uses answers an outcome with 2xx (a failed rollback streams as 200 and says so in its
    // result line); anything else is the bot's refusal, or a proxy's error page.
    if (!response.ok) throw forTheCli(await apiError(response, baseUrl), baseUrl, apiToken);
    return response;
  };
  /**
   * No answer in time. A write may have been done all the same (the bot did it, the answer was lost on the way):
   * it says to look before trying again, as a broken rollback stream does.
   */
  const timedOut = (method: string) =>
    new RollbotError(
      'UNAVAILABLE',
      `rollbot at ${baseUrl} did not answer within ${answerTimeoutMs / 1000} s`,
      {
        hint:
          method === 'GET'
            ? `check that the bot is healthy: ${healthCheck(baseUrl)}`
            : 'it may have been done all the same: look at the incident (`rollbot timeline <id>`, `rollbot incidents --open`) or the gate (GET /api/gate/<model>) before trying again',
      },
    );
  const readJson = async <T>(response: Response, shape: Shape, method = 'POST'): Promise<T> => {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (isTimeout(error)) throw timedOut(method);
      throw new RollbotError('UNAVAILABLE', `the connection to rollbot broke (${whyUnreachable(error)})`, {
        hint: `check that the bot is healthy: ${healthCheck(baseUrl)}`,
        cause: error,
      });
    }
    return parseJson<T>(text, response, baseUrl, shape);
  };
  const getJson = async <T>(path: string, shape: Shape): Promise<T> =>
    readJson<T>(await call(path), shape, 'GET');
  const postJson = (path: string, body: unknown, accept = 'application/json', bounded = true) =>
    call(
      path,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept },
        body: JSON.stringify(body),
      },
      bounded,
    );

  return {
    async listIncidents(filter) {
      const query = new URLSearchParams();
      if (filter.open) query.set('open', 'true');
      if (filter.limit !== undefined) query.set('limit', String(filter.limit));
      if (filter.before !== undefined) query.set('before', filter.before);
      const path = `/api/incidents${query.size ? `?${query.toString()}` : ''}`;
      const page = await getJson<{ incidents: IncidentListItem[]; next?: unknown }>(path, {
        incidents: 'array',
      });
      // `next` is the next page's path; the CLI goes on from its `before`, the last id of this page.
      const next = typeof page.next === 'string' ? nextBefore(page.next) : undefined;
      return { incidents: page.incidents, ...(next ? { next } : {}) };
    },
    incident: (id) => getJson<IncidentDetail>(`/api/incidents/${encodeURIComponent(id)}`, INCIDENT_DETAIL),
    async rollback(request, onStep) {
      const body = {
        model: request.model,
        reason: request.reason,
        dryRun: request.dryRun ?? false,
        requestedBy: request.by,
        ...(request.to ? { toVersion: request.to } : {}),
        ...(request.from ? { fromVersion: request.from } : {}),
      };
      const response = await postJson('/api/rollbacks', body, 'application/x-ndjson', false);
      return readSteps(response, baseUrl, onStep);
    },
    async recordDeployment(input) {
      const { by, ...rest } = input;
      return readJson<{ deployment: Deployment; gate: GateAnswer }>(
        await postJson('/api/deployments', { ...rest, recordedBy: by }),
        { deployment: 'object', gate: 'object' },
      );
    },
    async resolve(id, by, reason) {
      const response = await postJson(`/api/incidents/${encodeURIComponent(id)}/resolve`, {
        reason,
        resolvedBy: by,
      });
      return readJson<IncidentView>(response, INCIDENT_VIEW);
    },
    async dismiss(id, { by, reason }) {
      const response = await postJson(`/api/incidents/${encodeURIComponent(id)}/dismiss`, {
        reason,
        dismissedBy: by,
      });
      return readJson<IncidentView>(response, INCIDENT_VIEW);
    },
    async note(id, { by, text }) {
      const response = await postJson(`/api/incidents/${encodeURIComponent(id)}/notes`, { by, text });
      return readJson<TimelineEntry>(response, { incidentId: 'string', actor: 'string' });
    },
    async freeze(target, { by, until, reason }) {
      const path = `/api/gate/${encodeURIComponent(target)}/freeze`;
      return readJson<FreezeOutcome>(await postJson(path, { until, reason, frozenBy: by }), FREEZE_OUTCOME);
    },
    async unfreeze(target, { by, reason }) {
      const path = `/api/gate/${encodeURIComponent(target)}/unfreeze`;
      const body = { liftedBy: by, ...(reason ? { reason } : {}) };
      return readJson<FreezeOutcome>(await postJson(path, body), FREEZE_OUTCOME);
    },
    drills: async () =>
      (await getJson<{ drills: DrillListing[] }>('/api/drills', { drills: 'array' })).drills,
    async runDrill(model, { by, dryRun }) {
      // Answered once the drill's rollback has run: as long as that takes.
      const body = { model, dryRun, requestedBy: by };
      const response = await postJson('/api/drills', body, 'application/json', false);
      return readJson<DrillRun>(response, { incident: 'object' });
    },
    close: async () => {},
  };
}

/** The `before` of a next page's path (`/api/incidents?…&before=INC-7`), or undefined for a bot answering none. */
function nextBefore(next: string): string | undefined {
  return new URL(next, 'http://rollbot').searchParams.get('before') ?? undefined;
}

/** AbortSignal.timeout's abort: fetch rejects with its reason, a DOMException named TimeoutError. */
function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

/**
 * Reads the NDJSON stream of `POST /api/rollbacks`: one `{step}` per line as it happens, then `{result}`, or
 * `{error}` when the rollback was refused after its first step.
 */
async function readSteps(
  response: Response,
  baseUrl: string,
  onStep: (step: RollbackStep) => void,
): Promise<RollbackOutcome> {
  const decoder = new TextDecoder();
  let buffered = '';
  let result: RollbackOutcome | undefined;
  const take = (line: string) => {
    if (!line.trim()) return;
    const parsed = parseJson<{ step?: RollbackStep; result?: RollbackOutcome; error?: BotError }>(
      line,
      response,
      baseUrl,
    );
    if (parsed.step) onStep(parsed.step);
    if (parsed.result) result = parsed.result;
    // Refused after the first step (the layer no longer serves fromVersion): the bot's reason, as for a 409.
    const refused = parsed.error && fromBotError(parsed.error);
    if (refused) throw refused;
  };
  const unfinished = (what: string, cause?: unknown) =>
    new RollbotError('UNAVAILABLE', `${what} before the rollback's outcome arrived`, {
      hint: 'the rollback may have run: check `rollbot incidents --open` and the incident timeline before retrying',
      cause,
    });
  try {
    for await (const chunk of response.body ?? []) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      lines.forEach(take);
    }
  } catch (error) {
    if (isRollbotError(error)) throw error;
    // fetch says only "terminated"; the reason (the other side closed, a reset, a timeout) is its cause.
    throw unfinished(`the connection to rollbot broke (${whyUnreachable(error)})`, error);
  }
  take(buffered);
  if (!result) throw unfinished('the bot ended the stream');
  return result;
}
