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

/** Talks to the bot at `baseUrl` (ROLLBOT_URL) through its HTTP API. */
export function remoteBackend(baseUrl: string, apiToken?: string): Backend {
  refuseCredentials(baseUrl);
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = {
      ...(apiToken ? { authorization: `Bearer ${apiToken}` } : {}),
      ...(init.headers as Record<string, string>),
    };
    let response: Response;
    try {
      response = await fetch(apiUrl(baseUrl, path), { ...init, headers, redirect: 'manual' });
    } catch (error) {
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
  const readJson = async <T>(response: Response, shape: Shape): Promise<T> =>
    parseJson<T>(await response.text(), response, baseUrl, shape);
  const getJson = async <T>(path: string, shape: Shape): Promise<T> => readJson<T>(await call(path), shape);
  const postJson = (path: string, body: unknown, accept = 'application/json') =>
    call(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept },
      body: JSON.stringify(body),
    });

  return {
    listIncidents: async (filter) =>
      (
        await getJson<{ incidents: IncidentListItem[] }>(`/api/incidents${filter.open ? '?open=true' : ''}`, {
          incidents: 'array',
        })
      ).incidents,
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
      const response = await postJson('/api/rollbacks', body, 'application/x-ndjson');
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
      const response = await postJson('/api/drills', { model, dryRun, requestedBy: by });
      return readJson<DrillRun>(response, { incident: 'object' });
    },
    close: async () => {},
  };
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
