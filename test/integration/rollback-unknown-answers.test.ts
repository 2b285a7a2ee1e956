import { afterEach, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { capture } from '../helpers/cli.js';
import { makeDeps } from '../helpers/engine.js';
import { permanent } from '../helpers/fake-serving.js';
import { apiPost, serveApp } from '../helpers/http.js';

/**
 * A rollback whose change was made but whose landing could not be read has an unknown outcome (rollback-unknown.ts):
 * the one who asked for it is told so, not that it FAILED ("traffic may still be on the bad version"), which would
 * send them to run it again over a change that may have landed.
 */
let close: (() => Promise<void>) | undefined;
afterEach(async () => close?.());

it('answers the API with outcome unknown (502: not done), executing once', async () => {
  const deps = makeDeps();
  deps.fake.targetErrors.push(permanent(), permanent()); // the change is made; reading whether it landed is forbidden
  const server = await serveApp(deps);
  close = server.close;

  const answer = await apiPost(`${server.url}/api/rollbacks`, { model: 'fraud-scorer', reason: 'errors up' });
  expect(answer.status).toBe(502);
  const body = (await answer.json()) as { outcome: string; error: { message: string } };
  expect(body.outcome).toBe('unknown');
  expect(body.error.message).toMatch(/^outcome unknown: the change to v41 was made, but /);
  expect(deps.fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
});

it('prints an unknown outcome as such on the CLI, exit 1, never FAILED', async () => {
  const deps = makeDeps();
  deps.fake.targetErrors.push(permanent());
  const server = await serveApp(deps);
  close = server.close;
  const { io, err } = capture();
  const env = { ROLLBOT_URL: server.url, API_TOKEN: 'api-t' };
  expect(await runCli(['rollback', 'fraud-scorer', '--reason', 'errors up'], env, io)).toBe(1);
  expect(err[0]).toMatch(
    /^rollback of fraud-scorer \(INC-1\): outcome unknown: the change to v41 was made, but .* could not be checked/,
  );
  expect(err.join('\n')).not.toContain('FAILED');
});
