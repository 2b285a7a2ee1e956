import { ERROR_CODES, RollbotError, type ErrorCode } from '../core/errors.js';
import type { EngineDeps } from '../engine/context.js';
import {
  incidentDetail,
  listIncidentViews,
  type IncidentDetail,
  type IncidentView,
} from '../engine/views.js';

/** What the CLI asks of rollbot, answered by a running bot over HTTP or by the engine in this process. */
export interface Backend {
  listIncidents(filter: { open?: boolean }): Promise<IncidentView[]>;
  incident(id: string): Promise<IncidentDetail>;
  close(): Promise<void>;
}

/** Talks to the bot at `baseUrl` (ROLLBOT_URL) through its HTTP API. */
export function remoteBackend(baseUrl: string, apiToken?: string): Backend {
  const call = async <T>(path: string): Promise<T> => {
    const url = new URL(path, baseUrl);
    let response: Response;
    try {
      response = await fetch(url, { headers: apiToken ? { authorization: `Bearer ${apiToken}` } : {} });
    } catch (error) {
      throw new RollbotError(
        'UNAVAILABLE',
        `cannot reach rollbot at ${baseUrl} (${(error as Error).message})`,
        {
          hint: 'check ROLLBOT_URL and that the bot is running (GET /healthz)',
        },
      );
    }
    const body = (await response.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string; hint?: string };
    };
    if (!response.ok) {
      // Keep the bot's own error code, so that "no such incident" stays NOT_FOUND on this side too.
      const code =
        ERROR_CODES.find((known): known is ErrorCode => known === body.error?.code) ?? 'UNAVAILABLE';
      throw new RollbotError(code, body.error?.message ?? `rollbot answered ${response.status}`, {
        ...(body.error?.hint ? { hint: body.error.hint } : {}),
      });
    }
    return body as T;
  };
  return {
    listIncidents: async (filter) =>
      (await call<{ incidents: IncidentView[] }>(`/api/incidents${filter.open ? '?open=true' : ''}`))
        .incidents,
    incident: (id) => call<IncidentDetail>(`/api/incidents/${encodeURIComponent(id)}`),
    close: async () => {},
  };
}

/** Runs the engine's read side in this process, on the store the config names. */
export function localBackend(deps: EngineDeps): Backend {
  return {
    listIncidents: (filter) => listIncidentViews(deps, filter),
    incident: (id) => incidentDetail(deps, id),
    close: () => deps.store.close(),
  };
}
