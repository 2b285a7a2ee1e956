import { ERROR_CODES, RollbotError, isRollbotError, type ErrorCode } from '../core/errors.js';
import type { Deployment } from '../core/ledger.js';
import type { EngineDeps } from '../engine/context.js';
import type { Logger, TimelineEntry } from '../engine/ports.js';
import { dismissAs } from '../engine/decisions.js';
import type { GroupResolver } from '../engine/group-membership.js';
import { recordDeployment, type DeploymentInput } from '../engine/deployments.js';
import type { DrillListing } from '../engine/drill-list.js';
import { runDrillNow, type DrillRun } from '../engine/drill-start.js';
import { deploymentGate, type GateAnswer } from '../engine/gate.js';
import { freezeDeployments, liftFreeze, type FreezeOutcome } from '../engine/freeze.js';
import { addNote } from '../engine/notes.js';
import {
  rollback,
  type RollbackOutcome,
  type RollbackRequest,
  type RollbackStep,
} from '../engine/rollback.js';
import { resolve } from '../engine/resolve.js';
import { drillListings } from '../scheduling/drills.js';
import { createRedisStore, maskRedisUrl } from '../store/redis/store.js';
import {
  incidentDetail,
  listIncidentViews,
  viewIncident,
  type IncidentDetail,
  type IncidentListItem,
  type IncidentView,
} from '../engine/views.js';
import { WRITE_API_DISABLED } from '../http/api-writes.js';
import { whyUnreachable } from './unreachable.js';

/** What the CLI asks of rollbot, answered by a running bot over HTTP or by the engine in this process. */
export interface Backend {
  listIncidents(filter: { open?: boolean }): Promise<IncidentListItem[]>;
  incident(id: string): Promise<IncidentDetail>;
  rollback(request: RollbackRequest, onStep: (step: RollbackStep) => void): Promise<RollbackOutcome>;
  recordDeployment(input: DeploymentInput): Promise<{ deployment: Deployment; gate: GateAnswer }>;
  resolve(id: string, by: string, reason: string): Promise<IncidentView>;
  /** "Not a rollback", by `by` (a Slack user ID the runbook's rollback.approvers may list, or `cli:<login>`). */
  dismiss(id: string, how: { by: string; reason: string }): Promise<IncidentView>;
  /** Adds `by`'s note to an incident's timeline (anyone's: a note changes nothing); answers the timeline entry. */
  note(id: string, note: { by: string; text: string }): Promise<TimelineEntry>;
  /** Freezes deployments of a model, or of every model (`*`), as `by` (checked against rollback.approvers). */
  freeze(target: string, how: { by: string; until: string; reason: string }): Promise<FreezeOutcome>;
  /** Lifts the freeze of a model, or of every model (`*`), as `by`. */
  unfreeze(target: string, how: { by: string; reason?: string }): Promise<FreezeOutcome>;
  drills(): Promise<DrillListing[]>;
  runDrill(model: string, options: { by: string; dryRun: boolean }): Promise<DrillRun>;
  close(): Promise<void>;
}

