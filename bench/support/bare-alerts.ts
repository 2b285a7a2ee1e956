import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';

/** What rollbot refuses too: a body over 1 MiB. */
const MAX_BODY = 1 << 20;

export interface BareAlertOptions {
  redis: Redis;
  /** After answering, tell Slack (first-call baseline): one chat.postMessage per request. */
  onAccepted?: (model: string) => void;
}

/**
 * The floor any alert receiver stands on: read the body, parse the JSON, make ONE Redis write, answer 202.
 * No validation, no routing, no incident — what is left between this and rollbot is rollbot's own work.
 * Answers `/readyz` too (a Redis ping), so the bench waits for it like for rollbot. False: not its route.
 */
export function handleBareAlert(
  options: BareAlertOptions,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  const path = (req.url ?? '').split('?')[0];
  if (req.method === 'GET' && path === '/readyz') {
    options.redis.ping().then(
      () => answer(res, 200, { ready: true }),
      (error: unknown) => answer(res, 503, { ready: false, error: String(error) }),
    );
    return true;
  }
  if (req.method !== 'POST' || path !== '/alerts/alertmanager') return false;
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY) return answer(res, 413, { error: 'too large' });
    let body: { alerts?: { labels?: Record<string, string> }[]; groupKey?: string };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      return answer(res, 400, { error: 'not JSON' });
    }
    const alerts = body.alerts ?? [];
    // One write per request, keyed by the group so that the baseline's Redis does not grow without bound.
    options.redis.set(`bare:group:${body.groupKey ?? ''}`, JSON.stringify(alerts)).then(
      () => {
        answer(res, 202, { received: alerts.length });
        const model = alerts[0]?.labels?.model;
        if (model) options.onAccepted?.(model);
      },
      (error: unknown) => answer(res, 500, { error: String(error) }),
    );
  });
  return true;
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
