/**
 * A bot or proxy at ROLLBOT_URL that takes the request and never answers held a command for fetch's five minutes.
 * An answer read whole must come within the CLI's answer timeout; a rollback's stream, which lasts as long as the
 * change, is not bounded by it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { remoteBackend } from '../../src/cli/remote-backend.js';
import { commandUsage } from '../../src/cli/usage.js';

let server: Server | undefined;
const hung: ServerResponse[] = [];

afterEach(async () => {
  for (const response of hung.splice(0)) response.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handle);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Takes every request and never answers it. */
const neverAnswers = (_req: IncomingMessage, res: ServerResponse) => void hung.push(res);

describe('the CLI against a bot that does not answer', () => {
  it('gives up on a read after the answer timeout, saying so and how to check the bot', async () => {
    const url = await serve(neverAnswers);
    const backend = remoteBackend(url, 'api-t', { answerTimeoutMs: 200 });
    await expect(backend.listIncidents({ open: true })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: `rollbot at ${url} did not answer within 0.2 s`,
      hint: `check that the bot is healthy: GET ${url}/healthz answers {"ok":true}`,
    });
  });

  it('gives up on a write too, saying that it may have been done and to look before trying again', async () => {
    const url = await serve(neverAnswers);
    const backend = remoteBackend(url, 'api-t', { answerTimeoutMs: 200 });
    const refusal = backend.resolve('INC-7', 'cli:ana', 'fixed by hand');
    await expect(refusal).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(refusal).rejects.toHaveProperty('hint', expect.stringContaining('may have been done'));
    // The commands it says to look with are the CLI's: `rollbot incident <id>` was none, answered "unknown command".
    const hint = ((await refusal.catch((error: unknown) => error)) as Error & { hint: string }).hint;
    const named = [...hint.matchAll(/`rollbot (\S+)/g)].map((match) => match[1]);
    expect(named.length).toBeGreaterThan(0);
    for (const word of named) expect(commandUsage(word), `rollbot ${word}`).toBeDefined();
  });

  it('gives up on an answer whose body stops coming', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"incidents": [');
      hung.push(res);
    });
    const backend = remoteBackend(url, 'api-t', { answerTimeoutMs: 200 });
    await expect(backend.listIncidents({})).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: `rollbot at ${url} did not answer within 0.2 s`,
    });
  });

  it('waits out a rollback whose outcome comes after the answer timeout', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(`${JSON.stringify({ step: { step: 'planned', text: 'v2 → v1' } })}\n`);
      setTimeout(() => res.end(`${JSON.stringify({ result: { status: 'succeeded' } })}\n`), 500);
    });
    const backend = remoteBackend(url, 'api-t', { answerTimeoutMs: 200 });
    const steps: unknown[] = [];
    const outcome = await backend.rollback(
      { model: 'fraud-scorer', reason: 'p99 doubled', by: 'cli:ana', trigger: 'cli' },
      (step) => steps.push(step),
    );
    expect(outcome).toEqual({ status: 'succeeded' });
    expect(steps).toEqual([{ step: 'planned', text: 'v2 → v1' }]);
  });
});
