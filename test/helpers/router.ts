import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRouter {
  url: string;
  /** The version taking traffic now. */
  active: string;
  previous: string;
  /** Every rollback request received: its body and Idempotency-Key. */
  rollbacks: { body: unknown; idempotencyKey: string | undefined }[];
  close(): Promise<void>;
}

/**
 * A traffic router as an in-house team would have it: `GET /status` says which version serves, `POST /switch`
 * moves traffic after `switchDelayMs` (so concurrent callers overlap).
 */
export async function startRouter(options: {
  active: string;
  previous: string;
  switchDelayMs?: number;
}): Promise<FakeRouter> {
  const state = { active: options.active, previous: options.previous };
  const rollbacks: FakeRouter['rollbacks'] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/status') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ active: { version: state.active }, previous: state.previous }));
        return;
      }
      if (req.method === 'POST' && req.url === '/switch') {
        const body = JSON.parse(text) as { to: string };
        rollbacks.push({ body, idempotencyKey: req.headers['idempotency-key'] as string | undefined });
        setTimeout(() => {
          state.previous = state.active;
          state.active = body.to;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: true }));
        }, options.switchDelayMs ?? 0);
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get active() {
      return state.active;
    },
    get previous() {
      return state.previous;
    },
    rollbacks,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
