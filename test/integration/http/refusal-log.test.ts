/**
 * A refused request is logged with why, under a key of its own: pino writes the message as `msg`, and a second
 * `msg` field on the same line is dropped by most JSON readers (the last one wins), which lost the reason.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { makeDeps } from '../../helpers/engine.js';
import { apiFetch, serveApp } from '../../helpers/http.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** The bot's HTTP app on a logger whose lines the test reads. */
async function loggedApp() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const deps = { ...makeDeps(), logger: createLogger({ level: 'info', destination }) };
  const server = await serveApp(deps);
  closers.push(server.close);
  const refusals = () => lines.filter((line) => line.includes('"request refused"'));
  return { url: server.url, refusals };
}

describe('the log line of a refused request', () => {
  it.each([
    ['an API refusal', '/api/incidents/INC-404', 'no incident INC-404'],
    ['a path that is no path', '/api/%zz', '%zz'],
  ])('of %s keeps its reason beside the message', async (_what, path, reason) => {
    const app = await loggedApp();
    expect((await apiFetch(`${app.url}${path}`)).status).toBeGreaterThanOrEqual(400);
    const [line] = app.refusals();
    expect(line?.match(/"msg":/g)).toHaveLength(1);
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      msg: 'request refused',
      reason: expect.stringContaining(reason),
    });
  });
});
