import { ERROR_CODES, RollbotError, type ErrorCode } from '../core/errors.js';
import type { Deployment } from '../core/ledger.js';
import type { EngineDeps } from '../engine/context.js';
import { recordDeployment, type DeploymentInput } from '../engine/deployments.js';
import type { DrillListing } from '../engine/drill-list.js';
import { runDrillNow, type DrillRun } from '../engine/drill-start.js';
import { deploymentGate, type GateAnswer } from '../engine/gate.js';
import {
  rollback,
  type RollbackOutcome,
  type RollbackRequest,
  type RollbackStep,
} from '../engine/rollback.js';
import { resolve } from '../engine/resolve.js';
import { drillListings } from '../scheduling/drills.js';
import {
  incidentDetail,
  listIncidentViews,
  viewIncident,
  type IncidentDetail,
  type IncidentListItem,
  type IncidentView,
} from '../engine/views.js';

/** What the CLI asks of rollbot, answered by a running bot over HTTP or by the engine in this process. */
export interface Backend {
  listIncidents(filter: { open?: boolean }): Promise<IncidentListItem[]>;
  incident(id: string): Promise<IncidentDetail>;
  rollback(request: RollbackRequest, onStep: (step: RollbackStep) => void): Promise<RollbackOutcome>;
  recordDeployment(input: DeploymentInput): Promise<{ deployment: Deployment; gate: GateAnswer }>;
  resolve(id: string, by: string, reason: string): Promise<IncidentView>;
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
      response = await fetch(new URL(path, baseUrl), { ...init, headers });
    } catch (error) {
      throw new RollbotError(
        'UNAVAILABLE',
        `cannot reach rollbot at ${baseUrl} (${(error as Error).message})`,
        {
          hint: 'check ROLLBOT_URL and that the bot is running (GET /healthz)',
        },
      );
    }
    if (!response.ok && response.status !== 502) throw await apiError(response);
    return response;
  };
  const getJson = async <T>(path: string): Promise<T> => (await (await call(path)).json()) as T;
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
      };
      const response = await postJson('/api/rollbacks', body, 'application/x-ndjson');
      return readSteps(response, onStep);
    },
    async recordDeployment(input) {
      const { by, ...rest } = input;
      return (await (await postJson('/api/deployments', { ...rest, recordedBy: by })).json()) as {
        deployment: Deployment;
        gate: GateAnswer;
      };
    },
    async resolve(id, by, reason) {
      const response = await postJson(`/api/incidents/${encodeURIComponent(id)}/resolve`, {
        reason,
        resolvedBy: by,
      });
      return (await response.json()) as IncidentView;
    },
    drills: async () => (await getJson<{ drills: DrillListing[] }>('/api/drills')).drills,
    async runDrill(model, { by, dryRun }) {
      return (await (await postJson('/api/drills', { model, dryRun, requestedBy: by })).json()) as DrillRun;
    },
    close: async () => {},
  };
}

/** Reads the NDJSON stream of `POST /api/rollbacks`: one `{step}` per line as it happens, then `{result}`. */
async function readSteps(response: Response, onStep: (step: RollbackStep) => void): Promise<RollbackOutcome> {
  const decoder = new TextDecoder();
  let buffered = '';
  let result: RollbackOutcome | undefined;
  const take = (line: string) => {
    if (!line.trim()) return;
    const parsed = JSON.parse(line) as { step?: RollbackStep; result?: RollbackOutcome };
    if (parsed.step) onStep(parsed.step);
    if (parsed.result) result = parsed.result;
  };
  for await (const chunk of response.body ?? []) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    lines.forEach(take);
  }
  take(buffered);
  if (!result)
    throw new RollbotError('UNAVAILABLE', 'the bot ended the rollback stream without a result', {
      hint: 'check the incident timeline',
    });
  return result;
}

async function apiError(response: Response): Promise<RollbotError> {
  const body = (await response.json().catch(() => ({}))) as {
    error?: { code?: string; message?: string; hint?: string };
  };
  // Keep the bot's own error code, so that "no such incident" stays NOT_FOUND on this side too.
  const code = ERROR_CODES.find((known): known is ErrorCode => known === body.error?.code) ?? 'UNAVAILABLE';
  return new RollbotError(code, body.error?.message ?? `rollbot answered ${response.status}`, {
    ...(body.error?.hint ? { hint: body.error.hint } : {}),
  });
}

/** Runs the engine in this process, on the store and serving layers the config names. */
export function localBackend(deps: EngineDeps): Backend {
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
    drills: () => drillListings(deps),
    runDrill: (model, options) => runDrillNow(deps, model, options),
    close: () => deps.store.close(),
  };
}
