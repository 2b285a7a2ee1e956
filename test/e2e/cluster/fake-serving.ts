import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the serving layer does with the next rollback requests of a model:
 * - `switch`: moves traffic to the requested version and answers 200;
 * - `fail`: answers `status` with an error body and leaves traffic where it is;
 * - `hang`: never answers; with `switchFirst` the traffic moves anyway (the change was made, the answer is lost);
 * - `hold`: waits for `release()`, then switches and answers (so that concurrent callers overlap).
 */
export type RollbackBehaviour =
  | { kind: 'switch' }
  | { kind: 'fail'; status: number }
  | { kind: 'hang'; switchFirst: boolean }
  | { kind: 'hold' };

export interface RollbackCall {
  to: string;
  incident: string | undefined;
  idempotencyKey: string | undefined;
  at: number;
}

/** One model served by the fake layer. */
export interface ServedModel {
  /** The version taking all traffic now. */
  readonly active: string;
  readonly previous: string;
  /** Every rollback request received, answered or not. */
  readonly rollbackCalls: RollbackCall[];
  /** How many times the status was read. */
  readonly statusReads: number;
  behaviour: RollbackBehaviour;
  /** Ends `hold`: the held requests switch traffic and are answered, and later ones switch at once. */
  release(): void;
}

export interface FakeServing {
  url: string;
  /** Serves `model` with all traffic on `active`; `previous` is the version the layer reports as the last one. */
  serve(model: string, versions: { active: string; previous: string }): ServedModel;
  close(): Promise<void>;
}

interface ModelState {
  active: string;
  previous: string;
  rollbackCalls: RollbackCall[];
  statusReads: number;
  behaviour: RollbackBehaviour;
  held: (() => void)[];
}

/**
 * A serving layer for the `http` adapter, as a team's own router would have it, for many models at once:
 * `GET /models/:model/status` says which version serves (`{active: {version}, previous}`), `POST
 * /models/:model/rollback` with `{to}` moves traffic. It counts every call and can be told to fail or hang.
 */
export async function startFakeServing(): Promise<FakeServing> {
  const models = new Map<string, ModelState>();

  function switchTraffic(state: ModelState, to: string): void {
    if (state.active === to) return;
    state.previous = state.active;
    state.active = to;
  }

  function handleRollback(state: ModelState, req: IncomingMessage, res: ServerResponse, text: string): void {
    const body = JSON.parse(text || '{}') as { to?: string; incident?: string };
    const to = body.to ?? '';
    state.rollbackCalls.push({
      to,
      incident: body.incident,
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      at: Date.now(),
    });
    const answerOk = () => {
      switchTraffic(state, to);
      sendJson(res, 200, { ok: true, active: state.active });
    };
    const behaviour = state.behaviour;
    switch (behaviour.kind) {
      case 'switch':
        return answerOk();
      case 'fail':
        return sendJson(res, behaviour.status, {
          message: `upstream ${behaviour.status}: router unavailable`,
        });
      case 'hang':
        // Never answered: the connection stays open until the caller gives up or dies.
        if (behaviour.switchFirst) switchTraffic(state, to);
        return;
      case 'hold':
        state.held.push(answerOk);
        return;
    }
  }

  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const match = /^\/models\/([^/]+)\/(status|rollback)$/.exec(req.url ?? '');
      const state = match ? models.get(decodeURIComponent(match[1] ?? '')) : undefined;
      if (!match || !state) return sendJson(res, 404, { message: `no route ${req.method} ${req.url}` });
      if (match[2] === 'status' && req.method === 'GET') {
        state.statusReads += 1;
        return sendJson(res, 200, { active: { version: state.active }, previous: state.previous });
      }
      if (match[2] === 'rollback' && req.method === 'POST') return handleRollback(state, req, res, text);
      sendJson(res, 405, { message: `${req.method} not allowed` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    serve(model, versions) {
      const state: ModelState = {
        ...versions,
        rollbackCalls: [],
        statusReads: 0,
        behaviour: { kind: 'switch' },
        held: [],
      };
      models.set(model, state);
      return {
        get active() {
          return state.active;
        },
        get previous() {
          return state.previous;
        },
        get rollbackCalls() {
          return state.rollbackCalls;
        },
        get statusReads() {
          return state.statusReads;
        },
        get behaviour() {
          return state.behaviour;
        },
        set behaviour(next: RollbackBehaviour) {
          state.behaviour = next;
        },
        release() {
          state.behaviour = { kind: 'switch' };
          for (const answer of state.held.splice(0)) answer();
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Hanging requests keep their sockets open; close them so that the server can stop.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
