import { randomBytes } from 'node:crypto';
import type { IncidentDetail } from '../engine/views.js';

/** What the alert route answers (src/http/alerts.ts). */
export interface AlertAnswer {
  received: number;
  opened: number;
  results: { fingerprint: string; outcome: string; incidentId?: string }[];
}

/**
 * The demo talks to the running bot the way CI and Alertmanager do: over HTTP, with the bearer tokens it set.
 * Nothing here reaches into the bot's internals.
 */
export function botClient(url: string, tokens: { alerts: string; api: string }) {
  async function call<T>(path: string, init: { method?: string; token?: string; body?: unknown } = {}) {
    const response = await fetch(`${url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const body = (await response.json()) as T;
    if (!response.ok) {
      throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status}: ${JSON.stringify(body)}`);
    }
    return { status: response.status, body };
  }

  return {
    /** `POST /api/deployments`, as a CI pipeline records a deployment in rollbot's ledger. */
    recordDeployment: (deployment: {
      model: string;
      version: string;
      previousVersion: string;
      strategy: string;
    }) =>
      call<unknown>('/api/deployments', {
        method: 'POST',
        token: tokens.api,
        body: { ...deployment, recordedBy: 'ci (demo)' },
      }),
    /** `POST /alerts/alertmanager` with Alertmanager's webhook v4 body. */
    postAlertmanager: (payload: unknown) =>
      call<AlertAnswer>('/alerts/alertmanager', { method: 'POST', token: tokens.alerts, body: payload }),
    /** `GET /api/incidents/:id`: reads need the API token too, once the bot has one. */
    incident: async (id: string) =>
      (await call<IncidentDetail>(`/api/incidents/${id}`, { token: tokens.api })).body,
  };
}

export type BotClient = ReturnType<typeof botClient>;

/**
 * A firing alert exactly as Alertmanager's webhook (version 4) sends it — the shape of
 * shared/fixtures/alertmanager/firing.json — for a rule that became active at `startsAt`.
 */
export function alertmanagerFiring(alert: {
  model: string;
  name: string;
  summary: string;
  startsAt: number;
  expr: string;
}) {
  const labels = { alertname: alert.name, model: alert.model, namespace: 'ml-prod', severity: 'critical' };
  const annotations = { summary: alert.summary };
  return {
    receiver: 'rollbot',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations,
        startsAt: new Date(alert.startsAt).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: `http://prometheus.demo.invalid/graph?g0.expr=${encodeURIComponent(alert.expr)}`,
        fingerprint: randomBytes(8).toString('hex'),
      },
    ],
    groupLabels: { alertname: alert.name, model: alert.model },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: 'http://alertmanager.demo.invalid',
    version: '4',
    groupKey: `{}:{alertname="${alert.name}", model="${alert.model}"}`,
    truncatedAlerts: 0,
  };
}
