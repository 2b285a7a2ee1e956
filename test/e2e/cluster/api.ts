/**
 * The bot's HTTP surface as the tests use it: alerts in, incidents and metrics out. Everything goes over
 * real HTTP to a real bot process.
 */
import { readFile } from 'node:fs/promises';

export const ALERT_TOKEN = 'e2e-alert-token';
export const API_TOKEN = 'e2e-api-token';
/** The bot runs with API_TOKEN, so reads of the API need it as writes do. */
const API_AUTH = { authorization: `Bearer ${API_TOKEN}` };

/** The fields of `GET /api/incidents/:id` these tests read. */
export interface IncidentJson {
  id: string;
  model: string;
  phase: string;
  drill: boolean;
  open: boolean;
  alerts: { key: string; fingerprint: string }[];
  decision?: { kind: string; by: string; trigger: string };
  acknowledged?: { by: string; at: number };
  rollback?: { status: string; error?: string; plan: { from?: string; to: string } };
  triage?: { finding: string; summary: string };
  stages: { stage: string; state: string; startedAt?: number }[];
  timeline: { type: string; text: string; actor: string; at: number }[];
}

export interface AlertResponse {
  status: number;
  body: { opened?: number; results?: { outcome: string; incidentId?: string }[] };
}

/** Posts an alert (generic JSON by default) with the bearer token; returns the status and body. */
export async function postAlert(
  botUrl: string,
  body: unknown,
  route: '/alerts' | '/alerts/alertmanager' = '/alerts',
): Promise<AlertResponse> {
  const response = await fetch(`${botUrl}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ALERT_TOKEN}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as AlertResponse['body']) : {} };
}

/** The Alertmanager webhook sample from shared/fixtures (a real v4 notification), as text. */
export function alertmanagerFixture(name: 'firing' | 'resolved'): Promise<string> {
  return readFile(new URL(`../../../../shared/fixtures/alertmanager/${name}.json`, import.meta.url), 'utf8');
}

/** `POST /api/rollbacks`: the same engine path as the CLI and the Slack button. */
export async function requestRollback(
  botUrl: string,
  body: { model: string; reason: string; requestedBy?: string },
): Promise<{ status: number; body: { outcome?: string; error?: { message: string } } }> {
  const response = await fetch(`${botUrl}/api/rollbacks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { outcome?: string } };
}

/** The model's incidents, newest first (every replica answers from the same Redis). */
export async function incidentsOf(botUrl: string, model: string): Promise<IncidentJson[]> {
  const response = await fetch(`${botUrl}/api/incidents?model=${encodeURIComponent(model)}`, {
    headers: API_AUTH,
  });
  if (!response.ok) throw new Error(`GET /api/incidents: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { incidents: IncidentJson[] }).incidents;
}

/** One incident with its timeline. */
export async function incident(botUrl: string, id: string): Promise<IncidentJson> {
  const response = await fetch(`${botUrl}/api/incidents/${encodeURIComponent(id)}`, { headers: API_AUTH });
  if (!response.ok) throw new Error(`GET /api/incidents/${id}: HTTP ${response.status}`);
  return (await response.json()) as IncidentJson;
}

/** The model's only incident (with its timeline), once it exists. */
export async function onlyIncident(botUrl: string, model: string): Promise<IncidentJson | undefined> {
  const [first] = await incidentsOf(botUrl, model);
  return first && incident(botUrl, first.id);
}

/** The timeline entries of one type. */
export function entries(detail: IncidentJson, type: string): IncidentJson['timeline'] {
  return detail.timeline.filter((entry) => entry.type === type);
}

/** `GET /readyz` status, or 0 when the bot does not answer at all. */
export function readiness(botUrl: string): Promise<number> {
  return fetch(`${botUrl}/readyz`).then(
    (response) => response.status,
    () => 0,
  );
}

/**
 * The sum of a metric's series whose labels include `labels`, from a bot's `/metrics` (0 when absent). The
 * counters live in each process, so a cluster-wide count is the sum over the replicas.
 */
export async function metricSum(
  botUrls: readonly string[],
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  let sum = 0;
  for (const url of botUrls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      const series = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
      );
      if (Object.entries(labels).every(([key, value]) => series[key] === value)) sum += Number(match[3]);
    }
  }
  return sum;
}

/** Waits `ms`, for a negative check: what must NOT happen has had time to happen (the pollers tick every 1 s). */
export function settle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