/** Talks to the bot at `baseUrl` (ROLLBOT_URL) through its HTTP API. */
export function remoteBackend(baseUrl: string, apiToken?: string): Backend {
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = {
      ...(apiToken ? { authorization: `Bearer ${apiToken}` } : {}),
      ...(init.headers as Record<string, string>),
    };
    let response: Response;
    try {
      response = await fetch(apiUrl(baseUrl, path), { ...init, headers });
    } catch (error) {
      throw new RollbotError('UNAVAILABLE', `cannot reach rollbot at ${baseUrl} (${whyUnreachable(error)})`, {
        hint: `check ROLLBOT_URL and that the bot is running: ${healthCheck(baseUrl)}`,
        cause: error,
      });
    }
    // Every route the CLI uses answers an outcome with 2xx (a failed rollback streams as 200 and says so in its
    // result line); anything else is the bot's refusal, or a proxy's error page.
    if (!response.ok) throw forTheCli(await apiError(response, baseUrl), baseUrl, apiToken);
    return response;
  };
  const readJson = async <T>(response: Response): Promise<T> =>
    parseJson<T>(await response.text(), response, baseUrl);
  const getJson = async <T>(path: string): Promise<T> => readJson<T>(await call(path));
  const postJson = (path: string, body: unknown, accept = 'application/json') =>
    call(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept },
      body: JSON.stringify(body),
    });

  return {
    listIncidents: async (filter) =>
      (await getJson<{ incidents: IncidentListItem[] }>(`/api/incidents${filter.open ? '?open=true' : ''}`))
        .incidents,
    incident: (id) => getJson<IncidentDetail>(`/api/incidents/${encodeURIComponent(id)}`),
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
      );
    },
    async resolve(id, by, reason) {
      const response = await postJson(`/api/incidents/${encodeURIComponent(id)}/resolve`, {
        reason,
        resolvedBy: by,
      });
      return readJson<IncidentView>(response);
    },
    async dismiss(id, { by, reason }) {
      const response = await postJson(`/api/incidents/${encodeURIComponent(id)}/dismiss`, {
        reason,
        dismissedBy: by,
      });
      return readJson<IncidentView>(response);
    },
    async note(id, { by, text }) {
      const response = await postJson(`/api/incidents/${encodeURIComponent(id)}/notes`, { by, text });
      return readJson<TimelineEntry>(response);
    },
    async freeze(target, { by, until, reason }) {
      const path = `/api/gate/${encodeURIComponent(target)}/freeze`;
      return readJson<FreezeOutcome>(await postJson(path, { until, reason, frozenBy: by }));
    },
    async unfreeze(target, { by, reason }) {
      const path = `/api/gate/${encodeURIComponent(target)}/unfreeze`;
      return readJson<FreezeOutcome>(await postJson(path, { liftedBy: by, ...(reason ? { reason } : {}) }));
    },
    drills: async () => (await getJson<{ drills: DrillListing[] }>('/api/drills')).drills,
    async runDrill(model, { by, dryRun }) {
      return readJson<DrillRun>(await postJson('/api/drills', { model, dryRun, requestedBy: by }));
    },
    close: async () => {},
  };
}

/**
 * `path` (`/api/incidents?open=true`) under ROLLBOT_URL, keeping the base's own path: a bot behind a reverse proxy
 * at `https://ops.example.com/rollbot` (with or without the trailing slash) is reached at `/rollbot/api/…`, where
 * `new URL('/api/…', base)` would replace the prefix.
 */
