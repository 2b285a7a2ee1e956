/**
 * A serving layer's answer is read up to a cap (16 MiB, far above any real answer): a URL that points at a file
 * server, or a proxy's error page that never ends, must fail the call with the size and the URL to check, not
 * make rollbot buffer without limit in the middle of a rollback. A rollback request whose answer was cut off
 * was accepted all the same, so its effect is unknown and it is not sent again.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServingError } from '../../../src/core/errors.js';
import { createHttpAdapter } from '../../../src/serving/http/adapter.js';
import { httpConfig } from '../../../src/serving/http/config.js';
import { rollbackRun as run, flipV3ToV2 as plan } from '../../helpers/serving-calls.js';

const MIB = 1024 * 1024;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: ReturnType<typeof createServer> | undefined;
/** How many bytes the server managed to write before the client stopped reading. */
let written = 0;

async function serve(handler: Handler): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Writes `total` bytes of a JSON-looking string in 64 KiB chunks, honouring back-pressure. */
function stream(res: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const more = (): void => {
    while (written < total && !res.destroyed) {
      written += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    if (!res.destroyed) res.end();
  };
  more();
}

beforeAll(() => nock.enableNetConnect('127.0.0.1'));
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
  written = 0;
});
afterAll(() => nock.disableNetConnect());

async function failure(promise: Promise<unknown>): Promise<ServingError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ServingError)) throw new Error(`expected a ServingError, got ${String(error)}`);
  return error;
}

function adapter(base: string, withStatus: boolean) {
  const config = httpConfig.parse({
    adapter: 'http',
    timeout: '20s',
    rollback: { url: `${base}/models/{{model}}/rollback`, body: { to: '{{to}}' } },
    ...(withStatus ? { status: { url: `${base}/models/{{model}}`, versionPath: 'active' } } : {}),
  });
  return createHttpAdapter(config, { model: 'fraud-scorer', env: {} });
}

describe('an answer larger than the cap', () => {
  it('fails a status read with the size and the URL to check, having read no more than the cap', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      stream(res, 64 * MIB);
    });
    const error = await failure(adapter(base, true).state());
    expect(error.message).toBe(
      `status request GET ${base}/models/fraud-scorer: HTTP 200: the answer is larger than 16 MiB, which no serving layer sends`,
    );
    expect(error.hint).toBe(
      `check that ${base}/models/fraud-scorer is the serving layer's API (not a file server, a download or a proxy's page): the URL in the runbook serving block`,
    );
    expect(error.transient).toBe(false);
    expect(error.effectUnknown).toBe(false);
    // Stopped at the cap (plus what the sockets held), not at the end of the 64 MiB.
    expect(written).toBeLessThan(40 * MIB);
  });

  it('fails at once on a Content-Length above the cap, without waiting for the body', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(100 * MIB) });
      res.write('{"active":');
      // …and nothing more: an answer read to its end would wait for the 20 s timeout.
    });
    const error = await failure(adapter(base, true).state());
    expect(error.message).toContain('HTTP 200: the answer is larger than 16 MiB');
    expect(error.transient).toBe(false);
  });

  it('says a rollback request cut off after a 2xx may have acted, and does not send it again', async () => {
    let posts = 0;
    const base = await serve((req, res) => {
      if (req.method === 'POST') posts += 1;
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      stream(res, 20 * MIB);
    });
    const built = adapter(base, false);
    const error = await failure(built.execute(plan, run));
    expect(error.message).toBe(
      `rollback request POST ${base}/models/fraud-scorer/rollback: HTTP 200: the answer is larger than 16 MiB, which no serving layer sends; the request was accepted, so it may have changed the serving layer`,
    );
    expect(error.effectUnknown).toBe(true);
    expect(error.transient).toBe(false);
    expect(error.hint).toContain('check what the serving layer serves before rolling back again');
    expect(posts).toBe(1);
    expect(await built.onTarget(plan)).toBe(false);
  });

  it('keeps the status of an error answer that is too long: a 4xx changed nothing', async () => {
    const base = await serve((req, res) => {
      req.resume();
      res.writeHead(400, { 'content-type': 'text/html' });
      stream(res, 20 * MIB);
    });
    const error = await failure(adapter(base, false).execute(plan, run));
    expect(error.message).toContain('HTTP 400: the answer is larger than 16 MiB');
    expect(error.status).toBe(400);
    expect(error.effectUnknown).toBe(false);
    expect(error.message).not.toContain('may have changed');
  });
});