function apiUrl(baseUrl: string, path: string): URL {
  const base = new URL(baseUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return new URL(path.replace(/^\/+/, ''), base);
}

/** What an operator can try by hand to see whether the bot answers at ROLLBOT_URL, prefix included. */
function healthCheck(baseUrl: string): string {
  return `GET ${apiUrl(baseUrl, '/healthz').href} answers {"ok":true}`;
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

/**
 * The bot's token refusals in the CLI's terms. The bot's hints are for a client that builds its own request ("send
 * Authorization: Bearer <API_TOKEN>"); the CLI sends API_TOKEN from its environment, so the fix is there. A bot
 * without API_TOKEN takes no writes from anyone: its refusal is not the person's, so it is not FORBIDDEN here
 * (dismiss and gate would advise acting as someone else with --as).
 */
function forTheCli(error: RollbotError, baseUrl: string, apiToken: string | undefined): RollbotError {
  if (error.code === 'UNAUTHORIZED') {
    const hint = apiToken
      ? `API_TOKEN here is not the one the bot at ${baseUrl} runs with: set it to the bot's API_TOKEN`
      : `API_TOKEN is not set here: set it to the API_TOKEN the bot at ${baseUrl} runs with (the CLI sends it as its bearer token)`;
    return new RollbotError('UNAUTHORIZED', error.message, { hint, cause: error });
  }
  if (error.code === 'FORBIDDEN' && error.message === WRITE_API_DISABLED) {
    return new RollbotError('UNAVAILABLE', error.message, {
      hint: `the bot at ${baseUrl} runs without API_TOKEN, so it takes no writes: start it with API_TOKEN set, and set the same API_TOKEN here`,
      cause: error,
    });
  }
  return error;
}

/** The `error` of the bot's `{error: {code, message, hint}}`, as it arrives: to be checked before use. */
interface BotError {
  code?: unknown;
  message?: unknown;
  hint?: unknown;
}

/** The bot's `{error: {code, message, hint}}` as the same error here; any other body is not from rollbot. */
async function apiError(response: Response, baseUrl: string): Promise<RollbotError> {
  const text = await response.text().catch(() => '');
  let error: BotError | undefined;
  try {
    error = (JSON.parse(text) as { error?: BotError } | null)?.error;
  } catch {
    // Not JSON: a proxy's or another server's error page.
  }
  return (error && fromBotError(error)) ?? notRollbot(response, baseUrl);
}

/**
 * The bot's error as the same error here, keeping its code so that "no such incident" stays NOT_FOUND on this
 * side too; undefined when it has no message (then it is not rollbot's).
 */
function fromBotError(error: BotError): RollbotError | undefined {
  if (typeof error.message !== 'string') return undefined;
  const code = ERROR_CODES.find((known): known is ErrorCode => known === error.code) ?? 'UNAVAILABLE';
  return new RollbotError(code, error.message, typeof error.hint === 'string' ? { hint: error.hint } : {});
}

/** Parses a body the bot sent as JSON; anything else came from something that is not the bot. */
function parseJson<T>(text: string, response: Response, baseUrl: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw notRollbot(response, baseUrl);
  }
}

/** A proxy's error page or another server at ROLLBOT_URL: say so, rather than fail on parsing it. */
function notRollbot(response: Response, baseUrl: string): RollbotError {
  return new RollbotError(
    'UNAVAILABLE',
    `${baseUrl} answered ${response.status} ${response.statusText}, not with rollbot's JSON`,
    {
      hint: `a proxy in front of the bot may be failing, or ROLLBOT_URL points elsewhere: check that ${healthCheck(baseUrl)}`,
    },
  );
}

/**
 * A command is run by someone waiting for it, so it tries Redis once, for a few seconds, where the bot would
 * keep reconnecting through an outage (ioredis's defaults take over a minute to give up on a command).
 */
const ONE_ATTEMPT = {
  connectTimeout: 3_000,
  commandTimeout: 3_000,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
};

/** Fails within seconds, naming the fix, when Redis at `url` does not answer a PING. */
export async function assertRedisReachable(url: string, logger: Logger): Promise<void> {
  const probe = createRedisStore({ redis: url, connection: ONE_ATTEMPT, logger });
  try {
    await probe.ping();
  } catch (error) {
    const reason = (error as { code?: unknown }).code ?? (error as Error).message;
    throw new RollbotError('UNAVAILABLE', `cannot reach Redis at ${maskRedisUrl(url)} (${String(reason)})`, {
      hint: 'check REDIS_URL and that Redis is running, or set ROLLBOT_URL to use a running bot',
      cause: error,
    });
  } finally {
    await probe.close();
  }
}

/**
 * Runs the engine in this process, on the store and serving layers the config names. `groupsOf` says who is in a
 * runbook's approver groups: without a Slack client, the snapshots the bot keeps in the same store.
 */
export function localBackend(deps: EngineDeps & { groupsOf: GroupResolver }): Backend {
  return {
    listIncidents: (filter) => listIncidentViews(deps, filter),
    incident: (id) => incidentDetail(deps, id),
    rollback: (request, onStep) => rollback(deps, request, onStep),
    recordDeployment: async (input) => ({
      deployment: await recordDeployment(deps, input),
      gate: await deploymentGate(deps, input.model),
    }),
    resolve: async (id, by, reason) =>
      viewIncident(await resolve(deps, id, { by, reason }), deps.clock.now()),
    dismiss: async (id, { by, reason }) =>
      viewIncident(
        await dismissAs(deps, deps.groupsOf, id, { userId: by, reason, trigger: 'cli' }),
        deps.clock.now(),
      ),
    note: (id, note) => addNote(deps, id, note),
    freeze: (target, { by, until, reason }) =>
      freezeDeployments(deps, deps.groupsOf, target, { userId: by, until, reason }),
    unfreeze: (target, { by, reason }) =>
      liftFreeze(deps, deps.groupsOf, target, { userId: by, ...(reason ? { reason } : {}) }),
    drills: () => drillListings(deps),
    runDrill: (model, options) => runDrillNow(deps, model, options),
    close: () => deps.store.close(),
  };
}
